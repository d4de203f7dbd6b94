"""Expressions and their shapes: data formulas, the forward formula, literals and initializers."""

from __future__ import annotations

import math

from .. import ir
from .. import syntax as s
from .. import vocabulary as v
from ..diagnostics import did_you_mean, one_of, shape_text
from .report import Invalid, Reporter
from .scope import Scope
from .values import literal_number, number, whole

Shape = tuple[int | None, ...]  # () a number; None rows: read from a file at run time

_SIZE = v.Option("size", "integer", "a size", low=1, high=v.MAX_ELEMENTS)
_COUNT = v.Option("count", "integer", "the count", low=1, high=v.MAX_ELEMENTS)
_BOUND = v.Option(
    "bound", "integer", "a bound of `randint`", low=-v.MAX_INTEGER, high=v.MAX_INTEGER
)
# What a data expression may call: the generators, the element-wise functions, labels.
_DATA_CALLS = v.Words(
    "data function",
    "data functions",
    (*v.GENERATORS.words, *v.DATA_FUNCTIONS.words, v.ARGMAX, v.RESHAPE, v.DATASET, v.WINDOWS),
)


def refs(expr: ir.Expr) -> set[str]:
    """The names an expression reads."""
    if isinstance(expr, ir.Ref):
        return {expr.name}
    if isinstance(expr, ir.BinOp | ir.Compare):
        return refs(expr.left) | refs(expr.right)
    if isinstance(expr, ir.Neg):
        return refs(expr.operand)
    if isinstance(expr, ir.Call | ir.Argmax | ir.Reshape | ir.Rows | ir.Windows):
        return refs(expr.arg)
    return set()


def labels(expr: ir.Expr, data: dict[str, ir.Data]) -> int | None:
    """How many classes of integer labels a data expression gives, or None if not labels."""
    if isinstance(expr, ir.Compare):
        return 2
    if isinstance(expr, ir.Argmax):
        return expr.classes
    if isinstance(expr, ir.Dataset) and expr.part == "labels":
        return v.DATASET_SHAPES[expr.name][2]
    if isinstance(expr, ir.Draw) and expr.fn == "randint" and expr.shape[1] == 1:
        low, high = expr.params
        return max(int(high) - 1, 1) + 1 if low >= 0 else None  # as a list of them would
    if isinstance(expr, ir.Windows) and expr.part == "targets":  # the label after each window
        return labels(expr.arg, data)
    if isinstance(expr, ir.Ref):
        return data[expr.name].labels if expr.name in data else None
    if isinstance(expr, ir.ArrayLiteral) and len(expr.rows[0]) == 1:
        values = [row[0] for row in expr.rows]
        if all(isinstance(n, int) and n >= 0 for n in values):
            return max(max(values), 1) + 1  # type: ignore[type-var]
    return None


