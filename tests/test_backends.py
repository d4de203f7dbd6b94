"""Every backend spells every word of the vocabulary, or refuses it with a located error."""

from __future__ import annotations

import pytest

import specc
from specc import vocabulary as v
from specc.backends import backend
from specc.diagnostics import Span

# The tables each backend keeps, and the vocabulary category each must cover.
TABLES = {
    "activations": ("activation", v.ACTIVATIONS),
    "functions": ("function", v.FORMULA_FUNCTIONS),
    "dtypes": ("dtype", v.DTYPES),
    "losses": ("loss", v.LOSSES),
}


@pytest.mark.parametrize("target", specc.TARGETS)
def test_every_backend_spells_every_word_or_refuses_it(target: str) -> None:
    b = backend(target)
    assert b.name == target and b.title and b.label and b.extra and b.modules
    for table, (category, words) in TABLES.items():
        spelled = set(getattr(b, table))
        missing = {w for w in words.names if w not in spelled and (category, w) not in b.refused}
        assert not missing, f"{target} neither spells nor refuses the {category}s {missing}"
    for optimizer in v.OPTIMIZERS.names:
        assert (
            hasattr(b, f"optim_{optimizer}") or ("optimizer", optimizer) in b.refused
        ), f"{target} has no method optim_{optimizer}"


def test_a_refused_word_is_a_located_error_naming_the_target(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keras = backend("keras")
    refused = {("optimizer", "gd"): "a reason a reader can act on"}
    monkeypatch.setattr(keras, "refused", refused)
    spec = "layer Dense 1->1\noptim gd lr=0.1\n"
    with pytest.raises(specc.SpecError) as caught:
        specc.compile(spec, "keras", "m.spec")
    (error,) = caught.value.diagnostics
    assert error.message == "target `keras` does not support the optimizer `gd`"
    assert error.span == Span(2, 1, 2, 16)
    assert error.help == "a reason a reader can act on"
    specc.compile(spec, "torch", "m.spec")  # the other targets still build


def test_a_keras_only_limit_binds_only_keras() -> None:
    spec = "layer Dense 1->3\nloss mse reduction=sum\n"
    for target in ("torch", "tfgraph"):
        specc.compile(spec, target, "m.spec")
    with pytest.raises(specc.SpecError, match="target `keras` does not support"):
        specc.compile(spec, "keras", "m.spec")
