"""The syntax tree: what the spec says, with where it says it. Nothing is checked here.

Nodes are named tuples, not dataclasses: every build defines these classes anew, and a
frozen dataclass takes ten times as long to define (6% of a cold build, for the tree).
Like any tuples, two nodes of different kinds with equal fields compare equal; no code
compares nodes, and the tests compare their `repr`s, which name the kinds.
"""

from __future__ import annotations

from typing import NamedTuple

from .diagnostics import Span


class Word(NamedTuple):
    """A name as written: a keyword argument, a layer kind, a data name, ..."""

    text: str
    span: Span


# Expressions -------------------------------------------------------------------------


class Number(NamedTuple):
    value: int | float
    text: str
    span: Span


class Name(NamedTuple):
    id: str
    span: Span


class String(NamedTuple):
    value: str
    span: Span


class Call(NamedTuple):
    func: Word
    args: tuple[Expr, ...]
    kwargs: tuple[Kwarg, ...]
    span: Span


class Kwarg(NamedTuple):
    """`name=value` among a call's arguments."""

    key: Word
    value: Expr


class Rows(NamedTuple):
    """`x[:3]`, `x[10:20]`, `x[-5:]`: rows of a data name, as Python slices them."""

    name: Name
    start: Expr | None
    stop: Expr | None
    span: Span


class Array(NamedTuple):
    items: tuple[Expr, ...]
    span: Span


class BinOp(NamedTuple):
    op: str
    left: Expr
    right: Expr
    span: Span


class Unary(NamedTuple):
    op: str
    operand: Expr
    span: Span


class Paren(NamedTuple):
    """`(a + b)`: brackets that only group. Only `parse(..., grouping=True)` keeps them, for
    `specc fmt`, which writes them back; the checker never meets one."""

    inner: Expr
    span: Span


Expr = Number | Name | String | Call | Array | Rows | BinOp | Unary | Paren


# Statements: each starts with its keyword and its whole span -------------------------


class Option(NamedTuple):
    """`key=value` or `key=a,b,c` after a statement's head."""

    key: Word
    values: tuple[Expr, ...]
    span: Span


class ModelStmt(NamedTuple):
    keyword: Word
    span: Span
    name: Word


class SeedStmt(NamedTuple):
    keyword: Word
    span: Span
    value: Expr


class DtypeStmt(NamedTuple):
    keyword: Word
    span: Span
    name: Word


class DataStmt(NamedTuple):
    """`data x = ...`, or `data x, y = dataset("iris")`: one name per table the value gives."""

    keyword: Word
    span: Span
    names: tuple[Word, ...]
    value: Expr

    @property
    def name(self) -> Word:
        return self.names[0]


class LayerStmt(NamedTuple):
    keyword: Word
    span: Span
    kind: Word
    size_in: Number | None  # `1` in `1->32`
    size_out: Number | None  # `32` in `1->32`
    number: Number | None  # the one number of `Dense 10`, `MaxPool2D 2`, `Dropout 0.5`
    words: tuple[Word, ...]  # the words that are not options: the activation, `relu`
    options: tuple[Option, ...]

    @property
    def activation(self) -> Word | None:
        return self.words[0] if self.words else None


class ParamStmt(NamedTuple):
    keyword: Word
    span: Span
    name: Word
    shape: tuple[Number, ...]
    init: Expr | None


class ForwardStmt(NamedTuple):
    keyword: Word
    span: Span
    name: Word
    value: Expr


class LossStmt(NamedTuple):
    keyword: Word
    span: Span
    kind: Word
    options: tuple[Option, ...]


class OptimStmt(NamedTuple):
    keyword: Word
    span: Span
    kind: Word
    options: tuple[Option, ...]


class ScheduleStmt(NamedTuple):
    keyword: Word
    span: Span
    kind: Word
    options: tuple[Option, ...]


class TrainStmt(NamedTuple):
    keyword: Word
    span: Span
    options: tuple[Option, ...]


class SplitStmt(NamedTuple):
    keyword: Word
    span: Span
    options: tuple[Option, ...]


class LogStmt(NamedTuple):
    keyword: Word
    span: Span
    options: tuple[Option, ...]


class PredictStmt(NamedTuple):
    keyword: Word
    span: Span
    value: Expr


class SaveStmt(NamedTuple):
    """`save "iris"`: after training, the model in each framework's own format."""

    keyword: Word
    span: Span
    name: String


class DistributeStmt(NamedTuple):
    """`distribute replicas=2`: data-parallel training, each global batch split in shards."""

    keyword: Word
    span: Span
    options: tuple[Option, ...]


class DeviceStmt(NamedTuple):
    """`device gpu`: train on a GPU where the framework sees one."""

    keyword: Word
    span: Span
    name: Word


Statement = (
    ModelStmt
    | SeedStmt
    | DtypeStmt
    | DataStmt
    | LayerStmt
    | ParamStmt
    | ForwardStmt
    | LossStmt
    | OptimStmt
    | ScheduleStmt
    | TrainStmt
    | SplitStmt
    | LogStmt
    | PredictStmt
    | SaveStmt
    | DistributeStmt
    | DeviceStmt
)


class Program(NamedTuple):
    statements: tuple[Statement, ...]
