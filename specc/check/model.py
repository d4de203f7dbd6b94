"""The model: its name, seed and dtype, data, layers or params and formula, checked as a whole."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .. import ir
from .. import syntax as s
from .. import vocabulary as v
from ..diagnostics import Span, shape_text
from ..layers import KINDS, LayerKind, kind_of
from ..vocabulary import Option
from .expressions import (
    DataLowering,
    FormulaLowering,
    Shape,
    dataset,
    init,
    labels,
    refs,
    windows,
)
from .report import Invalid
from .scope import Scope
from .values import choice, identifier, options, whole

_SEED = Option("seed", "integer", "the seed", low=0, high=v.MAX_SEED)
_UNITS = Option("size", "integer", "a size", low=1, high=v.MAX_UNITS)
_ONE_OR_THE_OTHER = (
    "a model is either a stack of `layer`s or `param`s with a `forward` formula, not both"
)


# Statements -----------------------------------------------------------------------------


def model_stmt(scope: Scope, stmt: s.ModelStmt) -> None:
    """`model SimpleNet`: the generated class's name."""
    scope.fields["name"] = identifier(scope.report, stmt.name, "model name")


def seed_stmt(scope: Scope, stmt: s.SeedStmt) -> None:
    """`seed 0`: NumPy's seed for the data and initial weights."""
    scope.fields["seed"] = whole(scope.report, stmt.value, _SEED)


def dtype_stmt(scope: Scope, stmt: s.DtypeStmt) -> None:
    """`dtype float64`."""
    scope.fields["dtype"] = choice(scope.report, stmt.name, v.DTYPES)


def data_stmt(scope: Scope, stmt: s.DataStmt) -> None:
    """`data x = ...`: a table of samples, computed from earlier data; or a data set's two."""
    report = scope.report
    scope.failed |= {word.text for word in stmt.names}  # until the statement checks out
    names = [identifier(report, word, "data name") for word in stmt.names]
    for name, word in zip(names, stmt.names, strict=True):
        _defined_once(scope, name, word)
    if len(set(names)) != len(names):
        raise report.error("a name is given twice", stmt.names[-1].span)
    pairs = {"dataset": _dataset, "windows": _windows}
    if isinstance(stmt.value, s.Call) and stmt.value.func.text in pairs:
        pairs[stmt.value.func.text](scope, stmt, names)
        scope.failed -= set(names)
        return
    expr, shape = DataLowering(scope).lower(stmt.value)  # a misspelt `windows` says so first
    if len(names) > 1:
        raise report.error(
            f"{len(names)} names, but this gives one table",
            stmt.names[1].span,
            f"only `dataset(...)` and `windows(...)` give two: write one `data` line for each "
            f"name (`data {names[0]} = ...`)",
        )
    name = names[0]
    if shape == ():
        raise report.error(
            f"data `{name}` is a single number, not a table of samples",
            stmt.value.span,
            "draw samples, for example `randn(100, 1)`",
        )
    if len(shape) < 2:
        raise report.error(f"data `{name}` has shape {shape_text(shape)}", stmt.value.span)
    known = {n: d for n, (d, _) in scope.data.items()}
    data = ir.Data.model_construct(name=name, expr=expr, shape=shape, labels=labels(expr, known))
    scope.data[name] = (data, stmt)
    scope.failed.discard(name)


def _dataset(scope: Scope, stmt: s.DataStmt, names: list[str]) -> None:
    """`data x, y = dataset("iris")`: the features, then the labels as one column."""
    assert isinstance(stmt.value, s.Call)
    kind = dataset(scope.report, stmt.value)
    if len(names) != 2:
        raise scope.report.error(
            f"`dataset` gives two tables, the features and the labels; this names {len(names)}",
            stmt.names[0].span,
            f'write `data x, y = dataset("{kind}")`',
        )
    for name, part in zip(names, ("features", "labels"), strict=True):
        expr = ir.Dataset.model_construct(name=kind, part=part)
        count = labels(expr, {})
        scope.data[name] = (
            ir.Data.model_construct(name=name, expr=expr, shape=expr.shape, labels=count),
            stmt,
        )


def _windows(scope: Scope, stmt: s.DataStmt, names: list[str]) -> None:
    """`data x, y = windows(series, n)`: each run of n rows as a sample of n steps, then the
    row after each run."""
    assert isinstance(stmt.value, s.Call)
    ref, steps, series = windows(DataLowering(scope), stmt.value)
    if len(names) != 2:
        raise scope.report.error(
            f"`windows` gives two tables, the windows and the row after each; this names "
            f"{len(names)}",
            stmt.names[0].span,
            f"write `data x, y = windows({ref.name}, {steps})`",
        )
    known = {n: d for n, (d, _) in scope.data.items()}
    for name, part in zip(names, ("inputs", "targets"), strict=True):
        expr = ir.Windows.model_construct(arg=ref, steps=steps, part=part)
        shape = expr.shape_from(series)
        count = labels(expr, known)
        scope.data[name] = (
            ir.Data.model_construct(name=name, expr=expr, shape=shape, labels=count),
            stmt,
        )


