"""Lower: the IR and one backend -> a plan of plain values that a template only lays out.

Everything a script decides is decided here or in the backend: which helpers it needs, the
NumPy half (data and initial weights), the schedule, the log line and the report. The
backend adds what only its framework spells (`Plan.model`, a backend-specific dataclass).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import ir
from .backends import Backend
from .spell import architecture, array_literal, contains, numpy_expr, numpy_init, py

_DOCSTRING_WIDTH = 82  # a one-line docstring with its quotes fits black's 88 columns


@dataclass(frozen=True)
class LogSite:
    """Where a target prints its log line: the code for the loss, each shown weight's value
    and the epoch or step number there."""

    loss: str
    read: Callable[[ir.Weight], str]
    counter: str


@dataclass(frozen=True)
class Log:
    """The log line at one site, and the lines before it, run when `condition` holds (always
    when it is None)."""

    condition: str | None
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """One script, decided: what every target's template lays out."""

    stamp: str  # the spec's file name
    docstring: str  # the module docstring's text, one line or a title and a model line
    title: str  # the framework, as the docstring names it
    name: str  # the model's class name
    architecture: str  # the model in one line
    quiet_tensorflow: bool  # set TensorFlow's logging variables before it is imported
    environment: tuple[str, ...]  # more variables the framework reads when it is imported
    imports: tuple[str, ...]  # import lines, standard library first
    csv: bool  # the script reads a CSV file: the read_csv helper
    glorot: bool  # the glorot_uniform helper
    numbers: str  # "shortest" or "python": how fmt prints values
    dtype: str  # NumPy's name of the model's dtype
    seed: int
    inputs: str  # the data the model trains on
    targets: str
    data: tuple[str, ...]  # lines making the data: `x = rng.randn(100, 1)`, casts, x_new
    x_new: bool  # the spec has inputs to `predict`
    init_comment: str  # over the initial weights (empty when every weight is native)
    init: tuple[str, ...]  # the initial weights' dict entries: `"w": np.zeros(1, ...),`
    count: str  # `epochs = 100`
    loop: str  # `for epoch in range(1, epochs + 1):`
    unit: str  # "epoch" or "step"
    batch: int | None  # the mini-batch size; None: full-batch
    batches: tuple[str, ...]  # the lines setting the batch size and where batches start
    order: tuple[str, ...]  # the lines choosing an epoch's order of the samples
    sequential: bool  # a stack of layers (else a formula)
    trained_comment: str  # over the trained weights
    trained: tuple[str, ...]  # lines printing each trained weight
    model: object  # the backend's own plan: its model, loss, optimizer and loop


def lower(spec: ir.Spec, backend: Backend) -> Plan:
    """Decide every part of one target's script."""
    sequential = isinstance(spec.network, ir.Sequential)
    title = f"{spec.name} in {backend.title}: {architecture(spec)}."
    if len(title) > _DOCSTRING_WIDTH:
        title = f"{spec.name} in {backend.title}.\n\nModel: {architecture(spec)}\n"
    training = spec.training
    csv = any(contains(d.expr, "csv") for d in spec.data)
    return Plan(
        stamp=spec.source_name,
        docstring=title,
        title=backend.title,
        name=spec.name,
        architecture=architecture(spec),
        quiet_tensorflow=backend.quiet_tensorflow,
        environment=backend.environment(spec),
        imports=(*(("import csv", "") if csv else ()), *backend.imports),
        csv=csv,
        glorot=any(w.init.kind == "glorot_uniform" for w in spec.weights),
        numbers=spec.logging.numbers,
        dtype=spec.dtype,
        seed=spec.seed,
        inputs=spec.inputs,
        targets=spec.targets,
        data=_data(spec),
        x_new=spec.predict is not None,
        init_comment=(
            "Initial weights; kernels are (inputs, outputs), as Keras and TensorFlow store them."
            if sequential
            else "Initial weights."
        ),
        init=tuple(
            f'"{w.name}": {numpy_init(w, spec.dtype)},'
            for w in spec.weights
            if w.init.kind != "native"
        ),
        count=f"{training.unit}s = {training.count}",
        loop=(
            "for epoch in range(1, epochs + 1):"
            if training.unit == "epoch"
            else "for step in range(steps):"
        ),
        unit=training.unit,
        batch=training.batch,
        batches=(
            f"batch_size = {training.batch}",
            f"batches = range(0, len({spec.inputs}), batch_size)  # where each batch starts",
        ),
        order=_order(spec),
        sequential=sequential,
        trained_comment=(
            "The trained weights, kernels as (inputs, outputs) in every target."
            if sequential
            else "The trained weights."
        ),
        trained=tuple(f'print("{w.name}", fmt({backend.read(w)}))' for w in spec.weights),
        model=backend.lower(spec),
    )


def _order(spec: ir.Spec) -> tuple[str, ...]:
    """The lines choosing the order of an epoch's samples, for mini-batches."""
    if not spec.training.shuffle:
        return (f"order = np.arange(len({spec.inputs}))  # the data's own order",)
    return (
        "# A new NumPy-drawn order each epoch: every target visits the same batches.",
        f"order = rng.permutation(len({spec.inputs}))",
    )


def _data(spec: ir.Spec) -> tuple[str, ...]:
    """The data, drawn and computed in float64, then cast where the model meets them."""
    lines = []
    defaults = [d.name for d in spec.data if d.default]
    if defaults:
        given = "no data" if len(defaults) == len(spec.data) else "no " + " or ".join(defaults)
        lines.append(f"# The spec gives {given}: random values of the model's shape.")
    lines += [f"{d.name} = {numpy_expr(d.expr)}" for d in spec.data]
    x, y, dtype = spec.inputs, spec.targets, spec.dtype
    if dtype != "float64":
        lines.append(f"{x}, {y} = {x}.astype(np.{dtype}), {y}.astype(np.{dtype})")
    if spec.predict:
        lines.append(f"x_new = {array_literal(spec.predict.inputs, dtype)}")
    return tuple(lines)


def log(spec: ir.Spec, site: LogSite, before: tuple[str, ...] = ()) -> Log:
    """The log line printed at `site`, every `log every=N` epochs or steps, after `before`."""
    every = spec.logging.every
    counter = f"({site.counter})" if " " in site.counter else site.counter
    condition = f"{counter} % {every} == 0" if every > 1 else None
    if spec.logging.format is not None:
        return Log(condition, (*before, _formatted(spec, site)))
    unit, count = spec.training.unit, spec.training.count
    digits = len(str(count if unit == "epoch" else count - 1))
    number = f"{{{site.counter}:{digits}d}}" if digits > 1 else f"{{{site.counter}}}"
    head = f"epoch {number}/{{epochs}}" if unit == "epoch" else f"step {number}"
    parts = [f'f"{head}  loss {{fmt({site.loss})}}"']
    parts += [f'f"{w.name} {{fmt({site.read(w)})}}"' for w in spec.shown]
    separator = ', sep="  "' if spec.shown else ""
    return Log(condition, (*before, f"print({', '.join(parts)}{separator})"))


def _formatted(spec: ir.Spec, site: LogSite) -> str:
    """A log line in the spec's own `format`: only the fields it names are passed."""
    used = spec.logging.format_fields
    unit = spec.training.unit
    fields = [f"{unit}={site.counter}"] if unit in used else []
    if "loss" in used:
        fields.append(f"loss=np.{spec.dtype}({site.loss})")
    fields += [f"{w.var}={site.read(w)}" for w in spec.shown if w.var in used]
    return f"print({py(spec.logging.format)}.format({', '.join(fields)}))"
