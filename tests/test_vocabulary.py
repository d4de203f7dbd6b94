"""The checker's words, help texts, option ranges and the IR's types all come from the vocabulary.

Each test walks `specc.vocabulary`, so a word added there is tested here without a new line.
"""

from __future__ import annotations

import re
import typing

import pytest

from specc import ir
from specc import vocabulary as v
from specc.check import check
from specc.diagnostics import Diagnostic, Severity, Source, SpecError
from specc.parse import parse

UNKNOWN = "zqxj"  # close to no word of the language, so no "did you mean" replaces the list


def _check(text: str) -> tuple[ir.Spec, list[Diagnostic]]:
    """Check a spec without asking any target what it supports."""
    source = Source("model.spec", text)
    return check(parse(source), source)


def _errors(text: str) -> list[Diagnostic]:
    with pytest.raises(SpecError) as raised:
        _check(text)
    return [d for d in raised.value.diagnostics if d.severity is Severity.ERROR]


def _spelled(value: object) -> str:
    """A default value as a spec writes it."""
    return repr(value) if isinstance(value, int | float) else str(value)


# Unknown words -------------------------------------------------------------------------------

CATEGORIES = {
    "loss": (v.LOSSES, f"layer Dense 1->1\nloss {UNKNOWN}"),
    "optimizer": (v.OPTIMIZERS, f"layer Dense 1->1\noptim {UNKNOWN}"),
    "activation": (v.ACTIVATIONS, f"layer Dense 1->1 {UNKNOWN}"),
    "layer": (v.LAYERS, f"layer {UNKNOWN} 1->1"),
    "dtype": (v.DTYPES, f"dtype {UNKNOWN}\nlayer Dense 1->1"),
    "initializer": (v.INITIALIZERS, f"layer Dense 1->1 init={UNKNOWN}"),
}


@pytest.mark.parametrize("category", CATEGORIES)
def test_an_unknown_word_lists_the_vocabulary(category: str) -> None:
    words, text = CATEGORIES[category]
    assert words.singular == category
    (error,) = _errors(text)
    assert error.message == f"unknown {category} `{UNKNOWN}`"
    assert error.span is not None
    assert text.splitlines()[error.span.line - 1][error.span.column - 1 :].startswith(UNKNOWN)
    assert error.help == words.choices()
    assert tuple(re.findall(r"`([^`]+)`", error.help)) == words.names
    if len(words.names) == 1:
        assert error.help.startswith(f"the only {words.singular} is ")
    else:
        assert error.help.startswith(f"{words.plural} are ")


def test_plurals_are_spelled_out() -> None:
    assert v.LOSSES.choices() == "losses are `mse`, `mae`, `crossentropy` or `bce`"
    assert v.Words("layer", "layers", v.LAYERS.words[:1]).choices() == "the only layer is `Dense`"
    assert v.LAYERS.choices().startswith("layers are `Dense`, `Conv1D`, `Conv2D`")


# Options ---------------------------------------------------------------------------------------

# Statements whose options have types the checker converts on its own, and how to write one.
STATEMENTS = [
    *((f"optim {w.name}", w) for w in v.OPTIMIZERS),
    *((f"loss {w.name}", w) for w in v.LOSSES),
    ("train", v.TRAIN_OPTIONS),
    ("log", v.LOG_OPTIONS),
]
OPTIONS = [
    pytest.param(head, option, id=f"{head}:{option.name}")
    for head, word in STATEMENTS
    for option in word.options
    if option.type in ("number", "integer", "word")
]


def _model(head: str) -> str:
    """A model the statement `head` fits: classification losses need labels to train on."""
    if head == "loss crossentropy":
        return "data y = [0, 1, 1, 0]\nlayer Dense 1->2\n"
    if head == "loss bce":
        return "data y = [0, 1, 1, 0]\nlayer Dense 1->1\n"
    return "layer Dense 1->1\n"