class Lowering:
    """Lowers one kind of expression to the IR and infers its shape, NumPy's way.

    Subclasses say what a name and a call mean where the expression is written.
    """

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.report = scope.report

    def name(self, node: s.Name) -> tuple[ir.Expr, Shape]:
        """What a name means here, and its shape."""
        raise NotImplementedError

    def call(self, node: s.Call) -> tuple[ir.Expr, Shape]:
        """What a function call means here, and its shape."""
        raise NotImplementedError

    def rows(self, node: s.Rows) -> tuple[ir.Expr, Shape]:
        """What `x[:3]` means here: rows of data are data (DataLowering says how)."""
        raise self.report.error(
            "rows of data are for `data` and `predict`; a formula computes on every row of `x`",
            node.span,
            f"name them on a `data` line: `data some = {node.name.id}[...]`",
        )

    def lower(self, expr: s.Expr) -> tuple[ir.Expr, Shape]:
        """The IR of `expr` and its shape: () for a number, else (rows, columns) or (n,)."""
        if isinstance(expr, s.Number) or (
            isinstance(expr, s.Name) and expr.id in v.CONSTANT_VALUES
        ):
            return ir.Const.model_construct(value=number(self.report, expr, "a number")), ()
        if isinstance(expr, s.Name):
            return self.name(expr)
        if isinstance(expr, s.Unary):
            operand, shape = self.lower(expr.operand)
            if expr.op == "+":
                return operand, shape
            if isinstance(operand, ir.Const):  # `-1` reads as a number, not a negation
                return ir.Const.model_construct(value=-operand.value), ()
            return ir.Neg.model_construct(operand=operand), shape
        if isinstance(expr, s.BinOp) and expr.op in v.COMPARISONS:
            return self.compare(expr)
        if isinstance(expr, s.BinOp):
            left, left_shape = self.lower(expr.left)
            right, right_shape = self.lower(expr.right)
            if expr.op == "@":
                shape = self.matmul(left_shape, right_shape, expr)
            else:
                shape = self.broadcast(left_shape, right_shape, expr)
            return ir.BinOp.model_construct(op=expr.op, left=left, right=right), shape
        if isinstance(expr, s.Array):
            return self.literal(expr)
        if isinstance(expr, s.Call):
            return self.call(expr)
        if isinstance(expr, s.Rows):
            return self.rows(expr)
        if isinstance(expr, s.String):
            raise self.report.error("a string is not a value here", expr.span)
        raise self.report.error("expected a number, a name, a list or a function", expr.span)

    def literal(self, expr: s.Array) -> tuple[ir.Expr, Shape]:
        """A list of numbers, as a value of its shape."""
        literal = array(self.report, expr)
        return literal, literal.shape

    def compare(self, expr: s.BinOp) -> tuple[ir.Expr, Shape]:
        """`a > b` gives 1.0 where it holds, else 0.0: data only, since it has no gradient."""
        raise self.report.error(
            f"`{expr.op}` gives 0 or 1, which has no gradient: comparisons belong in `data`",
            expr.span,
            "make labels with `data y = (x > 0)`, then train on them with `loss bce`",
        )

    def broadcast(self, left: Shape, right: Shape, expr: s.BinOp) -> Shape:
        """NumPy's broadcasting rule, with rows that are unknown until run time."""
        if not left or not right:
            return left or right
        size = max(len(left), len(right))
        a = (1,) * (size - len(left)) + left
        b = (1,) * (size - len(right)) + right
        out: list[int | None] = []
        for m, n in zip(a, b, strict=True):
            if m == n or n == 1:
                out.append(m)
            elif m == 1:
                out.append(n)
            else:
                raise self.report.error(
                    f"shapes {shape_text(left)} and {shape_text(right)} do not fit together "
                    f"in `{expr.op}`",
                    expr.span,
                    "both sides need the same number of rows and columns",
                )
        return tuple(out)

    def matmul(self, left: Shape, right: Shape, expr: s.BinOp) -> Shape:
        """The shape of `left @ right`, for matrices whose inner sizes agree."""
        if len(left) != 2 or len(right) != 2:
            raise self.report.error(
                f"`@` multiplies matrices; these have shapes {shape_text(left)} and "
                f"{shape_text(right)}",
                expr.span,
                "declare the weight as a matrix, for example `param W[2, 1]`",
            )
        if left[1] != right[0]:
            raise self.report.error(
                f"shapes {shape_text(left)} @ {shape_text(right)}: "
                f"{left[1]} columns against {right[0]} rows",
                expr.span,
            )
        return (left[0], right[1])

    def function(self, call: s.Call, allowed: v.Words) -> tuple[ir.Expr, Shape]:
        """An element-wise function of one argument: `exp(x)`, `relu(x @ W)`."""
        name = call.func.text
        if name not in allowed:
            raise self.report.error(
                f"unknown function `{name}`",
                call.func.span,
                did_you_mean(name, allowed.names) or allowed.choices(),
            )
        if len(call.args) != 1 or call.kwargs:
            raise self.report.error(f"`{name}` takes one argument", call.span)
        arg, shape = self.lower(call.args[0])
        return ir.Call.model_construct(fn=name, arg=arg), shape


