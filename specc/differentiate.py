"""Differentiate: a forward formula's reverse-mode derivative, spelled as NumPy lines.

The forward pass gets one line per operation, `v1`, `v2`, ... in the order they are computed
(Griewank's evaluation trace), the last one named `outputs`. The backward pass walks it in
reverse, one line per step of the chain rule, from `grad_outputs` to each param's gradient.
Only operations that depend on a param are differentiated. A value NumPy broadcast to a
larger shape gets the gradients of all its copies: its gradient is summed back to its shape.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from . import ir
from .spell import number, pow_text

Shape = tuple[int | None, ...]  # None: the rows, known when the script runs

# d(output)/d(input) of each function, times the output's gradient `{g}`: in terms of its
# input `{a}` and, where that reads better, its output `{n}`. The NumPy target's layers use
# the same rules for their activations.
DERIVATIVES = {
    "exp": "{g} * {n}",
    "log": "{g} / {a}",
    "sin": "{g} * np.cos({a})",
    "cos": "-{g} * np.sin({a})",
    "tanh": "{g} * (1 - {n}**2)",
    "abs": "{g} * np.sign({a})",
    "sqrt": "{g} / (2 * {n})",
    "relu": "{g} * ({a} > 0)",
    "sigmoid": "{g} * {n} * (1 - {n})",
}


@dataclass(frozen=True)
class Derivative:
    """A formula's forward and backward passes, as lines of a function's body."""

    forward: tuple[str, ...]  # `v1 = x**2`, ..., `outputs = v2 + b`
    saved: tuple[str, ...]  # the forward values the backward pass reads
    backward: tuple[str, ...]  # `grad_v2 = grad_outputs`, ..., `grad_w = ...`
    gradients: tuple[str, ...]  # each param's gradient, in the order of `params`


@dataclass
class _Node:
    """One operation of the trace: its name, its expression, its shape and its operands."""

    name: str
    expr: ir.Expr
    shape: Shape
    operands: list[str | ir.Expr] = field(default_factory=list)


def differentiate(
    expr: ir.Expr,
    params: dict[str, Shape],
    x_shape: Shape,
    functions: Callable[[str], str],
) -> Derivative:
    """The trace of `expr` over `x` and `params`, and its derivative for every param."""
    return _Tracer(params, x_shape, functions).run(expr)


class _Tracer:
    def __init__(
        self, params: dict[str, Shape], x_shape: Shape, functions: Callable[[str], str]
    ) -> None:
        self.params = params
        self.x_shape = x_shape
        self.functions = functions
        self.nodes: list[_Node] = []
        self.shapes: dict[str, Shape] = {"x": x_shape, **params}
        self.seen: dict[ir.Expr, str] = {}  # each operation traced, by its expression

    def run(self, expr: ir.Expr) -> Derivative:
        root = self.trace(expr)
        if not self.nodes or not isinstance(root, str) or root != self.nodes[-1].name:
            # The formula is one name (`forward y = w`): copy it, so that the optimizer's
            # in-place updates do not change the outputs already computed.
            self.nodes.append(_Node("", expr, self.shape_of(root), [root]))
        self.nodes[-1].name = "outputs"
        self.shapes["outputs"] = self.nodes[-1].shape
        forward = tuple(f"{node.name} = {self.spell(node)}" for node in self.nodes)
        backward, gradients = self.backward()
        used = used_names(backward)
        saved = tuple(n.name for n in self.nodes if n.name in used)
        return Derivative(forward, saved, backward, gradients)

    # The forward pass --------------------------------------------------------------------

    def trace(self, expr: ir.Expr) -> str | ir.Expr:
        """The name holding `expr`'s value (a new line for an operation computed once), or a
        constant."""
        if isinstance(expr, ir.Const):
            return expr
        if isinstance(expr, ir.Ref):
            return expr.name
        if expr in self.seen:
            return self.seen[expr]
        if isinstance(expr, ir.BinOp):
            left, right = self.trace(expr.left), self.trace(expr.right)
            operands: list[str | ir.Expr] = [left, right]
            if expr.op == "@":
                shape = (self.shape_of(left)[0], self.shape_of(right)[1])
            else:
                shape = _broadcast(self.shape_of(left), self.shape_of(right))
        elif isinstance(expr, ir.Neg | ir.Call):
            operand = self.trace(expr.operand if isinstance(expr, ir.Neg) else expr.arg)
            operands, shape = [operand], self.shape_of(operand)
        else:
            raise TypeError(f"not a formula node: {expr!r}")
        name = f"v{len(self.nodes) + 1}"
        self.nodes.append(_Node(name, expr, shape, operands))
        self.shapes[name] = shape
        self.seen[expr] = name
        return name

    def shape_of(self, operand: str | ir.Expr) -> Shape:
        return () if isinstance(operand, ir.Const) else self.shapes[operand]  # type: ignore[index]

    def spell(self, node: _Node) -> str:
        """One operation on names and numbers."""
        expr, ops = node.expr, [_atom(o) for o in node.operands]
        if isinstance(expr, ir.BinOp):
            return pow_text(*ops) if expr.op == "**" else f"{ops[0]} {expr.op} {ops[1]}"
        if isinstance(expr, ir.Neg):
            return f"-{ops[0]}"
        if isinstance(expr, ir.Call):
            return f"{self.functions(expr.fn)}({ops[0]})"
        return f"{ops[0]}.copy()"

    # The backward pass -------------------------------------------------------------------

    def depends(self, operand: str | ir.Expr) -> bool:
        """Whether a value changes with a param: only those have gradients to compute."""
        return isinstance(operand, str) and operand in self.needs

    def backward(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        self.needs = set(self.params)
        for node in self.nodes:
            if any(isinstance(o, str) and o in self.needs for o in node.operands):
                self.needs.add(node.name)
        lines: list[str] = []
        # Each value's parts of its gradient, one per use; summed when all uses are in.
        terms: dict[str, list[str]] = {name: [] for name in self.needs}
        grads = {"outputs": "grad_outputs"}  # a value's name -> the name of its gradient
        for node in reversed(self.nodes):
            if node.name not in self.needs:
                continue
            if node.name != "outputs":  # every use of it is differentiated by now
                grads[node.name] = self.total(node.name, terms[node.name], lines)
            for operand, term in self.chain(node, grads[node.name]):
                if self.depends(operand):
                    assert isinstance(operand, str)
                    have = self.shapes[operand] if _keeps_shape(node) else node.shape
                    terms[operand].append(_sum_to(term, have, self.shapes[operand]))
        gradients = []
        for param in self.params:
            parts = terms[param] or [f"np.zeros_like({param})"]  # a param the formula skips
            lines.append(f"grad_{param} = {' + '.join(parts)}")
            gradients.append(f"grad_{param}")
        return tuple(lines), tuple(gradients)

    def total(self, name: str, parts: list[str], lines: list[str]) -> str:
        """The name of a value's gradient: a line summing its parts, or the one part's name."""
        if len(parts) == 1 and parts[0].isidentifier():
            return parts[0]  # `+` passes the gradient on unchanged
        lines.append(f"grad_{name} = {' + '.join(parts)}")
        return f"grad_{name}"

    def chain(self, node: _Node, g: str) -> list[tuple[str | ir.Expr, str]]:
        """Each operand, and its part of the gradient: `g` times d(node)/d(operand)."""
        expr, ops = node.expr, node.operands
        atoms = [_atom(o) for o in ops]
        if isinstance(expr, ir.Neg):
            return [(ops[0], f"-{g}")]
        if isinstance(expr, ir.Call):
            rule = DERIVATIVES[expr.fn]
            return [(ops[0], rule.format(g=g, a=atoms[0], n=node.name))]
        if not isinstance(expr, ir.BinOp):
            return [(ops[0], g)]
        (a, b), op = atoms, expr.op
        if op == "+":
            return [(ops[0], g), (ops[1], g)]
        if op == "-":
            return [(ops[0], g), (ops[1], f"-{g}")]
        if op == "*":
            return [(ops[0], f"{g} * {b}"), (ops[1], f"{g} * {a}")]
        if op == "/":
            return [(ops[0], f"{g} / {b}"), (ops[1], f"-{g} * {node.name} / {b}")]
        if op == "@":
            return [(ops[0], f"{g} @ {b}.T"), (ops[1], f"{a}.T @ {g}")]
        # a**b: b * a**(b - 1) for the base, a**b * log(a) for the exponent.
        return [
            (ops[0], f"{g} * {_power_rule(ops[1], a)}"),
            (ops[1], f"{g} * {node.name} * np.log({a})"),
        ]


def _keeps_shape(node: _Node) -> bool:
    """`@`'s gradients have its operands' shapes; the other operations' have the result's."""
    return isinstance(node.expr, ir.BinOp) and node.expr.op == "@"


def _power_rule(exponent: str | ir.Expr, base: str) -> str:
    """d(base**exponent)/d(base), with a constant exponent folded: `2 * v1`, `3 * v1**2`."""
    if isinstance(exponent, ir.Const):
        c = exponent.value
        if c == 2:
            return f"2 * {base}"
        lower = c - 1
        return f"{_atom(exponent)} * {pow_text(base, _atom(ir.Const.model_construct(value=lower)))}"
    return f"{exponent} * {pow_text(base, f'({exponent} - 1)')}"


def _atom(operand: str | ir.Expr) -> str:
    """A name, or a number parenthesised where it is negative."""
    if isinstance(operand, str):
        return operand
    assert isinstance(operand, ir.Const)
    text = number(operand.value)
    return f"({text})" if operand.value < 0 else text


def _broadcast(a: Shape, b: Shape) -> Shape:
    """NumPy's broadcast of two shapes the checker accepted."""
    size = max(len(a), len(b))
    a, b = (1,) * (size - len(a)) + a, (1,) * (size - len(b)) + b
    return tuple(n if m == 1 else m for m, n in zip(a, b, strict=True))


def _sum_to(term: str, have: Shape, want: Shape) -> str:
    """`term`, of shape `have`, summed over the axes NumPy broadcast a `want` to."""
    lead = len(have) - len(want)
    kept = [i for i, (m, n) in enumerate(zip(have[lead:], want, strict=True)) if n == 1 and m != 1]
    if not lead and not kept:
        return term
    text = f"({term})" if not term.isidentifier() else term
    if lead:
        axes = "0" if lead == 1 else "(" + ", ".join(map(str, range(lead))) + ")"
        text += f".sum(axis={axes})"
    if kept:
        axes = str(kept[0]) if len(kept) == 1 else "(" + ", ".join(map(str, kept)) + ")"
        text += f".sum(axis={axes}, keepdims=True)"
    return text


def used_names(lines: tuple[str, ...] | list[str]) -> set[str]:
    """Every name the lines mention."""
    return {name for line in lines for name in re.findall(r"[A-Za-z_]\w*", line)}