def _read(spec: ir.Spec, head: str, name: str) -> object:
    """Where the IR keeps the value of option `name` of statement `head`."""
    if head.startswith("optim"):
        return spec.optimizer[name]
    if head.startswith("loss"):
        return getattr(spec.loss, name)
    if head == "train":
        return spec.training.count
    return getattr(spec.logging, name)


@pytest.mark.parametrize(
    ("head", "option"), [p for p in OPTIONS if p.values[1].default is not None]
)
def test_every_option_takes_its_default(head: str, option: v.Option) -> None:
    spec, diagnostics = _check(f"{_model(head)}{head} {option.name}={_spelled(option.default)}")
    assert diagnostics == []
    assert _read(spec, head, option.name) == option.default


def _outside(option: v.Option) -> list[float | str]:
    """Values just outside the option's range (its bounds, if they are excluded)."""
    if option.type == "word":
        return [UNKNOWN]
    values: list[float | str] = []
    if option.low is not None:
        values.append(option.low if option.low_open else option.low - 1)
    if option.high is not None:
        values.append(option.high if option.high_open else option.high + 1)
    return values


@pytest.mark.parametrize(("head", "option"), OPTIONS)
def test_every_option_refuses_values_outside_its_range(head: str, option: v.Option) -> None:
    values = _outside(option)
    assert values, f"`{option.name}` has no range to test"
    for value in values:
        written = _spelled(value)
        line = f"{head} {option.name}={written}"
        model = _model(head)
        (error,) = _errors(model + line)
        assert error.span is not None
        assert (error.span.line, error.span.column) == (model.count("\n") + 1, line.index("=") + 2)
        if option.type == "word":
            assert error.message == f"unknown value `{written}` for `{option.name}`"
            assert error.help == f"{option.what} {option.problem(None)}"
        else:
            assert error.message == f"{option.what} must be {option.bounds()}"


@pytest.mark.parametrize("kind", v.OPTIMIZERS.names)
def test_an_option_of_another_optimizer_is_a_located_error(kind: str) -> None:
    own = {o.name for o in v.OPTIMIZERS[kind].options}
    others = {o.name: o for w in v.OPTIMIZERS for o in w.options if o.name not in own}
    for name, option in others.items():
        line = f"optim {kind} {name}={_spelled(option.default)}"
        (error,) = _errors(f"layer Dense 1->1\n{line}")
        assert error.message == f"unknown option `{name}` for `{kind}`"
        assert error.span is not None
        assert (error.span.line, error.span.column) == (2, line.index(name) + 1)
        assert error.help is not None and all(f"`{o}`" in error.help for o in own)


# The IR's types --------------------------------------------------------------------------------


def _literal(model: type[ir.Node], field: str) -> tuple[object, ...]:
    return typing.get_args(model.model_fields[field].annotation)


@pytest.mark.parametrize(
    ("model", "field", "names"),
    [
        (ir.Loss, "kind", v.LOSSES.names),
        (ir.Loss, "reduction", v.LOSSES["mse"].option("reduction").choices),
        (ir.Optimizer, "kind", v.OPTIMIZERS.names),
        (ir.Dense, "activation", v.ACTIVATIONS.names),
        (ir.Spec, "dtype", v.DTYPES.names),
        (ir.Init, "kind", (*v.INITIALIZERS.names, "constant", "array")),
        (ir.Logging, "numbers", v.LOG_OPTIONS.option("numbers").choices),
        (ir.Call, "fn", v.FORMULA_FUNCTIONS.names),
        (ir.BinOp, "op", v.OPERATORS),
        (ir.Draw, "fn", tuple(f for f in v.PARAMETERS if f != "linspace")),
    ],
    ids=lambda x: x if isinstance(x, str) else getattr(x, "__name__", None),
)
def test_the_ir_accepts_exactly_the_vocabulary(
    model: type[ir.Node], field: str, names: tuple[str, ...]
) -> None:
    assert _literal(model, field) == names


def test_every_loss_option_shares_one_choice_list() -> None:
    # ir.Loss types `reduction` once, from mse's declaration: every loss must agree with it.
    reductions = {w.option("reduction").choices for w in v.LOSSES}
    assert len(reductions) == 1