def _bound(report: Reporter, expr: s.Expr, rows: int) -> int:
    """A bound of `x[a:b]`: a whole number within the rows (negative: from the end)."""
    literal = literal_number(expr)
    if not isinstance(literal, int):
        raise report.error("a row is a whole number", expr.span, "write `x[:3]` or `x[10:20]`")
    if not -rows <= literal <= rows:
        raise report.error(f"row {literal} is past the {rows} rows there are", expr.span)
    return literal


def _rows_text(node: s.Rows) -> str:
    """`x[3:3]`, as the spec wrote it (in numbers)."""
    start, stop = (str(literal_number(b)) if b is not None else "" for b in (node.start, node.stop))
    return f"{node.name.id}[{start}:{stop}]"


class DataLowering(Lowering):
    """A `data` expression: earlier data, draws, files, literals; computed once with NumPy."""

    def name(self, node: s.Name) -> tuple[ir.Expr, Shape]:
        self.scope.mentioned.add(node.id)
        if node.id in self.scope.data:
            return ir.Ref.model_construct(name=node.id), self.scope.data[node.id][0].shape
        if node.id in self.scope.failed:
            raise Invalid()  # its own statement's error is reported; this one fails with it
        help_text = did_you_mean(node.id, self.scope.data)
        if help_text is None and node.id in v.PARAMETERS:
            help_text = f"call it: `{node.id}(100)`"
        if node.id in self.scope.params:
            help_text = "params belong in the `forward` formula, not in data"
        raise self.report.error(
            f"`{node.id}` is not defined",
            node.span,
            help_text or "define it with `data` on an earlier line",
        )

    def compare(self, expr: s.BinOp) -> tuple[ir.Expr, Shape]:
        left, left_shape = self.lower(expr.left)
        right, right_shape = self.lower(expr.right)
        shape = self.broadcast(left_shape, right_shape, expr)
        return ir.Compare.model_construct(op=expr.op, left=left, right=right), shape

    def call(self, node: s.Call) -> tuple[ir.Expr, Shape]:
        name = node.func.text
        if name in v.DATA_FUNCTIONS:
            return self.function(node, v.DATA_FUNCTIONS)
        if name == "csv":
            return csv(self.report, node)
        if name == "argmax":
            return self.argmax(node)
        if name == "reshape":
            return self.reshape(node)
        if name == "dataset":
            raise self.report.error(
                "`dataset` gives two tables, the features and the labels",
                node.span,
                f"name both: `data x, y = {_call_text(node)}`",
            )
        if name == "windows":
            self.scope.mentioned |= {a.id for a in node.args if isinstance(a, s.Name)}
            raise self.report.error(
                f"`windows` gives two tables, {_WINDOWS_PARTS}",
                node.span,
                f"name both on a `data` line of its own: `data x, y = {_call_text(node)}`",
            )
        if name not in v.PARAMETERS:
            raise self.report.error(
                f"unknown function `{name}`",
                node.func.span,
                did_you_mean(name, _DATA_CALLS.names) or _DATA_CALLS.choices(),
            )
        return generator(self.report, node)

    def rows(self, node: s.Rows) -> tuple[ir.Expr, Shape]:
        """`x[:3]`, `x[10:20]`, `x[-5:]`: rows of earlier data, as Python slices them; an empty
        slice, or one that reaches past the rows, is an error."""
        ref, shape = self.name(node.name)
        assert isinstance(ref, ir.Ref)
        rows = shape[0] if shape else None
        if rows is None:  # a CSV file's rows are known when the script runs
            raise self.report.error(
                f"`{node.name.id}`'s rows are known only when the script runs",
                node.span,
                "take rows of data whose size the spec gives",
            )
        bounds = [
            None if b is None else _bound(self.report, b, rows) for b in (node.start, node.stop)
        ]
        start, stop = slice(*bounds).indices(rows)[:2]
        if stop <= start:
            raise self.report.error(
                f"`{_rows_text(node)}` holds no rows (`{node.name.id}` has {rows})",
                node.span,
                f"write `{node.name.id}[:3]` for its first 3 rows",
            )
        rows_ir = ir.Rows.model_construct(arg=ref, start=bounds[0], stop=bounds[1])
        return rows_ir, (stop - start, *shape[1:])

    def argmax(self, node: s.Call) -> tuple[ir.Expr, Shape]:
        """`argmax(e)`: for each row of `e`, the column of its largest value."""
        if len(node.args) != 1 or node.kwargs:
            raise self.report.error(
                "`argmax` takes one argument", node.span, f"write `{v.ARGMAX.usage}`"
            )
        arg, shape = self.lower(node.args[0])
        if len(shape) != 2 or shape[1] is None:
            raise self.report.error(
                f"`argmax` picks a column in each row of a table; this has shape "
                f"{shape_text(shape)}",
                node.args[0].span,
                f"write `{v.ARGMAX.usage}`",
            )
        if shape[1] == 1:
            raise self.report.error(
                "`argmax` of one column is 0 in every row",
                node.args[0].span,
                "give it one column per class, or make two classes with a comparison: " "`(x > 0)`",
            )
        return ir.Argmax.model_construct(arg=arg, classes=shape[1]), (shape[0], 1)

    def reshape(self, node: s.Call) -> tuple[ir.Expr, Shape]:
        """`reshape(pixels, 8, 8, 1)`: each row of `pixels` as a sample of shape (8, 8, 1)."""
        usage = f"write `{v.RESHAPE.usage}`"
        if len(node.args) < 2 or node.kwargs:
            raise self.report.error(
                "`reshape` takes the data and the shape of each sample", node.span, usage
            )
        arg, shape = self.lower(node.args[0])
        sample = tuple(whole(self.report, a, _SIZE) for a in node.args[1:])
        if len(shape) < 2:
            raise self.report.error(
                f"`reshape` shapes each row of a table; this has shape {shape_text(shape)}",
                node.args[0].span,
                usage,
            )
        given = math.prod(n for n in shape[1:] if n is not None)
        if None not in shape[1:] and given != math.prod(sample):
            raise self.report.error(
                f"samples of {given} value(s) cannot be reshaped to "
                f"{shape_text(sample)}, which holds {math.prod(sample)}",
                node.span,
                f"the sizes must multiply out to {given}",
            )
        reshaped = ir.Reshape.model_construct(arg=arg, sample=sample)
        return reshaped, (shape[0], *sample)


