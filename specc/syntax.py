"""The syntax tree: what the spec says, with where it says it. Nothing is checked here."""

from __future__ import annotations

from dataclasses import dataclass

from .diagnostics import Span


@dataclass(frozen=True)
class Word:
    """A name as written: a keyword argument, a layer kind, a data name, ..."""

    text: str
    span: Span


# Expressions -------------------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    value: int | float
    text: str
    span: Span


@dataclass(frozen=True)
class Name:
    id: str
    span: Span


@dataclass(frozen=True)
class String:
    value: str
    span: Span


@dataclass(frozen=True)
class Call:
    func: Word
    args: tuple[Expr, ...]
    kwargs: tuple[tuple[Word, Expr], ...]
    span: Span


@dataclass(frozen=True)
class Array:
    items: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True)
class BinOp:
    op: str
    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True)
class Unary:
    op: str
    operand: Expr
    span: Span


Expr = Number | Name | String | Call | Array | BinOp | Unary


# Statements --------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """`key=value` or `key=a,b,c` after a statement's head."""

    key: Word
    values: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True)
class Statement:
    """Fields every statement has: its keyword and its whole span."""

    keyword: Word
    span: Span


@dataclass(frozen=True)
class ModelStmt(Statement):
    name: Word


@dataclass(frozen=True)
class SeedStmt(Statement):
    value: Expr


@dataclass(frozen=True)
class DtypeStmt(Statement):
    name: Word


@dataclass(frozen=True)
class DataStmt(Statement):
    """`data x = ...`, or `data x, y = dataset("iris")`: one name per table the value gives."""

    names: tuple[Word, ...]
    value: Expr

    @property
    def name(self) -> Word:
        return self.names[0]


@dataclass(frozen=True)
class LayerStmt(Statement):
    kind: Word
    size_in: Number
    size_out: Number
    activation: Word | None
    options: tuple[Option, ...]


@dataclass(frozen=True)
class ParamStmt(Statement):
    name: Word
    shape: tuple[Number, ...]
    init: Expr | None


@dataclass(frozen=True)
class ForwardStmt(Statement):
    name: Word
    value: Expr


@dataclass(frozen=True)
class LossStmt(Statement):
    kind: Word
    options: tuple[Option, ...]


@dataclass(frozen=True)
class OptimStmt(Statement):
    kind: Word
    options: tuple[Option, ...]


@dataclass(frozen=True)
class TrainStmt(Statement):
    options: tuple[Option, ...]


@dataclass(frozen=True)
class LogStmt(Statement):
    options: tuple[Option, ...]


@dataclass(frozen=True)
class PredictStmt(Statement):
    value: Expr


@dataclass(frozen=True)
class Program:
    statements: tuple[Statement, ...]
