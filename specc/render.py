"""Render: IR -> Python source text for one target, through that target's jinja2 template."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jinja2

from . import ir
from .resources import resource_dir
from .targets import TARGETS, Target

# Binding strength of operators, to parenthesise only where Python needs it.
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "@": 2, "neg": 3, "**": 4, "atom": 5}


def py(value: Any) -> str:
    """A Python literal for a validated number or string: the only way values reach code."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"not a literal value: {value!r}")
    return repr(value)


def _operators(
    expr: ir.Expr, leaf: Callable[[ir.Expr], str], function: Callable[[str], str], parent: int
) -> str:
    """Render operators and calls the same way for NumPy and for every framework."""
    if isinstance(expr, ir.Const):
        text = py(expr.value)
        return f"({text})" if expr.value < 0 and parent > _PRECEDENCE["+"] else text
    if isinstance(expr, ir.Call):
        return f"{function(expr.fn)}({_operators(expr.arg, leaf, function, 0)})"
    if isinstance(expr, ir.Neg):
        own = _PRECEDENCE["neg"]
        text = "-" + _operators(expr.operand, leaf, function, own)
        return f"({text})" if parent > own else text
    if isinstance(expr, ir.BinOp):
        own = _PRECEDENCE[expr.op]
        # `**` binds right to left and tighter than a unary minus on its left; the rest
        # bind left to right.
        left, right = (own + 1, _PRECEDENCE["neg"]) if expr.op == "**" else (own, own + 1)
        space = "" if expr.op == "**" else " "  # black's spelling: x**2
        text = (
            f"{_operators(expr.left, leaf, function, left)}{space}{expr.op}{space}"
            f"{_operators(expr.right, leaf, function, right)}"
        )
        return f"({text})" if parent > own else text
    return leaf(expr)


def numpy_expr(expr: ir.Expr) -> str:
    """A data expression as NumPy code over the script's `rng`."""
    return _operators(expr, _numpy_leaf, lambda fn: f"np.{fn}", 0)


def _numpy_leaf(expr: ir.Expr) -> str:
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
    if isinstance(expr, ir.Csv):
        return f"read_csv({', '.join(py(v) for v in (expr.path, *expr.columns))})"
    raise TypeError(f"not a data expression: {expr!r}")


def formula_code(expr: ir.Expr, t: Target, inputs: str, prefix: str = "") -> str:
    """The forward formula in `t`'s tensor functions: `x` spelled `inputs`, params `prefix`+name."""

    def leaf(node: ir.Expr) -> str:
        if isinstance(node, ir.Ref):
            return inputs if node.name == "x" else prefix + node.name
        raise TypeError(f"not a formula leaf: {node!r}")

    return _operators(expr, leaf, lambda fn: t.functions[fn], 0)


def array_literal(literal: ir.ArrayLiteral, dtype: str | None = None) -> str:
    """`np.array([...])`; a flat list stays flat in the code and becomes a column."""
    suffix = f", dtype=np.{dtype}" if dtype else ""
    if literal.column:
        values = ", ".join(py(row[0]) for row in literal.rows)
        return f"np.array([{values}]{suffix}).reshape(-1, 1)"
    rows = ", ".join("[" + ", ".join(py(v) for v in row) + "]" for row in literal.rows)
    return f"np.array([{rows}]{suffix})"


def numpy_init(weight: ir.Weight, dtype: str) -> str:
    """The NumPy call that draws (or fills) a weight's initial value."""
    shape = weight.shape
    size = str(shape[0]) if len(shape) == 1 else "(" + ", ".join(map(str, shape)) + ")"
    init = weight.init
    cast = f".astype(np.{dtype})"
    if init.kind == "zeros":
        return f"np.zeros({size}, dtype=np.{dtype})"
    if init.kind == "ones":
        return f"np.ones({size}, dtype=np.{dtype})"
    if init.kind == "constant":
        return f"np.full({size}, {py(init.args[0])}, dtype=np.{dtype})"
    if init.kind == "array":
        assert init.values is not None
        values = [v for row in init.values.rows for v in row]
        flat = "[" + ", ".join(py(v) for v in values) + "]"
        if len(shape) == 1:
            return f"np.array({flat}, dtype=np.{dtype})"
        return f"np.array({flat}, dtype=np.{dtype}).reshape{size}"
    if init.kind == "glorot_uniform":
        return f"glorot_uniform(rng, {shape[0]}, {shape[1]}){cast}"
    if init.kind in ("uniform", "normal"):
        low, high = (py(a) for a in init.args)
        return f"rng.{init.kind}({low}, {high}, size={size}){cast}"
    raise ValueError(f"{weight.name}: a {init.kind} initial value is not drawn with NumPy")


def uses(spec: ir.Spec, kind: str) -> bool:
    """Whether the spec's data or weights need the script helper for `kind`."""
    if kind == "glorot_uniform":
        return any(w.init.kind == kind for w in spec.weights)
    return any(_contains(d.expr, kind) for d in spec.data)


def _contains(expr: ir.Expr, kind: str) -> bool:
    if expr.kind == kind:
        return True
    if isinstance(expr, ir.BinOp):
        return _contains(expr.left, kind) or _contains(expr.right, kind)
    if isinstance(expr, ir.Neg):
        return _contains(expr.operand, kind)
    if isinstance(expr, ir.Call):
        return _contains(expr.arg, kind)
    return False


def architecture(spec: ir.Spec) -> str:
    """The model in one line, for the docstring: `1 -> 32 relu -> 1 sigmoid`, or its formula."""
    network = spec.network
    if isinstance(network, ir.Formula):
        names = {p.name: p.name for p in network.params} | {"x": "x"}
        math = {fn: fn for fn in ir.FORMULA_FUNCTIONS}
        return "y = " + _operators(network.expr, lambda n: names[n.name], math.__getitem__, 0)
    parts = [str(spec.units_in)]
    for layer in network.layers:
        act = "" if layer.activation == "linear" else f" {layer.activation}"
        parts.append(f"{layer.units_out}{act}")
    return " -> ".join(parts)


def optimizer_code(spec: ir.Spec, t: Target, params: str = "") -> str:
    """The optimizer object from `t`'s table, its hyperparameters spelled as `t` needs them;
    `params` is the code naming the weights (validated identifiers only)."""
    opt = spec.optimizer
    spell = t.hyperparameters.get(spec.dtype, "{}")
    return t.optimizers[(opt.kind, opt.momentum > 0)].format(
        params=params, lr=spell.format(py(opt.lr)), momentum=spell.format(py(opt.momentum))
    )


def loss_code(spec: ir.Spec, t: Target) -> str:
    """The loss from `t`'s table."""
    return t.losses[(spec.loss.kind, spec.loss.reduction)]


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
    env.globals.update(
        architecture=architecture,
        formula=formula_code,
        loss_code=loss_code,
        optimizer_code=optimizer_code,
        uses=uses,
    )
    return env


def render(spec: ir.Spec, target: str | Target) -> str:
    """The unformatted script for one target."""
    t = TARGETS[target] if isinstance(target, str) else target
    template = environment().get_template(f"{t.name}/script.py.j2")
    return template.render(spec=spec, t=t)