_WINDOWS_PARTS = "the windows and the row after each"
_STEPS = v.Option("steps", "integer", "the steps of a window", low=1, high=v.MAX_ELEMENTS)


def windows(lowering: DataLowering, call: s.Call) -> tuple[ir.Ref, int, tuple[int, int]]:
    """`windows(series, n)`: the series, a table of known rows, its windows' steps, and its
    shape."""
    report = lowering.report
    usage = f"write `{v.WINDOWS.usage}`"
    lowering.scope.mentioned |= {a.id for a in call.args if isinstance(a, s.Name)}
    if len(call.args) != 2 or call.kwargs:
        raise report.error(
            "`windows` takes a series and the steps of each window", call.span, usage
        )
    given, steps_expr = call.args
    if not isinstance(given, s.Name):
        report.attempt(lambda: lowering.lower(given))  # its own errors first
        raise report.error(
            "`windows` takes the name of earlier data",
            given.span,
            "name the series on a `data` line first, then take its windows",
        )
    ref, shape = lowering.name(given)
    assert isinstance(ref, ir.Ref)
    steps = whole(report, steps_expr, _STEPS)
    if len(shape) != 2:
        raise report.error(
            f"`windows` slides down the rows of a table; `{given.id}` holds samples of shape "
            f"{shape_text(shape[1:])}",
            given.span,
            "take the windows of a series, one row per step",
        )
    rows, columns = shape
    if rows is None:  # a CSV file's rows are known when the script runs
        raise report.error(
            f"`{given.id}`'s rows are known only when the script runs",
            given.span,
            "take windows of data whose size the spec gives",
        )
    assert columns is not None
    if steps >= rows:
        raise report.error(
            f"`{given.id}` has {rows} row(s): a window of {steps} step(s) leaves no row after "
            "it for its target",
            steps_expr.span,
            (
                f"take at most {rows - 1} step(s): `windows({given.id}, {rows - 1})`"
                if rows > 1
                else f"give `{given.id}` more rows than a window has steps"
            ),
        )
    if (elements := (rows - steps) * steps * columns) > v.MAX_ELEMENTS:
        raise report.error(f"{elements:,} values is too much data", call.span)
    return ref, steps, (rows, columns)


