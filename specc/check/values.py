"""Values written in a spec: numbers, names, strings, words of the vocabulary, and options."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from .. import ir
from .. import syntax as s
from ..diagnostics import did_you_mean, one_of
from ..vocabulary import CONSTANT_VALUES, MAX_INTEGER, Option, Word, Words
from .report import Reporter

# Reads an `init`-typed option, which needs the shape of the weight it initializes.
InitReader = Callable[[s.Expr, Option], ir.Init]


def literal_number(expr: s.Expr) -> int | float | None:
    """The value of `3`, `-0.5`, `+1e-3` or `-pi`; None for anything else."""
    sign = 1
    while isinstance(expr, s.Unary):
        sign = -sign if expr.op == "-" else sign
        expr = expr.operand
    if isinstance(expr, s.Name) and expr.id in CONSTANT_VALUES:
        return sign * CONSTANT_VALUES[expr.id]
    return sign * expr.value if isinstance(expr, s.Number) else None


def number(report: Reporter, expr: s.Expr, what: str) -> int | float:
    """A finite literal number; integers stay integers, so the script reads as the spec."""
    value = literal_number(expr)
    if value is None:
        raise report.error(f"{what} must be a number", expr.span)
    # An integer is exact however long (math.isfinite cannot even take one past 1e308).
    if isinstance(value, int) and abs(value) > MAX_INTEGER:
        raise report.error(f"{what} is too large", expr.span, "write it as a float, like 1e20")
    if not math.isfinite(value):
        raise report.error(f"{what} must be a finite number", expr.span)
    return value


def whole(report: Reporter, expr: s.Expr, option: Option) -> int:
    """A literal whole number within `option`'s range."""
    literal = literal_number(expr)
    if isinstance(literal, float) and math.isinf(literal):  # digits beyond counting
        raise report.error(f"{option.what} must be {option.bounds()}", expr.span)
    if not isinstance(literal, int):
        raise report.error(f"{option.what} must be a whole number", expr.span)
    if problem := option.problem(literal):
        raise report.error(f"{option.what} {problem}", expr.span)
    return literal


def value(report: Reporter, expr: s.Expr, option: Option) -> object:
    """A value of `option`'s type within its range (not `names` or `init`: see `options`)."""
    if option.type == "word":
        return word(report, expr, option)
    if option.type == "bool":
        return boolean(report, expr, option)
    if option.type == "string":
        return string(report, expr, option.what)
    if option.type == "integer":
        return whole(report, expr, option)
    if isinstance(expr, s.Call) and option.hint:
        raise report.error(f"{option.what} must be a number", expr.span, option.hint)
    result = number(report, expr, option.what)
    if problem := option.problem(result):
        raise report.error(f"{option.what} {problem}", expr.span)
    return result


def word(report: Reporter, expr: s.Expr, option: Option) -> str:
    """One of a `word` option's choices, written as a bare name."""
    if isinstance(expr, s.Name) and expr.id in option.choices:
        return expr.id
    problem = option.problem(None)
    if not isinstance(expr, s.Name):
        raise report.error(f"{option.what} {problem}", expr.span)
    raise report.error(
        f"unknown value `{expr.id}` for `{option.name}`",
        expr.span,
        did_you_mean(expr.id, option.choices) or f"{option.what} {problem}",
    )


def boolean(report: Reporter, expr: s.Expr, option: Option) -> bool:
    """`true` or `false`, written as a bare name."""
    if isinstance(expr, s.Name) and expr.id in ("true", "false"):
        return expr.id == "true"
    help_text = "write `true` or `false`"
    if isinstance(expr, s.Name):
        help_text = did_you_mean(expr.id.lower(), ("true", "false")) or help_text
    raise report.error(f"{option.what} is `true` or `false`", expr.span, help_text)


def string(report: Reporter, expr: s.Expr, what: str) -> str:
    """A string in double quotes."""
    if not isinstance(expr, s.String):
        raise report.error(f"{what} is a string in double quotes", expr.span)
    return expr.value


def identifier(report: Reporter, name: s.Word, what: str) -> str:
    """A name that may become a Python name in the scripts (see `ir.python_name`)."""
    try:
        return ir.python_name(name.text)
    except ValueError as reason:
        raise report.error(
            f"{reason}, so it cannot be a {what}", name.span, "choose another name"
        ) from None


def choice(report: Reporter, name: s.Word, words: Words) -> str:
    """A word of one category of the vocabulary: an activation, a loss, ..."""
    if name.text in words:
        return name.text
    raise report.error(
        f"unknown {words.singular} `{name.text}`",
        name.span,
        words.hint(name.text) or did_you_mean(name.text, words.names) or words.choices(),
    )


def options(
    report: Reporter,
    given: Sequence[s.Option],
    word: Word,
    what: str = "",
    init: InitReader | None = None,
) -> dict[str, object]:
    """The `key=value` options `word` declares, converted; unknown or repeated keys are errors.

    `names` options keep their list of expressions for the caller to check; `init` options
    are read by `init`, or only recognized when it is None (the weight's shape is unknown).
    """
    result: dict[str, object] = {}
    seen: set[str] = set()
    for option in given:
        key = option.key.text
        declared = _declared(report, option, word, what, seen)
        seen.add(key)
        if declared is None:
            continue
        if declared.type == "names":
            result[key] = option.values
        elif len(option.values) != 1:
            report.error(f"`{key}` takes one value", option.values[1].span)
        elif declared.type != "init":
            result[key] = report.attempt(lambda o=option, d=declared: value(report, o.values[0], d))
        elif init is not None:
            result[key] = report.attempt(lambda o=option, d=declared: init(o.values[0], d))
    return {key: converted for key, converted in result.items() if converted is not None}


def requirements(
    report: Reporter, given: Sequence[s.Option], word: Word, values: dict[str, object]
) -> None:
    """An option that is set (true, or above zero) and needs another one set too."""
    chosen = word.defaults() | values
    for option in given:
        key = option.key.text
        needed = word.option(key).requires if key in values else None
        if needed and chosen[key] and not chosen[needed]:
            raise report.error(
                f"`{key}` needs `{needed}`",
                option.span,
                f"give `{needed}` too, for example `{needed}={_EXAMPLES.get(needed, 1)}`",
            )


_EXAMPLES = {"momentum": 0.9, "batch": 32}  # values the help suggests for a needed option


def _declared(
    report: Reporter, option: s.Option, word: Word, what: str, seen: set[str]
) -> Option | None:
    """The declaration of a given option, or None (and an error) if it is unknown or repeated."""
    key = option.key.text
    names = [o.name for o in word.options]
    if key not in names:
        here = f" for {what}" if what else ""
        listed = f"the options are {one_of(names, 'and')}" if names else "it takes no options"
        report.error(
            f"unknown option `{key}`{here}",
            option.key.span,
            word.hint(key) or did_you_mean(key, names) or listed,
        )
        return None
    if key in seen:
        report.error(f"option `{key}` is given twice", option.key.span)
        return None
    return word.option(key)
