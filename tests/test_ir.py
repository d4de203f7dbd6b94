"""The checker makes the IR without validating it (`model_construct`): prove here that pydantic
validation accepts every IR the checker makes and gives back exactly the same IR.

What the IR's validators guard (names, shapes, option values, a consistent whole) is what the
checker checks itself and reports with a location; validating again would build every node's
validator in each cold build. Every golden case and example is held to it here, and every spec
the fuzz test builds (tests/test_fuzz.py)."""

from __future__ import annotations

import pytest
from support import assert_valid, build_cases

from specc import ir
from specc.compiler import analyze
from specc.diagnostics import Source


@pytest.mark.parametrize("case", build_cases(), ids=lambda c: c.name)
def test_every_checked_spec_is_a_valid_ir(case) -> None:
    source = Source(case.spec.name, case.spec.read_text(encoding="utf-8"))
    assert_valid(analyze(source, [])[0])


def test_a_spec_of_defaults_is_a_valid_ir() -> None:
    assert_valid(analyze(Source("defaults.spec", "layer Dense 1->1\n"), [])[0])


def test_the_defaults_are_what_validation_makes() -> None:
    """The IR's defaults are made without validation too."""
    spec = ir.Spec.model_fields
    assert repr(spec["loss"].default) == repr(ir.Loss())
    assert repr(spec["optimizer"].default) == repr(ir.Optimizer())
    assert repr(spec["training"].default) == repr(ir.Training())
    dense = ir.Dense.model_fields
    assert repr(dense["kernel_init"].default) == repr(ir.Init(kind="glorot_uniform"))
    assert repr(dense["bias_init"].default) == repr(ir.Init(kind="zeros"))


def test_the_validators_still_refuse_a_bad_hand_built_node() -> None:
    """For programs that build the IR themselves, validation is as strict as ever."""
    with pytest.raises(ValueError, match="Python keyword"):
        ir.Ref(name="class")
    with pytest.raises(ValueError, match="takes no option"):
        ir.Optimizer(kind="sgd", options={"beta1": 0.9})


def _data(text: str) -> dict[str, ir.Data]:
    spec = analyze(Source("model.spec", text), [])[0]
    assert_valid(spec)
    return {d.name: d for d in spec.data}


def test_windows_cut_a_series_into_samples_of_steps_and_the_row_after_each() -> None:
    data = _data(
        "data s = randn(61, 2)\ndata x, y = windows(s, 10)\n"
        "layer Conv1D 2->4 kernel=3\nlayer Flatten\nlayer Dense 2\n"
    )
    assert data["x"].shape == (51, 10, 2) and data["y"].shape == (51, 2)
    x, y = data["x"].expr, data["y"].expr
    assert isinstance(x, ir.Windows) and isinstance(y, ir.Windows)
    assert (x.arg.name, x.steps, x.part, y.part) == ("s", 10, "inputs", "targets")
    assert data["x"].labels is None and data["y"].labels is None


def test_whole_numbers_drawn_in_one_column_are_labels_and_so_is_the_label_after_a_window() -> None:
    data = _data(
        "data tokens = randint(0, 50, 30, 12)\ndata s = randint(0, 3, 40)\n"
        "data x, y = windows(s, 4)\ndata signed = randint(-1, 2, 30)\n"
        "layer Conv1D 1->2 kernel=2\nlayer Flatten\nlayer Dense 3\nloss crossentropy\n"
    )
    assert data["tokens"].labels is None  # 12 token ids a row: not one column of labels
    assert data["signed"].labels is None  # -1 is no class
    assert (data["s"].labels, data["y"].labels, data["x"].labels) == (3, 3, None)


def test_the_validators_refuse_windows_and_draws_the_checker_would_not_make() -> None:
    with pytest.raises(ValueError, match="low < high"):
        ir.Draw(fn="randint", params=(3, 3), shape=(10, 1))
    with pytest.raises(ValueError, match="low < high"):
        ir.Draw(fn="randint", params=(0, 2.5), shape=(10, 1))
    with pytest.raises(ValueError, match="takes 2 parameter"):
        ir.Draw(fn="uniform", params=(0,), shape=(10, 1))
    text = "data s = randn(8, 1)\ndata x, y = windows(s, 3)\nlayer Flatten\nlayer Dense 1\n"
    spec = analyze(Source("model.spec", text), [])[0]
    dumped = spec.model_dump()
    for data in dumped["data"][1:]:
        data["expr"]["steps"] = 8  # as many steps as the series has rows
    with pytest.raises(ValueError, match="no windows of `s`"):
        ir.Spec.model_validate(dumped)