def _call_text(node: s.Call) -> str:
    """`dataset("iris")` or `windows(s, 10)` as written, for help texts: strings, names and
    numbers as they are, anything else as `...`."""
    return f"{node.func.text}({', '.join(_arg_text(a) for a in node.args)})"


def _arg_text(arg: s.Expr) -> str:
    if isinstance(arg, s.String):
        return f'"{arg.value}"'
    if isinstance(arg, s.Name):
        return arg.id
    literal = literal_number(arg)
    return "..." if literal is None else str(literal)


def dataset(report: Reporter, call: s.Call) -> str:
    """`dataset("iris")`: the name of one of scikit-learn's bundled data sets."""
    if len(call.args) != 1 or call.kwargs or not isinstance(call.args[0], s.String):
        raise report.error(
            "`dataset` takes the name of a data set in double quotes",
            call.span,
            f"write `{v.DATASET.usage}`; {v.DATASETS.choices()}",
        )
    name = call.args[0].value
    if name not in v.DATASETS:
        raise report.error(
            f'unknown data set "{name}"',
            call.args[0].span,
            did_you_mean(name, v.DATASETS.names) or v.DATASETS.choices(),
        )
    return name


class FormulaLowering(Lowering):
    """The `forward` formula: `x`, params and numbers, computed by the framework."""

    def __init__(self, scope: Scope, x_shape: Shape) -> None:
        super().__init__(scope)
        self.x_shape = x_shape

    def name(self, node: s.Name) -> tuple[ir.Expr, Shape]:
        if node.id == "x":
            return ir.Ref.model_construct(name="x"), self.x_shape
        if node.id in self.scope.params:
            return ir.Ref.model_construct(name=node.id), self.scope.params[node.id][0].shape
        if node.id in self.scope.failed:
            raise Invalid()  # its own statement's error is reported; this one fails with it
        if node.id in self.scope.data:
            raise self.report.error(
                f"`{node.id}` is data; a formula computes from `x` and params",
                node.span,
                f"declare a weight with `param {node.id}[1]`, or train on it as `x`",
            )
        raise self.report.error(
            f"`{node.id}` is not defined",
            node.span,
            did_you_mean(node.id, ["x", *self.scope.params])
            or f"declare `{node.id}` with `param` before using it",
        )

    def literal(self, expr: s.Array) -> tuple[ir.Expr, Shape]:
        array(self.report, expr)  # its own errors first
        raise self.report.error(
            "a list is not a value in a formula, which computes from `x`, params and numbers",
            expr.span,
            "write a number for a constant; for a vector or a matrix, declare a param that "
            "starts at it, as in `param c[2, 1] = [[1], [0]]` (it then trains with the rest)",
        )

    def call(self, node: s.Call) -> tuple[ir.Expr, Shape]:
        name = node.func.text
        if name in _DATA_CALLS and name not in v.FORMULA_FUNCTIONS:
            raise self.report.error(
                f"`{name}` makes data; a formula computes from `x` and params",
                node.func.span,
                f"compute it on a `data` line, or use one of the {v.FORMULA_FUNCTIONS.plural} "
                f"{one_of(v.FORMULA_FUNCTIONS.names)}",
            )
        return self.function(node, v.FORMULA_FUNCTIONS)