def layer_stmt(scope: Scope, stmt: s.LayerStmt) -> None:
    """`layer Dense 1->32 relu init=...`: its kind checks it against the layer before it."""
    report = scope.report
    try:
        word = stmt.kind.text
        # Only a known kind's module is imported; every kind's words only for the error.
        kind = KINDS[word if word in KINDS else choice(report, stmt.kind, v.LAYERS)]
        if stmt.words and not kind.activated:
            report.error(
                f"a {kind.word.name} layer takes no activation",
                stmt.words[0].span,
                f"apply `{stmt.words[0].text}` in the layer "
                + ("after it" if not scope.layers and not scope.layers_failed else "before it"),
            )
        for extra in stmt.words[1:]:
            report.error(
                f"`{extra.text}` after the activation `{stmt.words[0].text}`: a layer takes one "
                "activation",
                extra.span,
                "options are written `name=value`, as in `init=zeros`",
            )
        layer = kind.check(_LayerCheck(scope, stmt, kind))
    except Invalid:
        layer = None
    if layer is None:  # what the layers after it take is unknown: they check themselves alone
        scope.layers_failed = True
        return
    scope.layers.append((layer, stmt))


@dataclass
class _LayerCheck:
    """What a layer kind checks its statement with (`specc.layers.LayerCheck`)."""

    scope: Scope
    stmt: s.LayerStmt
    kind: LayerKind
    _options: dict[str, object] | None = None

    @property
    def name(self) -> str:
        prefix = self.kind.prefix
        return f"{prefix}{1 + sum(kind_of(n).prefix == prefix for n, _ in self.scope.layers)}"

    @property
    def first(self) -> bool:
        return not self.scope.layers and not self.scope.layers_failed

    @property
    def before(self) -> ir.LayerNode | None:
        if self.scope.layers_failed or not self.scope.layers:
            return None
        return self.scope.layers[-1][0]

    @property
    def inputs_failed(self) -> bool:
        return "x" in self.scope.failed

    @property
    def data(self) -> Mapping[str, ir.Data]:
        return {name: data for name, (data, _) in self.scope.data.items()}

    @property
    def sample(self) -> tuple[int, ...] | None:
        """What each sample it takes is: the layer before gives it, or `x` holds it."""
        if self.scope.layers_failed:
            return None
        if self.scope.layers:
            previous = self.scope.layers[-1][0]
            return kind_of(previous).sample_out(previous)
        x = self.scope.data.get("x")
        if x is None or None in x[0].shape[1:]:
            return None
        return x[0].shape[1:]  # type: ignore[return-value]

    def size(self, word: s.Word) -> int | None:
        return self.scope.report.attempt(lambda: whole(self.scope.report, word, _UNITS))

    def error(self, message: str, span: Span | None, help: str | None = None) -> None:
        self.scope.report.error(message, span, help)

    def warning(self, message: str, span: Span | None, help: str | None = None) -> None:
        self.scope.report.warning(message, span, help)

    def activation(self) -> dict[str, str]:
        """The activation as an IR field; none given (or a wrong one) leaves the IR's default."""
        given, report = self.stmt.activation, self.scope.report
        if given is None:
            return {}
        name = report.attempt(lambda: choice(report, given, v.ACTIVATIONS))
        return {} if name is None else {"activation": name}

    def inits(self, shapes: Mapping[str, tuple[int, ...]]) -> dict[str, ir.Init]:
        """The weights' initializers: as given, or the vocabulary's defaults."""
        report, word = self.scope.report, self.kind.word
        self.options()  # every option checked once, these only recognized
        fields: dict[str, ir.Init] = {}
        for key, (field_name, role) in self.kind.inits.items():
            given = next((o for o in self.stmt.options if o.key.text == key), None)
            value = None
            if given is not None and len(given.values) == 1:
                expr = given.values[0]
                value = report.attempt(lambda e=expr, r=role: init(report, e, shapes[r], r))
            default = word.option(key).default  # a kind's own may be one with arguments
            if not isinstance(default, ir.Init):
                default = ir.Init.model_construct(kind=default)
            fields[field_name] = value or default
        return fields

    def options(self) -> dict[str, object]:
        if self._options is None:
            self._options = options(self.scope.report, self.stmt.options, self.kind.word)
        return self._options


