"""Spell: IR values and expressions as Python text, the same way for every target.

Numbers and strings reach generated code only through `py` (the `repr` of a validated
value); expressions only through `operators`, which parenthesises where Python needs it.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterator
from typing import Any

from . import ir
from .layers import kind_of

# Binding strength of operators, to parenthesise only where Python needs it.
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "@": 2, "neg": 3, "**": 4, "atom": 5}


def py(value: Any) -> str:
    """A Python literal for a validated number or string: the only way values reach code.

    `repr`, spelled as black spells literals: `1e16`, not `1e+16`; a string in double quotes
    unless that needs more escapes than single ones."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"not a literal value: {value!r}")
    if isinstance(value, str):
        return _string(value)
    return repr(value).replace("e+", "e")


def number(value: int | float, pi: str = "np.pi") -> str:
    """A number in an expression: π by name (NumPy's, a Python float, in every target; the
    spec's own in a docstring), anything else as `py` writes it."""
    if value == math.pi or value == -math.pi:
        return pi if value > 0 else f"-{pi}"
    return py(value)


def _string(text: str) -> str:
    literal = repr(text)
    if literal[0] == '"' or text.count('"') > text.count("'"):
        return literal
    # Single-quoted repr: its only quote escape is \', and each backslash is doubled.
    body, out, i = literal[1:-1], ['"'], 0
    while i < len(body):
        pair = body[i : i + 2] if body[i] == "\\" else body[i]
        out.append("'" if pair == "\\'" else '\\"' if pair == '"' else pair)
        i += len(pair)
    return "".join(out) + '"'


def operators(
    expr: ir.Expr,
    leaf: Callable[[ir.Expr], str],
    function: Callable[[str], str],
    parent: int = 0,
    pi: str = "np.pi",
) -> str:
    """Operators and calls, spelled the same for NumPy and every framework; `pi` names π."""
    if isinstance(expr, ir.Const):
        text = number(expr.value, pi)
        return f"({text})" if expr.value < 0 and parent > _PRECEDENCE["+"] else text
    if isinstance(expr, ir.Call):
        return f"{function(expr.fn)}({operators(expr.arg, leaf, function, pi=pi)})"
    if isinstance(expr, ir.Neg):
        own = _PRECEDENCE["neg"]
        # black's spelling: -(x**2), never -x**2 (which Python reads the same way)
        operand = expr.operand
        inner = _PRECEDENCE["atom"] if isinstance(operand, ir.BinOp) and operand.op == "**" else own
        text = "-" + operators(operand, leaf, function, inner, pi)
        return f"({text})" if parent > own else text
    if isinstance(expr, ir.BinOp):
        own = _PRECEDENCE[expr.op]
        # `**` binds right to left and tighter than a unary minus on its left; the rest
        # bind left to right.
        left, right = (own + 1, _PRECEDENCE["neg"]) if expr.op == "**" else (own, own + 1)
        base = operators(expr.left, leaf, function, left, pi)
        power = operators(expr.right, leaf, function, right, pi)
        text = pow_text(base, power) if expr.op == "**" else f"{base} {expr.op} {power}"
        return f"({text})" if parent > own else text
    return leaf(expr)


# What black counts as a simple operand of `**`, which it hugs: a name, a dotted name or a
# number, after at most one unary operator; never a call, a subscript or a parenthesis.
_SIMPLE = re.compile(
    r"[-+~]?(?:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
)


def pow_text(base: str, exponent: str) -> str:
    """`base**exponent` as black spells it: hugged between simple operands (`x**2`), spaced
    otherwise (`(x + 1) ** 2`, `v1 ** (-1)`)."""
    if _SIMPLE.fullmatch(base) and _SIMPLE.fullmatch(exponent):
        return f"{base}**{exponent}"
    return f"{base} ** {exponent}"