def generator(report: Reporter, call: s.Call) -> tuple[ir.Expr, Shape]:
    """A draw (`randn(100, 1)`, `uniform(-1, 1, 100)`) or `linspace(0, 1, 50)`."""
    name = call.func.text
    if call.kwargs:
        raise report.error(f"`{name}` takes no named arguments", call.kwargs[0].key.span)
    n_params = v.PARAMETERS[name]
    n_sizes = len(call.args) - n_params
    if (name == "linspace" and n_sizes != 0) or (name != "linspace" and n_sizes not in (1, 2)):
        raise report.error(
            f"wrong number of arguments to `{name}`",
            call.span,
            f"write {v.GENERATORS[name].usage}",
        )
    if name == "randint":
        params: tuple[int | float, ...] = tuple(whole(report, a, _BOUND) for a in call.args[:2])
    else:
        params = tuple(number(report, a, f"an argument of `{name}`") for a in call.args[:n_params])
    if name == "linspace":
        num = whole(report, call.args[2], _COUNT)
        return ir.Linspace.model_construct(start=params[0], stop=params[1], num=num), (num, 1)
    sizes = [whole(report, a, _SIZE) for a in call.args[n_params:]]
    shape = (sizes[0], sizes[1] if len(sizes) == 2 else 1)
    elements = shape[0] * shape[1]
    if elements > v.MAX_ELEMENTS:
        raise report.error(f"{elements:,} values is too much data", call.span)
    if name == "uniform" and params[0] >= params[1]:
        raise report.error("`uniform(low, high, ...)` needs low < high", call.span)
    if name == "randint" and params[0] >= params[1]:
        raise report.error(
            "`randint(low, high, ...)` needs low < high",
            call.span,
            "it draws whole numbers from low up to high - 1: `randint(0, 50, ...)` draws 0 to 49",
        )
    if name == "normal" and params[1] < 0:
        raise report.error("the standard deviation cannot be negative", call.args[1].span)
    return ir.Draw.model_construct(fn=name, params=params, shape=shape), shape


def csv(report: Reporter, call: s.Call) -> tuple[ir.Expr, Shape]:
    """`csv("file.csv", "column", ...)`: columns read when the script runs, rows unknown."""
    args = call.args
    if len(args) < 2 or call.kwargs or not all(isinstance(a, s.String) for a in args):
        raise report.error(
            "`csv` takes a file name and the columns to read, all in double quotes",
            call.span,
            f"write {v.GENERATORS['csv'].usage}",
        )
    path, *columns = (a.value for a in args)  # type: ignore[union-attr]
    limits = [v.MAX_PATH] + [v.MAX_COLUMN] * len(columns)
    for arg, text, longest in zip(args, [path, *columns], limits, strict=True):
        if not text or not text.isprintable():
            raise report.error("file and column names must be printable text", arg.span)
        if len(text) > longest:
            raise report.error(f"a name longer than {longest} characters", arg.span)
    if len(set(columns)) != len(columns):
        raise report.error("a column is listed twice", call.span)
    return ir.Csv.model_construct(path=path, columns=tuple(columns)), (None, len(columns))


def array(report: Reporter, expr: s.Array) -> ir.ArrayLiteral:
    """A literal table: a flat list is one column, a list of lists is rows."""
    if not expr.items:
        raise report.error("an empty list has no values", expr.span)
    if not all(isinstance(item, s.Array) for item in expr.items):
        return ir.ArrayLiteral.model_construct(
            rows=tuple((x,) for x in _row(report, expr)), column=True
        )
    rows = [_row(report, item) for item in expr.items]  # type: ignore[arg-type]
    width = len(rows[0])
    for row, item in zip(rows, expr.items, strict=True):
        if len(row) != width:
            raise report.error(
                f"this row has {len(row)} value(s), the first row has {width}",
                item.span,
                "every row needs the same number of values",
            )
    return ir.ArrayLiteral.model_construct(rows=tuple(rows))


def _row(report: Reporter, expr: s.Array) -> tuple[int | float, ...]:
    if not expr.items:
        raise report.error("an empty row", expr.span)
    if len(expr.items) > v.MAX_ELEMENTS:
        raise report.error("this list is too long", expr.span)
    values = []
    for item in expr.items:
        if literal_number(item) is None:
            what = "lists nest at most two deep" if isinstance(item, s.Array) else "a number"
            raise report.error(f"expected a number here ({what})", item.span)
        values.append(number(report, item, "a value"))
    return tuple(values)


# Initializers ---------------------------------------------------------------------------