def param_stmt(scope: Scope, stmt: s.ParamStmt) -> None:
    """`param w[1] = uniform(0, 1)`: a weight of the formula model."""
    report = scope.report
    scope.failed.add(stmt.name.text)  # until the statement checks out
    name = identifier(report, stmt.name, "param name")
    _defined_once(scope, name, stmt.name)
    if len(stmt.shape) > 2:
        raise report.error(
            "a param has one or two dimensions",
            stmt.shape[2].span,
            f"write `{name}[rows, columns]`",
        )
    shape = tuple(whole(report, n, _UNITS) for n in stmt.shape)
    if stmt.init is None:  # Keras's add_weight default for matrices; zeros for vectors
        initial = ir.Init.model_construct(kind="glorot_uniform" if len(shape) == 2 else "zeros")
    else:
        initial = init(report, stmt.init, shape, "param")
    scope.params[name] = (ir.ParamDef.model_construct(name=name, shape=shape, init=initial), stmt)
    scope.failed.discard(name)


def _defined_once(scope: Scope, name: str, where: s.Word) -> None:
    """Data and params share one namespace, and each name is defined once; the language's
    numbers (`pi`) are not theirs."""
    if name in v.CONSTANTS:
        raise scope.report.error(
            f"`{name}` is the number {v.CONSTANTS[name].doc.removeprefix('the number ')}, so "
            "it cannot name data or a param",
            where.span,
            "choose another name",
        )
    first = scope.data.get(name) or scope.params.get(name)
    if first is not None:
        line = first[1].span.line if first[1] else 0
        raise scope.report.error(f"`{name}` is defined twice (first on line {line})", where.span)


# The model as a whole --------------------------------------------------------------------


def network(scope: Scope) -> ir.Sequential | ir.Formula:
    """The stack of layers or the formula, with the data checked against it."""
    report = scope.report
    forward = scope.first.get(s.ForwardStmt)
    if s.LayerStmt in scope.kinds:
        for stmt in [forward, *(p for _, p in scope.params.values())]:
            if stmt is not None:
                report.error(
                    f"`{stmt.keyword.text}` in a spec with layers",
                    stmt.keyword.span,
                    _ONE_OR_THE_OTHER,
                )
        if not scope.layers or scope.layers_failed:
            raise Invalid()  # a layer had an error, already reported: the stack is unknown
        last, stmt = scope.layers[-1]
        if len(out := kind_of(last).sample_out(last)) > 1:
            raise report.error(
                f"the model ends in samples of shape {shape_text(out)}; its outputs must be a "
                "row of numbers",
                stmt.kind.span,
                "end with `layer Flatten` and a `Dense` layer",
            )
        if not any(kind_of(layer).weights(layer) for layer, _ in scope.layers):
            raise report.error(
                "the model has nothing to train: none of its layers has weights",
                stmt.kind.span,
                "end with a `Dense` layer",
            )
        sequential = ir.Sequential.model_construct(layers=tuple(layer for layer, _ in scope.layers))
        default_data(scope, sequential.sample_in, sequential.units_out)
        return sequential
    if isinstance(forward, s.ForwardStmt):
        return formula(scope, forward)
    if scope.params:
        first = next(iter(scope.params.values()))[1]
        raise report.error(
            "params but no `forward` formula",
            first.keyword.span,
            "say how the output is computed, for example `forward y = w * x + b`",
        )
    if not scope.kinds:
        raise report.error(
            "the spec is empty",
            report.end(),
            "a spec needs at least a model, for example `layer Dense 1->1`",
        )
    raise report.error(
        "the spec has no model", report.end(), "add a layer, for example `layer Dense 1->1`"
    )


def formula(scope: Scope, forward: s.ForwardStmt) -> ir.Formula:
    """`forward y = w * x + b`: one row of output per sample of `x`."""
    report = scope.report
    if forward.name.text != "y":
        raise report.error(
            f"`forward` computes `{forward.name.text}`, but the model trains against `y`",
            forward.name.span,
            "write `forward y = ...`",
        )
    if not scope.params:
        if s.ParamStmt in scope.kinds:
            raise Invalid()  # the params' own errors are reported
        raise report.error(
            "the formula has nothing to train",
            forward.keyword.span,
            "declare its weights first, for example `param w[1] = zeros`",
        )
    x_shape = _x_shape(scope)
    expr, shape = FormulaLowering(scope, x_shape).lower(forward.value)
    if len(shape) != 2 or shape[0] != x_shape[0] or shape[1] is None:
        raise report.error(
            f"the formula gives shape {shape_text(shape)}; it must give one row per sample "
            f"of `x` {shape_text(x_shape)}",
            forward.value.span,
            "use `x` in the formula, for example `w * x + b`",
        )
    units_in = x_shape[1] or 1
    default_data(scope, (units_in,), shape[1])
    for name, (_, stmt) in scope.params.items():
        if name not in refs(expr):
            report.warning(f"param `{name}` is not used in the formula", stmt.name.span)
    return ir.Formula.model_construct(
        params=tuple(p for p, _ in scope.params.values()),
        expr=expr,
        units_in=units_in,
        units_out=shape[1],
    )


