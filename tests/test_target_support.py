"""What a target cannot compute is a located error of the spec, found by the checker.

A stand-in backend refuses what each test says, so these tests hold the checker's half of the
contract (`Backend.unsupported` -> a diagnostic) whatever the real backends refuse.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from specc import ir
from specc.backends import Backend, Unsupported
from specc.check import check, support
from specc.diagnostics import Severity, Source, SpecError
from specc.parse import parse


class _Refusing(Backend):
    def __init__(self, *refused: Unsupported) -> None:
        self.refused = refused

    def unsupported(self, spec: ir.Spec) -> Iterator[Unsupported]:
        return iter(self.refused)


def _use(monkeypatch: pytest.MonkeyPatch, backends: dict[str, Backend]) -> None:
    monkeypatch.setattr(support, "backend", backends.__getitem__)


def _errors(text: str, targets: tuple[str, ...]) -> list:
    source = Source("model.spec", text)
    with pytest.raises(SpecError) as raised:
        check(parse(source), source, targets)
    return [d for d in raised.value.diagnostics if d.severity is Severity.ERROR]


def test_an_unsupported_construct_points_at_its_first_statement(monkeypatch) -> None:
    _use(monkeypatch, {"fake": _Refusing(Unsupported("optim", "`sgd` with style", "use `gd`"))})
    source = Source("model.spec", "layer Dense 1->1\noptim sgd lr=0.1\n")
    with pytest.raises(SpecError) as raised:
        check(parse(source), source, ("fake",))
    (error,) = raised.value.diagnostics
    assert error.message == "target `fake` does not support `sgd` with style"
    assert error.help == "use `gd`"
    assert error.span is not None and error.span.line == 2 and error.span.column == 1


def test_a_construct_the_spec_left_to_its_default_points_at_the_end(monkeypatch) -> None:
    _use(monkeypatch, {"fake": _Refusing(Unsupported("train", "100 epochs"))})
    (error,) = _errors("layer Dense 1->1\n", ("fake",))
    assert error.message == "target `fake` does not support 100 epochs"
    assert error.span is not None and (error.span.line, error.span.column) == (1, 17)


def test_every_target_is_asked_and_named(monkeypatch) -> None:
    refusal = Unsupported("layer", "layers")
    _use(monkeypatch, {"one": _Refusing(refusal), "two": _Refusing(refusal), "ok": _Refusing()})
    errors = _errors("layer Dense 1->1\n", ("one", "ok", "two"))
    assert [e.message for e in errors] == [
        "target `one` does not support layers",
        "target `two` does not support layers",
    ]


def test_no_target_is_asked_about_a_spec_with_errors(monkeypatch) -> None:
    asked: list[str] = []
    monkeypatch.setattr(support, "backend", lambda name: asked.append(name) or _Refusing())
    _errors("layer Dense 1->0\n", ("fake",))
    assert asked == []


def test_targets_that_support_everything_leave_the_spec_alone(monkeypatch) -> None:
    _use(monkeypatch, {"fake": _Refusing()})
    source = Source("model.spec", "layer Dense 1->1\n")
    spec, warnings = check(parse(source), source, ("fake",))
    assert warnings == [] and spec.units_out == 1


class _Cautious(Backend):
    def __init__(self, *caveats: Unsupported) -> None:
        self.noted = caveats

    def caveats(self, spec: ir.Spec) -> Iterator[Unsupported]:
        return iter(self.noted)


def test_a_caveat_is_a_located_warning_and_the_build_goes_on(monkeypatch) -> None:
    caveat = Unsupported("loss", "sums differently", "use `reduction=mean`")
    _use(monkeypatch, {"fake": _Cautious(caveat)})
    source = Source("model.spec", "layer Dense 1->1\nloss mse reduction=sum\n")
    spec, diagnostics = check(parse(source), source, ("fake",))
    (warning,) = diagnostics
    assert warning.severity is Severity.WARNING
    assert warning.message == "target `fake`: sums differently"
    assert warning.help == "use `reduction=mean`"
    assert warning.span is not None and (warning.span.line, warning.span.column) == (2, 1)
    assert spec.loss.reduction == "sum"


def test_keras_warns_where_its_backends_compute_differently() -> None:
    from specc.backends import backend

    source = Source(
        "model.spec", "dtype float64\nparam w[1] = 0.5\nparam b[1]\nforward y = w * x + abs(b)\n"
    )
    spec, _ = check(parse(source), source, ())
    messages = [c.message for c in backend("keras").caveats(spec)]
    assert any("float64 loss in float32" in m for m in messages)
    assert any("`abs` of `b`, which starts at 0" in m for m in messages)
    for target in ("torch", "tfgraph"):
        assert list(backend(target).caveats(spec)) == []