def init(report: Reporter, expr: s.Expr, shape: tuple[int, ...], role: str) -> ir.Init:
    """An initializer for a weight of `shape`: a name, a distribution, a number or a list.

    `role` is "kernel", "bias" or "param".
    """
    if isinstance(expr, s.Name):
        return _named_init(report, expr, shape, role)
    if isinstance(expr, s.Call):
        return _drawn_init(report, expr)
    if isinstance(expr, s.Array):
        return _array_init(report, expr, shape)
    if literal_number(expr) is not None:
        return ir.Init.model_construct(
            kind="constant", args=(number(report, expr, "the initial value"),)
        )
    raise report.error(
        "unknown initializer", expr.span, f"{v.INITIALIZERS.choices()}, a number or a list"
    )


def _named_init(report: Reporter, expr: s.Name, shape: tuple[int, ...], role: str) -> ir.Init:
    if expr.id not in v.INITIALIZERS:
        raise report.error(
            f"unknown {v.INITIALIZERS.singular} `{expr.id}`",
            expr.span,
            did_you_mean(expr.id, v.INITIALIZERS.names) or v.INITIALIZERS.choices(),
        )
    kind = expr.id
    if kind in v.DRAWN_INITIALIZERS:
        usage = v.INITIALIZERS[kind].usage
        raise report.error(f"`{kind}` needs its parameters", expr.span, f"write `{usage}`")
    if kind == "glorot_uniform" and len(shape) < 2:
        raise report.error(
            f"`glorot_uniform` is for matrices; this weight has shape {shape_text(shape)}",
            expr.span,
            "use `zeros`, a number or `uniform(low, high)`",
        )
    if kind == "orthogonal" and len(shape) != 2:
        raise report.error(
            f"`orthogonal` is for matrices; this weight has shape {shape_text(shape)}",
            expr.span,
            ("use `glorot_uniform`, " if len(shape) > 2 else "use ")
            + "`zeros`, a number or `uniform(low, high)`",
        )
    if kind == "native" and role == "param":
        raise report.error(
            "`native` is for layers: a param's framework has no default for it",
            expr.span,
            "draw it with NumPy instead, for example `uniform(-1, 1)`",
        )
    return ir.Init.model_construct(kind=kind)


def _drawn_init(report: Reporter, expr: s.Call) -> ir.Init:
    """`uniform(low, high)` or `normal(mean, std)`, drawn with NumPy."""
    kind = expr.func.text
    if kind in v.INITIALIZERS and kind not in v.DRAWN_INITIALIZERS:
        raise report.error(f"`{kind}` takes no arguments", expr.span, f"write `{kind}`")
    if kind not in v.DRAWN_INITIALIZERS:
        raise report.error(
            f"unknown {v.INITIALIZERS.singular} `{kind}`",
            expr.func.span,
            did_you_mean(kind, v.DRAWN_INITIALIZERS)
            or f"the initializers called with numbers are {one_of(v.DRAWN_INITIALIZERS)}",
        )
    if len(expr.args) != 2 or expr.kwargs:
        usage = v.INITIALIZERS[kind].usage
        raise report.error(f"`{kind}` takes two numbers", expr.span, f"write `{usage}`")
    args = tuple(number(report, a, f"an argument of `{kind}`") for a in expr.args)
    if kind == "uniform" and args[0] >= args[1]:
        raise report.error("`uniform(low, high)` needs low < high", expr.span)
    if kind == "normal" and args[1] < 0:
        raise report.error("the standard deviation cannot be negative", expr.args[1].span)
    return ir.Init.model_construct(kind=kind, args=args)


def _array_init(report: Reporter, expr: s.Array, shape: tuple[int, ...]) -> ir.Init:
    """A literal list of the weight's shape; a column fits a vector or a one-column matrix."""
    literal = array(report, expr)
    values = [x for row in literal.rows for x in row]
    fits = literal.shape == shape if len(shape) == 2 else literal.column
    if len(shape) == 2 and literal.column and shape[1] == 1:
        fits = len(values) == shape[0]
    given = (len(values),) if literal.column else literal.shape
    if not fits or len(values) != math.prod(shape):
        raise report.error(
            f"this list has shape {shape_text(given)}, the weight has shape {shape_text(shape)}",
            expr.span,
        )
    return ir.Init.model_construct(kind="array", values=literal)