def _x_shape(scope: Scope) -> Shape:
    """The shape of `x`: as given, or the column specc draws, as long as `y` if `y` is given."""
    if "x" in scope.data:
        return scope.data["x"][0].shape
    rows = scope.data["y"][0].shape[0] if "y" in scope.data else None
    return (rows or v.DEFAULT_SAMPLES, 1)


def default_data(scope: Scope, sample_in: tuple[int, ...], units_out: int) -> None:
    """Check x and y against the model, filling in random ones the spec leaves out."""
    report = scope.report
    # Class indices are one column, whatever the number of classes.
    labels_only = scope.loss.kind in v.CLASSIFICATION_LOSSES
    units = {"x": sample_in, "y": (1 if labels_only else units_out,)}
    for name, sample in units.items():
        if name in scope.data:
            data, stmt = scope.data[name]
            if data.shape[1:] != sample and stmt is not None:
                if labels_only and name == "y":
                    message = f"`y` has {data.shape[1]} columns, but class labels are one"
                elif len(sample) == 1 and len(data.shape) == 2:
                    message = (
                        f"`{name}` has {data.shape[1]} column(s), but the {_end(scope, name)} "
                        f"has {sample[0]} {'input' if name == 'x' else 'output'}(s)"
                    )
                else:
                    message = (
                        f"`{name}` holds samples of shape {shape_text(data.shape[1:])}, but "
                        f"the {_end(scope, name)} takes {shape_text(sample)}"
                    )
                sizes = ", ".join(str(n) for n in sample)
                help_text = f"`{name}` must be a table of shape (samples, {sizes})"
                report.error(message, stmt.value.span, help_text)
    given = [scope.data[n] for n in units if n in scope.data]
    if len(given) == 1 and given[0][0].shape[0] is None:
        stmt = given[0][1]
        raise report.error(
            "with data read from a file, give both `x` and `y`",
            stmt.value.span if stmt else None,
        )
    loss = scope.loss
    if loss.kind in v.CLASSIFICATION_LOSSES and "y" not in scope.data:
        if "y" in scope.failed:
            raise Invalid()  # its statement's error is reported
        stmt = scope.first[s.LossStmt]
        assert isinstance(stmt, s.LossStmt)
        raise report.error(
            f"`{loss.kind}` trains on class labels, and the spec gives no `y`",
            stmt.kind.span,
            "give labels, for example `data y = argmax(x @ [[1, -1], [-1, 1]])` or "
            '`data x, y = dataset("iris")`',
        )
    samples = next((d.shape[0] for d, _ in given if d.shape[0]), v.DEFAULT_SAMPLES)
    for name, sample in units.items():
        if name not in scope.data:
            draw = ir.Draw.model_construct(fn="randn", shape=(samples, *sample))
            scope.data[name] = (
                ir.Data.model_construct(name=name, expr=draw, shape=draw.shape, default=True),
                None,
            )
    (x, _), (y, y_stmt) = scope.data["x"], scope.data["y"]
    if None not in (x.shape[0], y.shape[0]) and x.shape[0] != y.shape[0] and y_stmt:
        report.error(
            f"`y` has {y.shape[0]} rows but `x` has {x.shape[0]}",
            y_stmt.value.span,
            "inputs and targets need one row per sample",
        )


def _end(scope: Scope, name: str) -> str:
    """What `x` or `y` must fit, in words: "the first layer", "the model"."""
    if not scope.layers:
        return "model"
    return "first layer" if name == "x" else "last layer"


def check_unused(scope: Scope) -> None:
    """Warn about data that neither the model nor other data reads."""
    used: set[str] = {"x", "y"} | scope.mentioned  # read by data, whether checked or not
    for name, (_, stmt) in scope.data.items():
        if name not in used and stmt is not None:
            scope.report.warning(
                f"data `{name}` is never used",
                next(word for word in stmt.names if word.text == name).span,
                "the model trains on `x` and `y`",
            )
