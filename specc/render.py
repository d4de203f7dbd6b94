"""Render: IR -> Python source text for one target, through that target's jinja2 template."""

from __future__ import annotations

import functools
from typing import Any

import jinja2

from . import ir
from .resources import resource_dir
from .targets import TARGETS, Target

# Binding strength of NumPy operators, to parenthesise only where Python needs it.
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "**": 4}


def py(value: Any) -> str:
    """A Python literal for a validated number or string: the only way values reach code."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"not a literal value: {value!r}")
    return repr(value)


def numpy_expr(expr: ir.DataExpr, parent: int = 0, right: bool = False) -> str:
    """A data expression as NumPy code over the script's `rng`."""
    if isinstance(expr, ir.Const):
        text = py(expr.value)
        return f"({text})" if expr.value < 0 and parent else text
    if isinstance(expr, ir.Ref):
        return expr.name
    if isinstance(expr, ir.Draw):
        rows, cols = expr.shape
        if expr.fn in ("randn", "rand"):
            return f"rng.{expr.fn}({rows}, {cols})"
        params = ", ".join(py(p) for p in expr.params)
        return f"rng.{expr.fn}({params}, size=({rows}, {cols}))"
    if isinstance(expr, ir.Linspace):
        return f"np.linspace({py(expr.start)}, {py(expr.stop)}, {expr.num}).reshape(-1, 1)"
    if isinstance(expr, ir.ArrayLiteral):
        return array_literal(expr)
    if isinstance(expr, ir.Neg):
        own = _PRECEDENCE["neg"]
        text = "-" + numpy_expr(expr.operand, own)
        return f"({text})" if parent > own else text
    own = _PRECEDENCE[expr.op]
    # `**` binds right to left; the others left to right.
    left_parent, right_parent = (own + 1, own) if expr.op == "**" else (own, own + 1)
    text = f"{numpy_expr(expr.left, left_parent)} {expr.op} {numpy_expr(expr.right, right_parent)}"
    return f"({text})" if parent > own else text


def array_literal(literal: ir.ArrayLiteral, dtype: str | None = None) -> str:
    """`np.array([...])`; a flat list stays flat in the code and becomes a column."""
    suffix = f", dtype=np.{dtype}" if dtype else ""
    if literal.column:
        values = ", ".join(py(row[0]) for row in literal.rows)
        return f"np.array([{values}]{suffix}).reshape(-1, 1)"
    rows = ", ".join("[" + ", ".join(py(v) for v in row) + "]" for row in literal.rows)
    return f"np.array([{rows}]{suffix})"


def numpy_init(param: ir.Param, dtype: str) -> str:
    """The NumPy call that draws (or fills) a weight's initial value."""
    shape = param.shape
    size = str(shape[0]) if len(shape) == 1 else "(" + ", ".join(map(str, shape)) + ")"
    init = param.init
    cast = f".astype(np.{dtype})"
    if init.kind == "zeros":
        return f"np.zeros({size}, dtype=np.{dtype})"
    if init.kind == "ones":
        return f"np.ones({size}, dtype=np.{dtype})"
    if init.kind == "constant":
        return f"np.full({size}, {py(init.args[0])}, dtype=np.{dtype})"
    if init.kind == "glorot_uniform":
        fans = f"{shape[0]}, {shape[1]}" if len(shape) == 2 else f"1, {shape[0]}"
        return f"glorot_uniform(rng, {fans}){cast}"
    low, high = (py(a) for a in init.args)
    return f"rng.{init.kind}({low}, {high}, size={size}){cast}"


def architecture(spec: ir.Spec) -> str:
    """`1 -> 32 relu -> 1 sigmoid`: the model in one line, for the docstring."""
    parts = [str(spec.units_in)]
    for layer in spec.layers:
        act = "" if layer.activation == "linear" else f" {layer.activation}"
        parts.append(f"{layer.units_out}{act}")
    return " -> ".join(parts)


def code(pattern: str, t: Target, dtype: str, **fields: Any) -> str:
    """Fill a target table's code pattern with literal values, spelled as `t` needs them."""
    spell = t.hyperparameters.get(dtype, "{}")
    return pattern.format(**{k: spell.format(py(v)) for k, v in fields.items()})


@functools.cache
def environment() -> jinja2.Environment:
    """The one jinja2 environment: strict, so a misspelled IR field fails loudly."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resource_dir("templates"))),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(
        py=py,
        numpy_expr=numpy_expr,
        numpy_init=numpy_init,
        array_literal=array_literal,
    )
    env.globals.update(code=code, architecture=architecture)
    return env


def render(spec: ir.Spec, target: str | Target) -> str:
    """The unformatted script for one target."""
    t = TARGETS[target] if isinstance(target, str) else target
    template = environment().get_template(f"{t.name}/script.py.j2")
    return template.render(spec=spec, t=t, width=len(str(spec.training.epochs)))
