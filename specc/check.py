"""Check: syntax tree -> IR. Every semantic error is collected here, in source order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from . import ir
from . import syntax as s
from .diagnostics import Diagnostic, Source, Span, SpecError, did_you_mean, one_of

MAX_UNITS = 100_000  # wider layers are surely a typo
MAX_WEIGHTS = 200  # params, or two per layer: a script a reader can follow, formatted fast
MAX_ELEMENTS = 50_000_000  # larger data would not fit a generated script's purpose
MAX_COUNT = 10_000_000  # epochs or steps
MAX_INTEGER = 2**53  # integers beyond are not exact as floats, and NumPy refuses some
DEFAULT_SAMPLES = 100

ACTIVATIONS = ("linear", "relu", "sigmoid", "tanh")
LAYERS = ("Dense",)
LOSSES = ("mse", "mae")
OPTIMIZERS = ("sgd", "gd")
DTYPES = ("float32", "float64")
INITS = ("glorot_uniform", "zeros", "ones", "uniform", "normal", "native")
# generator -> number of leading distribution parameters before the sizes
GENERATORS = {"randn": 0, "rand": 0, "uniform": 2, "normal": 2, "linspace": 3}
USAGE = {
    "randn": "randn(rows) or randn(rows, columns)",
    "rand": "rand(rows) or rand(rows, columns)",
    "uniform": "uniform(low, high, rows[, columns])",
    "normal": "normal(mean, std, rows[, columns])",
    "linspace": "linspace(start, stop, count)",
    "csv": 'csv("file.csv", "column", ...)',
}
ONCE = (
    s.ModelStmt,
    s.SeedStmt,
    s.DtypeStmt,
    s.ForwardStmt,
    s.LossStmt,
    s.OptimStmt,
    s.TrainStmt,
    s.LogStmt,
    s.PredictStmt,
)

Shape = tuple[int | None, ...]  # () a number; None rows: read from a file at run time


class _Invalid(Exception):
    """A value is wrong; its diagnostic has been recorded. Unwinds one statement."""


class Checker:
    """Walks the statements once, building IR fields and collecting diagnostics."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.diagnostics: list[Diagnostic] = []
        self.fields: dict[str, Any] = {}
        self.data: dict[str, tuple[ir.Data, s.DataStmt | None]] = {}
        self.layers: list[tuple[ir.Dense, s.LayerStmt]] = []
        self.params: dict[str, tuple[ir.ParamDef, s.ParamStmt]] = {}
        self.seen: dict[type, s.Statement] = {}  # the first of each once-only statement
        self.seen_kinds: set[type] = set()

    # reporting
    def error(self, message: str, span: Span | None, help: str | None = None) -> _Invalid:
        self.diagnostics.append(Diagnostic.error(message, span, help))
        return _Invalid()

    def warning(self, message: str, span: Span | None, help: str | None = None) -> None:
        self.diagnostics.append(Diagnostic.warning(message, span, help))

    def attempt(self, check: Callable[[], Any], fallback: Any = None) -> Any:
        """Run one check; on error (already recorded) go on with `fallback`."""
        try:
            return check()
        except _Invalid:
            return fallback

    # driver
    def check(self, program: s.Program) -> ir.Spec:
        handlers: dict[type, Callable[[Any], None]] = {
            s.ModelStmt: self.model_stmt,
            s.SeedStmt: self.seed_stmt,
            s.DtypeStmt: self.dtype_stmt,
            s.DataStmt: self.data_stmt,
            s.LayerStmt: self.layer_stmt,
            s.ParamStmt: self.param_stmt,
            s.ForwardStmt: lambda stmt: None,  # checked at the end, when x's shape is known
            s.LossStmt: self.loss_stmt,
            s.OptimStmt: self.optim_stmt,
            s.TrainStmt: self.train_stmt,
            s.LogStmt: lambda stmt: None,  # checked at the end, against the model's weights
            s.PredictStmt: lambda stmt: None,  # checked at the end, against the model
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
            self.attempt(lambda stmt=stmt: handlers[type(stmt)](stmt))
        return self.finish()

    def finish(self) -> ir.Spec:
        network = self.attempt(self.network)
        if network:
            self.wide_sum(network)
        logging = self.attempt(lambda: self.logging(network)) if network else None
        predict = self.attempt(lambda: self.prediction(network)) if network else None
        self.check_unused()
        if any(d.severity == "error" for d in self.diagnostics):
            raise SpecError(self.source, self.diagnostics)
        try:
            return ir.Spec(
                source_name=_printable(self.source.filename.replace("\\", "/").rsplit("/", 1)[-1]),
                data=tuple(d for d, _ in self.data.values()),
                network=network,
                logging=logging,
                predict=predict,
                **self.fields,
            )
        except ValidationError as error:  # a checker bug: every value was checked above
            raise AssertionError(f"specc produced an invalid IR: {error}") from error

    # statements -----------------------------------------------------------------------

    def model_stmt(self, stmt: s.ModelStmt) -> None:
        self.fields["name"] = self.identifier(stmt.name, "model name")

    def seed_stmt(self, stmt: s.SeedStmt) -> None:
        self.fields["seed"] = self.integer(stmt.value, "the seed", low=0, high=2**32 - 1)

    def dtype_stmt(self, stmt: s.DtypeStmt) -> None:
        self.fields["dtype"] = self.choice(stmt.name, DTYPES, "dtype")

    def data_stmt(self, stmt: s.DataStmt) -> None:
        name = self.identifier(stmt.name, "data name")
        if name in self.data or name in self.params:
            first = (self.data.get(name) or self.params[name])[1]
            line = first.span.line if first else 0
            raise self.error(f"`{name}` is defined twice (first on line {line})", stmt.name.span)
        expr, shape = self.data_expr(stmt.value)
        if shape == ():
            raise self.error(
                f"data `{name}` is a single number, not a table of samples",
                stmt.value.span,
                "draw samples, for example `randn(100, 1)`",
            )
        if len(shape) != 2:
            raise self.error(f"data `{name}` has shape {_shape(shape)}", stmt.value.span)
        self.data[name] = (ir.Data(name=name, expr=expr, shape=shape), stmt)

    def layer_stmt(self, stmt: s.LayerStmt) -> None:
        if len(self.layers) == MAX_WEIGHTS // 2:
            raise self.error(
                f"more than {MAX_WEIGHTS // 2} layers",
                stmt.keyword.span,
                "specc writes scripts "
                "for models a reader can follow; generate deeper ones in a loop of your own",
            )
        # Each part is checked on its own, so one typo doesn't hide the shape checks.
        kind = self.attempt(lambda: self.choice(stmt.kind, LAYERS, "layer"), "Dense")
        size_in = self.attempt(lambda: self.size(stmt.size_in))
        size_out = self.attempt(lambda: self.size(stmt.size_out))
        activation = "linear"
        if stmt.activation:
            activation = self.attempt(
                lambda: self.choice(stmt.activation, ACTIVATIONS, "activation"), "linear"
            )
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
            self.options(stmt.options, {"init": lambda e: None, "bias": lambda e: None})
            return
        opts = self.options(
            stmt.options,
            {
                "init": lambda e: self.init(e, (size_in, size_out), "kernel"),
                "bias": lambda e: self.init(e, (size_out,), "bias"),
            },
        )
        fields = {"kernel_init": opts.get("init"), "bias_init": opts.get("bias")}
        layer = ir.Dense(
            name=f"fc{len(self.layers) + 1}",
            units_in=size_in,
            units_out=size_out,
            activation=activation,
            **{k: v for k, v in fields.items() if v is not None},
        )
        self.layers.append((layer, stmt))

    def param_stmt(self, stmt: s.ParamStmt) -> None:
        if len(self.params) == MAX_WEIGHTS:
            raise self.error(f"more than {MAX_WEIGHTS} params", stmt.keyword.span)
        name = self.identifier(stmt.name, "param name")
        if name in self.params or name in self.data:
            first = (self.params.get(name) or self.data[name])[1]
            line = first.span.line if first else 0
            raise self.error(f"`{name}` is defined twice (first on line {line})", stmt.name.span)
        if len(stmt.shape) > 2:
            raise self.error(
                "a param has one or two dimensions",
                stmt.shape[2].span,
                f"write `{name}[rows, columns]`",
            )
        shape = tuple(self.size(n) for n in stmt.shape)
        if stmt.init is None:  # Keras's add_weight default for matrices; zeros for vectors
            init = ir.Init(kind="glorot_uniform" if len(shape) == 2 else "zeros")
        else:
            init = self.init(stmt.init, shape, "param")
        self.params[name] = (ir.ParamDef(name=name, shape=shape, init=init), stmt)

    def loss_stmt(self, stmt: s.LossStmt) -> None:
        kind = self.choice(stmt.kind, LOSSES, "loss")
        opts = self.options(
            stmt.options, {"reduction": lambda e: self.word(e, ("mean", "sum"), "reduction")}
        )
        self.fields["loss"] = ir.Loss(kind=kind, **opts)

    def optim_stmt(self, stmt: s.OptimStmt) -> None:
        kind = self.choice(stmt.kind, OPTIMIZERS, "optimizer")
        schema: dict[str, Callable[[s.Expr], Any]] = {
            "lr": lambda e: self.number(e, "the learning rate", low=0, low_open=True),
        }
        if kind == "sgd":
            schema["momentum"] = lambda e: self.number(e, "momentum", low=0, high=1, high_open=True)
        opts = self.options(stmt.options, schema, what=f"`{kind}`")
        self.fields["optimizer"] = ir.Optimizer(kind=kind, **opts)

    def train_stmt(self, stmt: s.TrainStmt) -> None:
        count = lambda unit: lambda e: self.integer(e, unit, low=1, high=MAX_COUNT)  # noqa: E731
        opts = self.options(stmt.options, {"epochs": count("epochs"), "steps": count("steps")})
        if "epochs" in opts and "steps" in opts:
            option = next(o for o in stmt.options if o.key.text == "steps")
            raise self.error(
                "give `epochs` or `steps`, not both",
                option.span,
                "with full-batch training each epoch is one step",
            )
        if "steps" in opts:
            self.fields["training"] = ir.Training(unit="step", count=opts["steps"])
        elif "epochs" in opts:
            self.fields["training"] = ir.Training(unit="epoch", count=opts["epochs"])

    # the model, as a whole ------------------------------------------------------------

    def network(self) -> ir.Sequential | ir.Formula:
        forward = self.seen.get(s.ForwardStmt)
        if self.layers or s.LayerStmt in self.seen_kinds:
            for stmt in [forward, *(p for _, p in self.params.values())]:
                if stmt is not None:
                    self.error(
                        f"`{stmt.keyword.text}` in a spec with layers",
                        stmt.keyword.span,
                        "a model is either a stack of `layer`s or `param`s with a `forward` "
                        "formula, not both",
                    )
            if not self.layers:
                raise _Invalid()
            network = ir.Sequential(layers=tuple(layer for layer, _ in self.layers))
            self.default_data(network.units_in, network.units_out)
            return network
        if forward is None:
            end = _end_of(self.source)
            if self.params:
                first = next(iter(self.params.values()))[1]
                raise self.error(
                    "params but no `forward` formula",
                    first.keyword.span,
                    "say how the output is computed, for example `forward y = w * x + b`",
                )
            if not self.seen_kinds:
                raise self.error(
                    "the spec is empty",
                    end,
                    "a spec needs at least a model, for example `layer Dense 1->1`",
                )
            raise self.error(
                "the spec has no model", end, "add a layer, for example `layer Dense 1->1`"
            )
        return self.formula(forward)  # type: ignore[arg-type]

    def formula(self, forward: s.ForwardStmt) -> ir.Formula:
        inputs, targets = "x", "y"
        if forward.name.text != targets:
            raise self.error(
                f"`forward` computes `{forward.name.text}`, "
                f"but the model trains against `{targets}`",
                forward.name.span,
                f"write `forward {targets} = ...`",
            )
        if not self.params:
            if s.ParamStmt in self.seen_kinds:
                raise _Invalid()  # the params' own errors are reported
            raise self.error(
                "the formula has nothing to train",
                forward.keyword.span,
                "declare its weights first, for example `param w[1] = zeros`",
            )
        if inputs in self.data:
            x_shape = self.data[inputs][0].shape
        else:
            rows = self.data[targets][0].shape[0] if targets in self.data else None
            x_shape = (rows or DEFAULT_SAMPLES, 1)
        expr, shape = self.forward_expr(forward.value, x_shape)
        if len(shape) != 2 or shape[0] != x_shape[0]:
            raise self.error(
                f"the formula gives shape {_shape(shape)}; it must give one row per sample "
                f"of `x` {_shape(x_shape)}",
                forward.value.span,
                "use `x` in the formula, for example `w * x + b`",
            )
        units_out = shape[1]
        assert units_out is not None
        self.default_data(x_shape[1] or 1, units_out)
        for name, (_, stmt) in self.params.items():
            if name not in _refs(expr):
                self.warning(f"param `{name}` is not used in the formula", stmt.name.span)
        return ir.Formula(
            params=tuple(p for p, _ in self.params.values()),
            expr=expr,
            units_in=x_shape[1],
            units_out=units_out,
        )

    def default_data(self, units_in: int, units_out: int) -> None:
        """Check x and y against the model, filling in random ones the spec leaves out."""
        units = {"x": units_in, "y": units_out}
        role = {"x": "input", "y": "output"}
        for name, width in units.items():
            if name in self.data:
                data, stmt = self.data[name]
                if data.shape[1] != width and stmt is not None:
                    where = "first layer" if self.layers and name == "x" else "model"
                    where = "last layer" if self.layers and name == "y" else where
                    self.error(
                        f"`{name}` has {data.shape[1]} column(s), but the {where} has {width} "
                        f"{role[name]}(s)",
                        stmt.value.span,
                        f"`{name}` must be a table of shape (samples, {width})",
                    )
        rows = [self.data[n][0].shape[0] for n in units if n in self.data]
        if None in rows and len(rows) == 1:
            stmt = next(self.data[n][1] for n in units if n in self.data)
            raise self.error(
                "with data read from a file, give both `x` and `y`",
                stmt.value.span if stmt else None,
            )
        samples = next((r for r in rows if r), DEFAULT_SAMPLES)
        for name, width in units.items():
            if name not in self.data:
                expr = ir.Draw(fn="randn", shape=(samples, width))
                self.data[name] = (
                    ir.Data(name=name, expr=expr, shape=expr.shape, default=True),
                    None,
                )
        (x, _), (y, y_stmt) = self.data["x"], self.data["y"]
        if None not in (x.shape[0], y.shape[0]) and x.shape[0] != y.shape[0] and y_stmt:
            self.error(
                f"`y` has {y.shape[0]} rows but `x` has {x.shape[0]}",
                y_stmt.value.span,
                "inputs and targets need one row per sample",
            )

    def wide_sum(self, network: ir.Sequential | ir.Formula) -> None:
        """A summed loss over several outputs means different things in Keras and the rest."""
        stmt = self.seen.get(s.LossStmt)
        loss = self.fields.get("loss")
        if loss is not None and loss.reduction == "sum" and network.units_out > 1 and stmt:
            self.error(
                f"`reduction=sum` needs a single output; this model has {network.units_out}",
                stmt.span,
                "Keras sums per-sample means, so the targets would disagree: use the mean",
            )

    def logging(self, network: ir.Sequential | ir.Formula) -> ir.Logging:
        training = self.fields.get("training", ir.Training())
        stmt = self.seen.get(s.LogStmt)
        weights = (
            [p.name for p in network.params]
            if isinstance(network, ir.Formula)
            else [f"{layer.name}_{role}" for layer in network.layers for role in ("kernel", "bias")]
        )
        schema: dict[str, Callable[[s.Expr], Any]] = {
            "every": lambda e: self.integer(e, "`every`", low=1, high=MAX_COUNT),
            "show": lambda e: e,  # a list: checked below
            "format": lambda e: self.string(e, "`format`"),
            "numbers": lambda e: self.word(e, ("shortest", "python"), "`numbers`"),
        }
        opts = self.options(stmt.options, schema, lists={"show"}) if stmt else {}
        show: list[str] = []
        for value in opts.pop("show", ()):
            if not isinstance(value, s.Name):
                self.error("`show` lists names, such as `loss,w,b`", value.span)
            elif value.id == "loss":
                continue  # the loss is always shown
            elif value.id not in weights:
                choices = ["loss", *weights]
                self.error(
                    f"`show` names `{value.id}`, which is not a weight of the model",
                    value.span,
                    did_you_mean(value.id, choices) or f"it can show {one_of(choices)}",
                )
            elif value.id in show:
                self.warning(f"`{value.id}` is shown twice", value.span)
            else:
                show.append(value.id)
        if "format" in opts:
            unit = training.unit
            fields = {unit, "loss", *show}
            value = next(o.values[0] for o in stmt.options if o.key.text == "format")  # type: ignore[union-attr]
            try:
                ir.check_format(opts["format"], fields)
            except ValueError as error:
                raise self.error(
                    str(error),
                    value.span,
                    f'for example `format="{unit} {{{unit}}}: loss {{loss:.4f}}"`',
                ) from None
        every = opts.pop("every", max(1, training.count // 10))
        return ir.Logging(every=every, show=tuple(show), **opts)

    def prediction(self, network: ir.Sequential | ir.Formula) -> ir.Prediction | None:
        stmt = self.seen.get(s.PredictStmt)
        if stmt is None:
            return None
        assert isinstance(stmt, s.PredictStmt)
        width = network.units_in
        value = stmt.value
        if _literal_number(value) is not None:
            value = s.Array((value,), value.span)
        if not isinstance(value, s.Array):
            raise self.error(
                "`predict` takes a list of inputs", value.span, "write `predict [[1], [2], [3]]`"
            )
        literal = self.array(value)
        if literal.column and width != 1 and len(literal.rows) == width:
            literal = ir.ArrayLiteral(rows=(tuple(r[0] for r in literal.rows),))  # one sample
        columns = len(literal.rows[0])
        if columns != width:
            raise self.error(
                f"each input to `predict` needs {width} value(s), one per input of the model; "
                f"these have {columns}",
                value.span,
            )
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
        self,
        options: tuple[s.Option, ...],
        schema: dict[str, Callable[[s.Expr], Any]],
        what: str = "",
        lists: set[str] = frozenset(),  # type: ignore[assignment]
    ) -> dict[str, Any]:
        """Convert `key=value` options by `schema`; unknown or repeated keys are errors."""
        result: dict[str, Any] = {}
        for option in options:
            key = option.key.text
            if key not in schema:
                here = f" for {what}" if what else ""
                self.error(
                    f"unknown option `{key}`{here}",
                    option.key.span,
                    did_you_mean(key, schema)
                    or (
                        f"the options are {one_of(schema, 'and')}"
                        if schema
                        else "it takes no options"
                    ),
                )
                continue
            if key in result:
                self.error(f"option `{key}` is given twice", option.key.span)
                continue
            if key in lists:
                result[key] = option.values
                continue
            if len(option.values) != 1:
                self.error(f"`{key}` takes one value", option.values[1].span)
                continue
            convert = schema[key]
            value = self.attempt(lambda c=convert, o=option: c(o.values[0]), _Invalid)
            if value is not _Invalid:
                result[key] = value
        return result

    def identifier(self, word: s.Word, what: str) -> str:
        try:
            return ir.python_name(word.text)
        except ValueError as reason:
            raise self.error(
                f"{reason}, so it cannot be a {what}", word.span, "choose another name"
            ) from None

    def choice(self, word: s.Word, choices: tuple[str, ...], what: str) -> str:
        if word.text in choices:
            return word.text
        raise self.error(
            f"unknown {what} `{word.text}`",
            word.span,
            did_you_mean(word.text, choices) or f"{what}s are {one_of(choices)}",
        )

    def word(self, expr: s.Expr, choices: tuple[str, ...], what: str) -> str:
        if not isinstance(expr, s.Name):
            raise self.error(f"{what} is one of {one_of(choices)}", expr.span)
        return self.choice(s.Word(expr.id, expr.span), choices, what)

    def string(self, expr: s.Expr, what: str) -> str:
        if not isinstance(expr, s.String):
            raise self.error(f"{what} is a string in double quotes", expr.span)
        return expr.value

    def number(
        self,
        expr: s.Expr,
        what: str,
        low: float | None = None,
        high: float | None = None,
        low_open: bool = False,
        high_open: bool = False,
    ) -> int | float:
        """A literal number within bounds; integers stay integers, so code reads as written."""
        value = _literal_number(expr)
        if value is None:
            raise self.error(f"{what} must be a number", expr.span)
        if value != value or abs(value) == float("inf"):
            raise self.error(f"{what} must be a finite number", expr.span)
        if isinstance(value, int) and abs(value) > MAX_INTEGER:
            raise self.error(f"{what} is too large", expr.span, "write it as a float, like 1e20")
        too_low = low is not None and (value < low or (low_open and value == low))
        too_high = high is not None and (value > high or (high_open and value == high))
        if too_low or too_high:
            lo = "" if low is None else f"{'>' if low_open else '>='} {low:g}"
            hi = "" if high is None else f"{'<' if high_open else '<='} {high:g}"
            raise self.error(f"{what} must be {' and '.join(p for p in (lo, hi) if p)}", expr.span)
        return value

    def integer(self, expr: s.Expr, what: str, low: int, high: int) -> int:
        value = _literal_number(expr)
        if isinstance(value, float) and abs(value) == float("inf"):  # digits beyond counting
            raise self.error(f"{what} must be between {low} and {high:,}", expr.span)
        if not isinstance(value, int):
            raise self.error(f"{what} must be a whole number", expr.span)
        if not low <= value <= high:
            raise self.error(f"{what} must be between {low} and {high:,}", expr.span)
        return value

    def size(self, number: s.Number) -> int:
        return self.integer(number, "a size", low=1, high=MAX_UNITS)

    def init(self, expr: s.Expr, shape: tuple[int, ...], role: str) -> ir.Init:
        """An initializer for a weight of `shape`: a name, a distribution, a number or a list."""
        shown = _shape(shape)
        if isinstance(expr, s.Name):
            kind = self.choice(s.Word(expr.id, expr.span), INITS, "initializer")
            if kind in ("uniform", "normal"):
                raise self.error(
                    f"`{kind}` needs its parameters", expr.span, f"write `{kind}(-1, 1)`"
                )
            if kind == "glorot_uniform" and len(shape) != 2:
                raise self.error(
                    f"`glorot_uniform` is for matrices; this weight has shape {shown}",
                    expr.span,
                    "use `zeros`, a number or `uniform(low, high)`",
                )
            if kind == "native" and role == "param":
                raise self.error(
                    "`native` is for layers: a param's framework has no default for it",
                    expr.span,
                    "draw it with NumPy instead, for example `uniform(-1, 1)`",
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
        if isinstance(expr, s.Array):
            literal = self.array(expr)
            values = [v for row in literal.rows for v in row]
            fits = literal.shape == shape if len(shape) == 2 else literal.column
            if len(shape) == 2 and literal.column and shape[1] == 1:
                fits = len(values) == shape[0]
            given = (len(values),) if literal.column else literal.shape
            if not fits or len(values) != _size(shape):
                raise self.error(
                    f"this list has shape {_shape(given)}, the weight has shape {shown}",
                    expr.span,
                )
            return ir.Init(kind="array", values=literal)
        value = _literal_number(expr)
        if value is not None:
            return ir.Init(kind="constant", args=(self.number(expr, "the initial value"),))
        raise self.error(
            "unknown initializer",
            expr.span,
            f"initializers are {one_of(INITS)}, a number or a list",
        )

    # expressions ----------------------------------------------------------------------

    def data_expr(self, expr: s.Expr) -> tuple[ir.Expr, Shape]:
        """Lower a data expression and infer its shape: () for a number, else (rows, cols)."""
        return self.expr(expr, self.data_name, self.data_call)

    def forward_expr(self, expr: s.Expr, x_shape: Shape) -> tuple[ir.Expr, Shape]:
        """Lower the forward formula over `x` and the params, and infer its shape."""

        def name(node: s.Name) -> tuple[ir.Expr, Shape]:
            if node.id == "x":
                return ir.Ref(name="x"), x_shape
            if node.id in self.params:
                return ir.Ref(name=node.id), self.params[node.id][0].shape
            if node.id in self.data:
                raise self.error(
                    f"`{node.id}` is data; a formula computes from `x` and params",
                    node.span,
                    f"declare a weight with `param {node.id}[1]`, or train on it as `x`",
                )
            raise self.error(
                f"`{node.id}` is not defined",
                node.span,
                did_you_mean(node.id, ["x", *self.params])
                or f"declare `{node.id}` with `param` before using it",
            )

        def call(node: s.Call) -> tuple[ir.Expr, Shape]:
            return self.function(node, ir.FORMULA_FUNCTIONS, lambda e: self.expr(e, name, call))

        return self.expr(expr, name, call)

    def expr(
        self,
        expr: s.Expr,
        name: Callable[[s.Name], tuple[ir.Expr, Shape]],
        call: Callable[[s.Call], tuple[ir.Expr, Shape]],
    ) -> tuple[ir.Expr, Shape]:
        if isinstance(expr, s.Number):
            return ir.Const(value=self.number(expr, "a number")), ()
        if isinstance(expr, s.Name):
            return name(expr)
        if isinstance(expr, s.Unary):
            operand, shape = self.expr(expr.operand, name, call)
            if expr.op == "+":
                return operand, shape
            if isinstance(operand, ir.Const):
                return ir.Const(value=-operand.value), ()
            return ir.Neg(operand=operand), shape
        if isinstance(expr, s.BinOp):
            left, left_shape = self.expr(expr.left, name, call)
            right, right_shape = self.expr(expr.right, name, call)
            if expr.op == "@":
                shape = self.matmul(left_shape, right_shape, expr)
            else:
                shape = self.broadcast(left_shape, right_shape, expr)
            return ir.BinOp(op=expr.op, left=left, right=right), shape
        if isinstance(expr, s.Array):
            literal = self.array(expr)
            return literal, literal.shape
        if isinstance(expr, s.Call):
            return call(expr)
        if isinstance(expr, s.String):
            raise self.error("a string is not a value here", expr.span)
        raise self.error("expected a number, a name, a list or a function", expr.span)

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
                raise self.error(
                    f"shapes {_shape(left)} and {_shape(right)} do not fit together in `{expr.op}`",
                    expr.span,
                    "both sides need the same number of rows and columns",
                )
        return tuple(out)

    def matmul(self, left: Shape, right: Shape, expr: s.BinOp) -> Shape:
        if len(left) != 2 or len(right) != 2:
            raise self.error(
                f"`@` multiplies matrices; these have shapes {_shape(left)} and {_shape(right)}",
                expr.span,
                "declare the weight as a matrix, for example `param W[2, 1]`",
            )
        if left[1] != right[0]:
            raise self.error(
                f"shapes {_shape(left)} @ {_shape(right)}: "
                f"{left[1]} columns against {right[0]} rows",
                expr.span,
            )
        return (left[0], right[1])

    def data_name(self, node: s.Name) -> tuple[ir.Expr, Shape]:
        if node.id not in self.data:
            help_text = did_you_mean(node.id, self.data)
            if help_text is None and node.id in GENERATORS:
                help_text = f"call it: `{node.id}(100)`"
            if node.id in self.params:
                help_text = "params belong in the `forward` formula, not in data"
            raise self.error(
                f"`{node.id}` is not defined",
                node.span,
                help_text or "define it with `data` on an earlier line",
            )
        return ir.Ref(name=node.id), self.data[node.id][0].shape

    def data_call(self, call: s.Call) -> tuple[ir.Expr, Shape]:
        name = call.func.text
        if name in ir.DATA_FUNCTIONS:
            return self.function(call, ir.DATA_FUNCTIONS, self.data_expr)
        if name == "csv":
            return self.csv(call)
        if name not in GENERATORS:
            choices = [*GENERATORS, "csv", *ir.DATA_FUNCTIONS]
            raise self.error(
                f"unknown function `{name}`",
                call.func.span,
                did_you_mean(name, choices) or f"data functions are {one_of(choices)}",
            )
        if call.kwargs:
            raise self.error(f"`{name}` takes no named arguments", call.kwargs[0][0].span)
        n_params = GENERATORS[name]
        n_sizes = len(call.args) - n_params
        if (name == "linspace" and n_sizes != 0) or (name != "linspace" and n_sizes not in (1, 2)):
            raise self.error(
                f"wrong number of arguments to `{name}`", call.span, f"write {USAGE[name]}"
            )
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

    def function(
        self,
        call: s.Call,
        allowed: tuple[str, ...],
        lower: Callable[[s.Expr], tuple[ir.Expr, Shape]],
    ) -> tuple[ir.Expr, Shape]:
        name = call.func.text
        if name not in allowed:
            raise self.error(
                f"unknown function `{name}`",
                call.func.span,
                did_you_mean(name, allowed) or f"functions here are {one_of(allowed)}",
            )
        if len(call.args) != 1 or call.kwargs:
            raise self.error(f"`{name}` takes one argument", call.span)
        arg, shape = lower(call.args[0])
        return ir.Call(fn=name, arg=arg), shape

    def csv(self, call: s.Call) -> tuple[ir.Expr, Shape]:
        args = call.args
        if len(args) < 2 or call.kwargs or not all(isinstance(a, s.String) for a in args):
            raise self.error(
                "`csv` takes a file name and the columns to read, all in double quotes",
                call.span,
                f"write {USAGE['csv']}",
            )
        path, *columns = (a.value for a in args)  # type: ignore[union-attr]
        limits = [ir.MAX_PATH] + [ir.MAX_COLUMN] * len(columns)
        for arg, text, longest in zip(args, [path, *columns], limits, strict=True):
            if not text or not text.isprintable():
                raise self.error("file and column names must be printable text", arg.span)
            if len(text) > longest:
                raise self.error(f"a name longer than {longest} characters", arg.span)
        if len(set(columns)) != len(columns):
            raise self.error("a column is listed twice", call.span)
        return ir.Csv(path=path, columns=tuple(columns)), (None, len(columns))

    def array(self, expr: s.Array) -> ir.ArrayLiteral:
        """A literal table: a flat list is one column, a list of lists is rows."""
        if not expr.items:
            raise self.error("an empty list has no values", expr.span)
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
        if len(expr.items) > MAX_ELEMENTS:
            raise self.error("this list is too long", expr.span)
        values = []
        for item in expr.items:
            value = _literal_number(item)
            if value is None:
                what = "lists nest at most two deep" if isinstance(item, s.Array) else "a number"
                raise self.error(f"expected a number here ({what})", item.span)
            values.append(self.number(item, "a value"))
        return tuple(values)


def _literal_number(expr: s.Expr) -> int | float | None:
    """The value of `3`, `-0.5` or `+1e-3`; None for anything else."""
    sign = 1
    while isinstance(expr, s.Unary):
        sign = -sign if expr.op == "-" else sign
        expr = expr.operand
    return sign * expr.value if isinstance(expr, s.Number) else None


def _refs(expr: ir.Expr) -> set[str]:
    if isinstance(expr, ir.Ref):
        return {expr.name}
    if isinstance(expr, ir.BinOp):
        return _refs(expr.left) | _refs(expr.right)
    if isinstance(expr, ir.Neg | ir.Call):
        return _refs(expr.operand if isinstance(expr, ir.Neg) else expr.arg)
    return set()


def _printable(text: str) -> str:
    """A file name fit for a one-line comment: control and line-break characters become ?."""
    return "".join(c if c.isprintable() else "?" for c in text)


def _size(shape: tuple[int, ...]) -> int:
    total = 1
    for n in shape:
        total *= n
    return total


def _shape(shape: Shape) -> str:
    text = ", ".join("?" if n is None else str(n) for n in shape)
    return f"({text},)" if len(shape) == 1 else f"({text})"


def _end_of(source: Source) -> Span:
    lines = source.text.splitlines() or [""]
    return Span.point(len(lines), len(lines[-1]) + 1)


def check(program: s.Program, source: Source) -> tuple[ir.Spec, list[Diagnostic]]:
    """Lower a parsed spec to the IR and its warnings, or raise SpecError with every error."""
    checker = Checker(source)
    spec = checker.check(program)
    return spec, checker.diagnostics