def formula(
    expr: ir.Expr, functions: dict[str, str], inputs: str, prefix: str = "", pi: str = "np.pi"
) -> str:
    """A forward formula: `x` spelled `inputs`, params `prefix`+name, functions by table."""

    def leaf(node: ir.Expr) -> str:
        if isinstance(node, ir.Ref):
            return inputs if node.name == "x" else prefix + node.name
        raise TypeError(f"not a formula leaf: {node!r}")

    return operators(expr, leaf, functions.__getitem__, pi=pi)


def numpy_expr(expr: ir.Expr) -> str:
    """A data expression as NumPy code over the script's `rng`."""
    return operators(expr, _numpy_leaf, lambda fn: f"np.{fn}")


def _numpy_leaf(expr: ir.Expr) -> str:
    if isinstance(expr, ir.Ref):
        return expr.name
    if isinstance(expr, ir.Draw):
        sizes = ", ".join(str(n) for n in expr.shape)
        if expr.fn in ("randn", "rand"):
            return f"rng.{expr.fn}({sizes})"
        params = ", ".join(number(p) for p in expr.params)
        return f"rng.{expr.fn}({params}, size=({sizes}))"
    if isinstance(expr, ir.Reshape):
        sizes = ", ".join(str(n) for n in expr.sample)
        inner = numpy_expr(expr.arg)
        if isinstance(expr.arg, ir.BinOp | ir.Neg | ir.Const):  # the rest read as one value
            inner = f"({inner})"
        return f"{inner}.reshape(-1, {sizes})"
    if isinstance(expr, ir.Windows):
        series, n = expr.arg.name, expr.steps
        if expr.part == "targets":
            return f"{series}[{n}:]"
        # `start`, a name of the scripts' own, cannot be the series' name
        return f"np.stack([{series}[start : start + {n}] for start in range(len({series}) - {n})])"
    if isinstance(expr, ir.Rows):
        if expr.start is None and expr.stop is None:  # `predict first`: all its rows
            return expr.arg.name
        start, stop = (str(n) if n is not None else "" for n in (expr.start, expr.stop))
        return f"{expr.arg.name}[{start}:{stop}]"
    if isinstance(expr, ir.Linspace):
        start, stop = number(expr.start), number(expr.stop)
        return f"np.linspace({start}, {stop}, {expr.num}).reshape(-1, 1)"
    if isinstance(expr, ir.ArrayLiteral):
        return array_literal(expr)
    if isinstance(expr, ir.Csv):
        return f"read_csv({', '.join(py(v) for v in (expr.path, *expr.columns))})"
    if isinstance(expr, ir.Compare):
        left, right = numpy_expr(expr.left), numpy_expr(expr.right)
        return f"({left} {expr.op} {right}).astype(np.float64)"
    if isinstance(expr, ir.Argmax):
        return f"np.argmax({numpy_expr(expr.arg)}, axis=1).reshape(-1, 1)"
    if isinstance(expr, ir.Dataset):
        index = "[0]" if expr.part == "features" else "[1].reshape(-1, 1)"
        return f"{dataset_loader(expr.name)}(return_X_y=True){index}"
    raise TypeError(f"not a data expression: {expr!r}")


def dataset_loader(name: str) -> str:
    """scikit-learn's function that loads a bundled data set: `load_iris`."""
    return f"load_{name}"


def array_literal(literal: ir.ArrayLiteral, dtype: str | None = None) -> str:
    """`np.array([...])`; a flat list stays flat in the code and becomes a column."""
    suffix = f", dtype=np.{dtype}" if dtype else ""
    if literal.column:
        values = ", ".join(py(row[0]) for row in literal.rows)
        return f"np.array([{values}]{suffix}).reshape(-1, 1)"
    rows = ", ".join("[" + ", ".join(py(v) for v in row) + "]" for row in literal.rows)
    return f"np.array([{rows}]{suffix})"


