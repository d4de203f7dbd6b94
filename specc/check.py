"""Check: syntax tree -> IR. Every semantic error is collected here, in source order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from . import ir
from . import syntax as s
from .diagnostics import Diagnostic, Source, Span, SpecError, did_you_mean, one_of

MAX_UNITS = 100_000  # wider layers are surely a typo
MAX_ELEMENTS = 50_000_000  # larger data would not fit a generated script's purpose
MAX_EPOCHS = 10_000_000
DEFAULT_SAMPLES = 100

ACTIVATIONS = ("linear", "relu", "sigmoid", "tanh")
LAYERS = ("Dense",)
LOSSES = ("mse",)
OPTIMIZERS = ("sgd",)
DTYPES = ("float32", "float64")
INITS = ("glorot_uniform", "zeros", "ones", "uniform", "normal")
# name -> number of leading distribution parameters before the sizes
GENERATORS = {"randn": 0, "rand": 0, "uniform": 2, "normal": 2, "linspace": 3}
ONCE = (
    s.ModelStmt,
    s.SeedStmt,
    s.DtypeStmt,
    s.LossStmt,
    s.OptimStmt,
    s.TrainStmt,
    s.LogStmt,
    s.PredictStmt,
)


class _Invalid(Exception):
    """A value is wrong; its diagnostic has been recorded. Unwinds one statement."""


Shape = tuple[int, ...]


class Checker:
    """Walks the statements once, building IR fields and collecting diagnostics."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.diagnostics: list[Diagnostic] = []
        self.fields: dict[str, Any] = {}
        self.data: dict[str, tuple[ir.Data, s.DataStmt]] = {}
        self.layers: list[tuple[ir.Dense, s.LayerStmt]] = []
        self.seen: dict[type, s.Statement] = {}  # the first of each once-only statement
        self.seen_kinds: set[type] = set()
        self.predict: s.PredictStmt | None = None
        self.log_every: int | None = None

    # reporting
    def error(self, message: str, span: Span | None, help: str | None = None) -> _Invalid:
        self.diagnostics.append(Diagnostic.error(message, span, help))
        return _Invalid()

    def warning(self, message: str, span: Span | None, help: str | None = None) -> None:
        self.diagnostics.append(Diagnostic.warning(message, span, help))

    # driver
    def check(self, program: s.Program) -> ir.Spec:
        handlers: dict[type, Callable[[Any], None]] = {
            s.ModelStmt: self.model,
            s.SeedStmt: self.seed,
            s.DtypeStmt: self.dtype,
            s.DataStmt: self.data_stmt,
            s.LayerStmt: self.layer,
            s.LossStmt: self.loss,
            s.OptimStmt: self.optim,
            s.TrainStmt: self.train,
            s.LogStmt: self.log,
            s.PredictStmt: self.predict_stmt,
        }
        for stmt in program.statements:
            if isinstance(stmt, ONCE):
                first = self.seen.get(type(stmt))
                if first is not None:
                    self.error(
                        f"`{stmt.keyword.text}` is given twice (first on line {first.span.line})",
                        stmt.keyword.span,
                        "remove one of them",
                    )
                    continue
                self.seen[type(stmt)] = stmt
            self.seen_kinds.add(type(stmt))
            try:
                handlers[type(stmt)](stmt)
            except _Invalid:
                pass
        return self.finish()

    def finish(self) -> ir.Spec:
        end = _end_of(self.source)
        if not self.seen and not self.layers and not self.data:
            self.error(
                "the spec is empty",
                end,
                "a spec needs at least a model, for example `layer Dense 1->1`",
            )
        elif not self.layers and s.LayerStmt not in self.seen_kinds:
            self.error(
                "the spec has no model",
                end,
                "add a layer, for example `layer Dense 1->1`",
            )
        if self.layers:
            self.default_data()
        predict = self.prediction() if self.predict and self.layers else None
        self.check_unused()
        if any(d.severity == "error" for d in self.diagnostics):
            raise SpecError(self.source, self.diagnostics)
        epochs = self.fields.get("training", ir.Training()).epochs
        every = self.log_every or max(1, epochs // 10)
        try:
            return ir.Spec(
                source_name=self.source.filename.rsplit("/", 1)[-1],
                data=tuple(d for d, _ in self.data.values()),
                layers=tuple(layer for layer, _ in self.layers),
                logging=ir.Logging(every=every),
                predict=predict,
                **self.fields,
            )
        except ValidationError as error:  # a checker bug: every value was checked above
            raise AssertionError(f"specc produced an invalid IR: {error}") from error

    # statements -----------------------------------------------------------------------

    def model(self, stmt: s.ModelStmt) -> None:
        self.fields["name"] = self.identifier(stmt.name, "model name")

    def seed(self, stmt: s.SeedStmt) -> None:
        self.fields["seed"] = self.integer(stmt.value, "the seed", low=0, high=2**32 - 1)

    def dtype(self, stmt: s.DtypeStmt) -> None:
        self.fields["dtype"] = self.choice(stmt.name, DTYPES, "dtype")

    def data_stmt(self, stmt: s.DataStmt) -> None:
        name = self.identifier(stmt.name, "data name")
        if name in self.data:
            line = self.data[name][1].span.line
            raise self.error(
                f"data `{name}` is defined twice (first on line {line})", stmt.name.span
            )
        expr, shape = self.data_expr(stmt.value)
        if shape == ():
            raise self.error(
                f"data `{name}` is a single number, not a table of samples",
                stmt.value.span,
                "draw samples, for example `randn(100, 1)`",
            )
        self.data[name] = (ir.Data(name=name, expr=expr, shape=shape), stmt)

    def layer(self, stmt: s.LayerStmt) -> None:
        # Each part is checked on its own, so one typo doesn't hide the shape checks.
        kind = self.attempt(lambda: self.choice(stmt.kind, LAYERS, "layer"), "Dense")
        size_in = self.attempt(lambda: self.size(stmt.size_in), None)
        size_out = self.attempt(lambda: self.size(stmt.size_out), None)
        activation = "linear"
        if stmt.activation:
            activation = self.attempt(
                lambda: self.choice(stmt.activation, ACTIVATIONS, "activation"), "linear"
            )
        opts = self.options(stmt.options, {"init": self.init_option, "bias": self.init_option})
        if self.layers and size_in is not None:
            previous = self.layers[-1][0]
            if previous.units_out != size_in:
                self.error(
                    f"this layer takes {size_in} inputs, but the layer before it gives "
                    f"{previous.units_out}",
                    stmt.size_in.span,
                    f"write `{kind} {previous.units_out}->{size_out or '...'}`",
                )
        if size_in is None or size_out is None:
            return
        fields: dict[str, Any] = {}
        if "init" in opts:
            fields["kernel_init"] = opts["init"]
        if "bias" in opts:
            fields["bias_init"] = opts["bias"]
        layer = ir.Dense(
            name=f"fc{len(self.layers) + 1}",
            units_in=size_in,
            units_out=size_out,
            activation=activation,
            **fields,
        )
        self.layers.append((layer, stmt))

    def attempt(self, check: Callable[[], Any], fallback: Any) -> Any:
        """Run one check; on error (already recorded) go on with `fallback`."""
        try:
            return check()
        except _Invalid:
            return fallback

    def loss(self, stmt: s.LossStmt) -> None:
        kind = self.choice(stmt.kind, LOSSES, "loss")
        opts = self.options(
            stmt.options, {"reduction": lambda e: self.choice_expr(e, ("mean", "sum"), "reduction")}
        )
        self.fields["loss"] = ir.Loss(kind=kind, **opts)

    def optim(self, stmt: s.OptimStmt) -> None:
        kind = self.choice(stmt.kind, OPTIMIZERS, "optimizer")
        opts = self.options(
            stmt.options,
            {
                "lr": lambda e: self.number(e, "the learning rate", low=0, low_open=True),
                "momentum": lambda e: self.number(e, "momentum", low=0, high=1, high_open=True),
            },
        )
        self.fields["optimizer"] = ir.Optimizer(kind=kind, **opts)

    def train(self, stmt: s.TrainStmt) -> None:
        opts = self.options(
            stmt.options,
            {"epochs": lambda e: self.integer(e, "epochs", low=1, high=MAX_EPOCHS)},
        )
        self.fields["training"] = ir.Training(**opts)

    def log(self, stmt: s.LogStmt) -> None:
        opts = self.options(
            stmt.options,
            {"every": lambda e: self.integer(e, "`every`", low=1, high=MAX_EPOCHS)},
        )
        self.log_every = opts.get("every")

    def predict_stmt(self, stmt: s.PredictStmt) -> None:
        self.predict = stmt

    # whole-spec checks ----------------------------------------------------------------

    def default_data(self) -> None:
        """Fill in missing inputs or targets with random tables of the model's shape."""
        units = {"x": self.layers[0][0].units_in, "y": self.layers[-1][0].units_out}
        role = {"x": "inputs", "y": "targets"}
        rows = {self.data[n][0].shape[0] for n in units if n in self.data}
        samples = min(rows) if rows else DEFAULT_SAMPLES
        for name, width in units.items():
            if name in self.data:
                data, stmt = self.data[name]
                if data.shape[1] != width:
                    where = "first" if name == "x" else "last"
                    self.error(
                        f"`{name}` has {data.shape[1]} column(s), but the model's {where} layer "
                        f"has {width} {role[name][:-1]} unit(s)",
                        stmt.value.span,
                        f"the {role[name]} must be a table of shape (samples, {width})",
                    )
            else:
                expr = ir.Draw(fn="randn", shape=(samples, width))
                self.data[name] = (
                    ir.Data(name=name, expr=expr, shape=expr.shape, default=True),
                    None,  # type: ignore[arg-type]
                )
        x, y = self.data["x"][0], self.data["y"][0]
        if x.shape[0] != y.shape[0] and self.data["y"][1] is not None:
            self.error(
                f"`y` has {y.shape[0]} rows but `x` has {x.shape[0]}",
                self.data["y"][1].value.span,
                "inputs and targets need one row per sample",
            )

    def prediction(self) -> ir.Prediction | None:
        stmt = self.predict
        assert stmt is not None
        width = self.layers[0][0].units_in
        value = stmt.value
        if isinstance(value, s.Number | s.Unary):
            value = s.Array((value,), value.span)
        if not isinstance(value, s.Array):
            raise self.error(
                "`predict` takes a list of inputs", value.span, "write `predict [[1], [2], [3]]`"
            )
        try:
            literal = self.array(value)
        except _Invalid:
            return None
        if literal.column and width != 1:
            if len(literal.rows) == width:  # one sample, written flat
                literal = ir.ArrayLiteral(rows=(tuple(r[0] for r in literal.rows),))
        columns = len(literal.rows[0])
        if columns != width:
            self.error(
                f"each input to `predict` needs {width} value(s), one per input unit; "
                f"these have {columns}",
                value.span,
            )
            return None
        return ir.Prediction(inputs=literal)

    def check_unused(self) -> None:
        used: set[str] = {"x", "y"}
        for data, _ in self.data.values():
            used |= _refs(data.expr)
        for name, (_, stmt) in self.data.items():
            if name not in used and stmt is not None:
                self.warning(
                    f"data `{name}` is never used",
                    stmt.name.span,
                    "the model trains on `x` and `y`",
                )

    # values ---------------------------------------------------------------------------

    def options(
        self, options: tuple[s.Option, ...], schema: dict[str, Callable[[s.Expr], Any]]
    ) -> dict[str, Any]:
        """Convert `key=value` options by `schema`; unknown or repeated keys are errors."""
        result: dict[str, Any] = {}
        for option in options:
            key = option.key.text
            if key not in schema:
                self.error(
                    f"unknown option `{key}`",
                    option.key.span,
                    did_you_mean(key, schema)
                    or (
                        f"the options are {one_of(schema, 'and')}"
                        if schema
                        else "this takes no options"
                    ),
                )
                continue
            if key in result:
                self.error(f"option `{key}` is given twice", option.key.span)
                continue
            if len(option.values) != 1:
                self.error(f"`{key}` takes one value", option.values[1].span)
                continue
            try:
                result[key] = schema[key](option.values[0])
            except _Invalid:
                pass
        return result

    def identifier(self, word: s.Word, what: str) -> str:
        try:
            return ir._python_name(word.text)
        except ValueError as reason:
            raise self.error(f"{reason} for a {what}", word.span, "choose another name") from None

    def choice(self, word: s.Word, choices: tuple[str, ...], what: str) -> str:
        if word.text in choices:
            return word.text
        raise self.error(
            f"unknown {what} `{word.text}`",
            word.span,
            did_you_mean(word.text, choices) or f"{what}s are {one_of(choices)}",
        )

    def choice_expr(self, expr: s.Expr, choices: tuple[str, ...], what: str) -> str:
        if not isinstance(expr, s.Name):
            raise self.error(f"{what} is one of {one_of(choices)}", expr.span)
        return self.choice(s.Word(expr.id, expr.span), choices, what)

    def number(
        self,
        expr: s.Expr,
        what: str,
        low: float | None = None,
        high: float | None = None,
        low_open: bool = False,
        high_open: bool = False,
    ) -> float:
        value = _literal_number(expr)
        if value is None:
            raise self.error(f"{what} must be a number", expr.span)
        too_low = low is not None and (value < low or (low_open and value == low))
        too_high = high is not None and (value > high or (high_open and value == high))
        if too_low or too_high:
            lo = "" if low is None else f"{'>' if low_open else '>='} {low:g}"
            hi = "" if high is None else f"{'<' if high_open else '<='} {high:g}"
            raise self.error(f"{what} must be {' and '.join(p for p in (lo, hi) if p)}", expr.span)
        return float(value)

    def integer(self, expr: s.Expr, what: str, low: int, high: int) -> int:
        value = _literal_number(expr)
        if not isinstance(value, int):
            raise self.error(f"{what} must be a whole number", expr.span)
        if not low <= value <= high:
            raise self.error(f"{what} must be between {low} and {high:,}", expr.span)
        return value

    def size(self, number: s.Number) -> int:
        return self.integer(number, "a layer size", low=1, high=MAX_UNITS)

    def init_option(self, expr: s.Expr) -> ir.Init:
        if isinstance(expr, s.Name):
            kind = self.choice(s.Word(expr.id, expr.span), INITS, "initializer")
            if kind in ("uniform", "normal"):
                raise self.error(
                    f"`{kind}` needs its parameters", expr.span, f"write `{kind}(-1, 1)`"
                )
            return ir.Init(kind=kind)
        if isinstance(expr, s.Call):
            kind = self.choice(expr.func, ("uniform", "normal"), "initializer")
            if len(expr.args) != 2 or expr.kwargs:
                raise self.error(f"`{kind}` takes two numbers", expr.span, f"write `{kind}(-1, 1)`")
            args = tuple(self.number(a, f"an argument of `{kind}`") for a in expr.args)
            if kind == "uniform" and args[0] >= args[1]:
                raise self.error("`uniform(low, high)` needs low < high", expr.span)
            if kind == "normal" and args[1] < 0:
                raise self.error("the standard deviation cannot be negative", expr.args[1].span)
            return ir.Init(kind=kind, args=args)
        value = _literal_number(expr)
        if value is not None:
            return ir.Init(kind="constant", args=(float(value),))
        raise self.error(
            "unknown initializer",
            expr.span,
            f"initializers are {one_of(INITS)}, or a number",
        )

    # data expressions -----------------------------------------------------------------

    def data_expr(self, expr: s.Expr) -> tuple[ir.DataExpr, Shape]:
        """Lower a data expression and infer its shape: () for a number, (rows, cols)."""
        if isinstance(expr, s.Number):
            return ir.Const(value=expr.value), ()
        if isinstance(expr, s.Name):
            if expr.id not in self.data:
                help_text = did_you_mean(expr.id, self.data)
                if help_text is None and expr.id in GENERATORS:
                    help_text = f"call it: `{expr.id}(100)`"
                raise self.error(
                    f"`{expr.id}` is not defined",
                    expr.span,
                    help_text or "define it with `data` on an earlier line",
                )
            return ir.Ref(name=expr.id), self.data[expr.id][0].shape
        if isinstance(expr, s.Unary):
            operand, shape = self.data_expr(expr.operand)
            if expr.op == "+":
                return operand, shape
            if isinstance(operand, ir.Const):
                return ir.Const(value=-operand.value), ()
            return ir.Neg(operand=operand), shape
        if isinstance(expr, s.BinOp):
            left, left_shape = self.data_expr(expr.left)
            right, right_shape = self.data_expr(expr.right)
            shape = self.broadcast(left_shape, right_shape, expr)
            return ir.BinOp(op=expr.op, left=left, right=right), shape
        if isinstance(expr, s.Array):
            literal = self.array(expr)
            return literal, (len(literal.rows), len(literal.rows[0]))
        if isinstance(expr, s.Call):
            return self.generator(expr)
        raise self.error("expected a number, a name, a list or a generator", expr.span)

    def broadcast(self, left: Shape, right: Shape, expr: s.BinOp) -> Shape:
        if not left or not right:
            return left or right
        if all(a == b or 1 in (a, b) for a, b in zip(left, right, strict=True)):
            return tuple(max(a, b) for a, b in zip(left, right, strict=True))
        raise self.error(
            f"shapes {_shape(left)} and {_shape(right)} do not fit together in `{expr.op}`",
            expr.span,
            "both sides need the same number of rows and columns",
        )

    def generator(self, call: s.Call) -> tuple[ir.DataExpr, Shape]:
        name = call.func.text
        if name not in GENERATORS:
            raise self.error(
                f"unknown function `{name}`",
                call.func.span,
                did_you_mean(name, GENERATORS) or f"data functions are {one_of(GENERATORS)}",
            )
        if call.kwargs:
            raise self.error(f"`{name}` takes no named arguments", call.kwargs[0][0].span)
        n_params = GENERATORS[name]
        usage = {
            "randn": "randn(rows) or randn(rows, columns)",
            "rand": "rand(rows) or rand(rows, columns)",
            "uniform": "uniform(low, high, rows[, columns])",
            "normal": "normal(mean, std, rows[, columns])",
            "linspace": "linspace(start, stop, count)",
        }[name]
        n_sizes = len(call.args) - n_params
        if (name == "linspace" and n_sizes != 0) or (name != "linspace" and n_sizes not in (1, 2)):
            raise self.error(f"wrong number of arguments to `{name}`", call.span, f"write {usage}")
        params = tuple(self.number(a, f"an argument of `{name}`") for a in call.args[:n_params])
        if name == "linspace":
            num = self.integer(call.args[2], "the count", low=1, high=MAX_ELEMENTS)
            return ir.Linspace(start=params[0], stop=params[1], num=num), (num, 1)
        sizes = [self.integer(a, "a size", low=1, high=MAX_ELEMENTS) for a in call.args[n_params:]]
        shape = (sizes[0], sizes[1] if len(sizes) == 2 else 1)
        if shape[0] * shape[1] > MAX_ELEMENTS:
            raise self.error(f"{shape[0] * shape[1]:,} values is too much data", call.span)
        if name == "uniform" and params[0] >= params[1]:
            raise self.error("`uniform(low, high, ...)` needs low < high", call.span)
        if name == "normal" and params[1] < 0:
            raise self.error("the standard deviation cannot be negative", call.args[1].span)
        return ir.Draw(fn=name, params=params, shape=shape), shape

    def array(self, expr: s.Array) -> ir.ArrayLiteral:
        """A literal table: a flat list is one column, a list of lists is rows."""
        if not expr.items:
            raise self.error("an empty list has no samples", expr.span)
        if all(isinstance(item, s.Array) for item in expr.items):
            rows = [self.row(item) for item in expr.items]  # type: ignore[arg-type]
            width = len(rows[0])
            for row, item in zip(rows, expr.items, strict=True):
                if len(row) != width:
                    raise self.error(
                        f"this row has {len(row)} value(s), the first row has {width}",
                        item.span,
                        "every row needs the same number of values",
                    )
            return ir.ArrayLiteral(rows=tuple(rows))
        return ir.ArrayLiteral(rows=tuple((v,) for v in self.row(expr)), column=True)

    def row(self, expr: s.Array) -> tuple[int | float, ...]:
        if not expr.items:
            raise self.error("an empty row", expr.span)
        values = []
        for item in expr.items:
            value = _literal_number(item)
            if value is None:
                what = "lists nest at most two deep" if isinstance(item, s.Array) else "a number"
                raise self.error(f"expected a number here ({what})", item.span)
            values.append(value)
        return tuple(values)


def _literal_number(expr: s.Expr) -> int | float | None:
    """The value of `3`, `-0.5` or `+1e-3`; None for anything else."""
    sign = 1
    while isinstance(expr, s.Unary):
        sign = -sign if expr.op == "-" else sign
        expr = expr.operand
    return sign * expr.value if isinstance(expr, s.Number) else None


def _refs(expr: ir.DataExpr) -> set[str]:
    if isinstance(expr, ir.Ref):
        return {expr.name}
    if isinstance(expr, ir.BinOp):
        return _refs(expr.left) | _refs(expr.right)
    if isinstance(expr, ir.Neg):
        return _refs(expr.operand)
    return set()


def _shape(shape: Shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ")"


def _end_of(source: Source) -> Span:
    lines = source.text.splitlines() or [""]
    return Span.point(len(lines), len(lines[-1]) + 1)


def check(program: s.Program, source: Source) -> tuple[ir.Spec, list[Diagnostic]]:
    """Lower a parsed spec to the IR and its warnings, or raise SpecError with every error."""
    checker = Checker(source)
    spec = checker.check(program)
    return spec, checker.diagnostics
