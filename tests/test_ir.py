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