def numpy_init(weight: ir.Weight, dtype: str, windowed: bool = False) -> str:
    """The NumPy call that draws (or fills) a weight's initial value; `windowed`: the script's
    `glorot_uniform` takes a kernel's whole shape (a convolution's kernels among them)."""
    shape = weight.shape
    size = str(shape[0]) if len(shape) == 1 else "(" + ", ".join(map(str, shape)) + ")"
    init = weight.init
    if init.kind == "zeros":
        return f"np.zeros({size}, dtype=np.{dtype})"
    if init.kind == "ones":
        return f"np.ones({size}, dtype=np.{dtype})"
    if init.kind == "constant":
        return f"np.full({size}, {py(init.args[0])}, dtype=np.{dtype})"
    if init.kind == "array":
        assert init.values is not None
        flat = "[" + ", ".join(py(v) for row in init.values.rows for v in row) + "]"
        reshape = "" if len(shape) == 1 else f".reshape{size}"
        return f"np.array({flat}, dtype=np.{dtype}){reshape}"
    if init.kind == "glorot_uniform" and windowed:
        return f"glorot_uniform(rng, {size}).astype(np.{dtype})"
    if init.kind == "glorot_uniform":
        return f"glorot_uniform(rng, {shape[0]}, {shape[1]}).astype(np.{dtype})"
    if init.kind == "orthogonal":
        return f"orthogonal(rng, {shape[0]}, {shape[1]}).astype(np.{dtype})"
    if init.kind in ("uniform", "normal"):
        low, high = (py(a) for a in init.args)
        return f"rng.{init.kind}({low}, {high}, size={size}).astype(np.{dtype})"
    raise ValueError(f"{weight.name}: a {init.kind} initial value is not drawn with NumPy")


def walk(expr: ir.Expr) -> Iterator[ir.Expr]:
    """Every node of an expression, the root first."""
    yield expr
    if isinstance(expr, ir.BinOp | ir.Compare):
        yield from walk(expr.left)
        yield from walk(expr.right)
    elif isinstance(expr, ir.Neg):
        yield from walk(expr.operand)
    elif isinstance(expr, ir.Call | ir.Argmax | ir.Reshape | ir.Rows | ir.Windows):
        yield from walk(expr.arg)


def contains(expr: ir.Expr, kind: str) -> bool:
    """Whether an expression has a node of `kind` anywhere in it."""
    return any(node.kind == kind for node in walk(expr))


def datasets(spec: ir.Spec) -> list[str]:
    """The bundled data sets a spec loads, in order."""
    found = (n.name for d in spec.data for n in walk(d.expr) if isinstance(n, ir.Dataset))
    return list(dict.fromkeys(found))


def architecture(spec: ir.Spec) -> str:
    """The model in one line, for the docstring: `1 -> 32 relu -> 1 sigmoid`, or its formula;
    with other layers than Dense, each named: `8x8x1 -> Conv2D 6x6x8 relu -> Flatten 288`."""
    network = spec.network
    if isinstance(network, ir.Formula):
        return "y = " + formula(network.expr, {f: f for f in ir.FORMULA_FUNCTIONS}, "x", pi="pi")
    # A stack of Dense layers reads as its widths; others name each layer's kind too.
    named = any(layer.kind != "Dense" for layer in network.layers)
    parts = ["x".join(str(n) for n in spec.sample_in) + (" ids" if spec.integer_inputs else "")]
    for layer in network.layers:
        act = "" if layer.activation == "linear" else f" {layer.activation}"
        sample = "x".join(str(n) for n in kind_of(layer).sample_out(layer))
        parts.append(f"{layer.kind} {sample}{act}" if named else f"{sample}{act}")
    # A run of three or more alike layers is named once: `16 relu (998 layers)`.
    runs = [(part, len(list(group))) for part, group in itertools.groupby(parts)]
    return " -> ".join(
        f"{part} ({count} layers)" if count >= 3 else " -> ".join([part] * count)
        for part, count in runs
    )


def names(items: list[str]) -> str:
    """Names as a tuple target, as black spells it: `a, b`, and `(a,)` for one name."""
    return f"({items[0]},)" if len(items) == 1 else ", ".join(items)
