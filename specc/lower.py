"""Lower: the IR and one backend -> a plan of plain values that a template only lays out.

Everything a script decides is decided here or in the backend: which helpers it needs, the
NumPy half (data and initial weights), the schedule, the log line and the report. The
backend adds what only its framework spells (`Plan.model`, a backend-specific named tuple).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import NamedTuple

from . import ir
from .backends import Backend
from .format import LINE_LENGTH
from .spell import (
    architecture,
    array_literal,
    contains,
    dataset_loader,
    datasets,
    numpy_expr,
    numpy_init,
    pow_text,
    py,
)

_DOCSTRING_WIDTH = 82  # a one-line docstring with its quotes fits black's 88 columns

# The concepts every script is made of, in the order it states them: an article shows the
# targets side by side one concept at a time (`specc.compiler.sections`).
SECTIONS = {
    "setup": "Imports and helpers",
    "data": "Data and initial weights",
    "model": "Model",
    "training": "Loss and optimizer",
    "loop": "Training loop",
    "report": "Predictions and trained weights",
}
SECTION_MARK = "# specc-section: "  # a comment line where a concept starts, when marked


# The plan's records are named tuples, as the syntax tree's nodes are: every build defines
# these classes anew, and a frozen dataclass takes seven times as long to define (1.3 ms).


class LogSite(NamedTuple):
    """Where a target prints its log line: the code for the loss, each shown weight's value
    and the epoch or step number there."""

    loss: str
    read: Callable[[ir.Weight], str]
    counter: str
    accuracy: str = ""  # the fraction classified right, where `log show=accuracy`
    test_loss: str = ""  # the held-out rows' loss and accuracy, where the log shows them
    test_accuracy: str = ""


class Log(NamedTuple):
    """The log line at one site, and the lines before it, run when `condition` holds (always
    when it is None)."""

    condition: str | None
    lines: tuple[str, ...]


class Plan(NamedTuple):
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
    glorot: str  # the glorot_uniform helper: "" (none), for "matrix" kernels, or any ("window")
    orthogonal: bool  # some weight is drawn orthogonal: the script defines its helper
    numbers: str  # "shortest" or "python": how fmt prints values
    dtype: str  # NumPy's name of the model's dtype
    seed: int
    inputs: str  # the data the model trains on
    targets: str
    data: tuple[str, ...]  # lines making the data: `x = rng.randn(100, 1)`, casts, x_new
    x_new: bool  # the spec has inputs to `predict`
    predicted: tuple[str, ...]  # the lines printing one input and its prediction
    init_comment: tuple[str, ...]  # over the initial weights (unused when all are native)
    init: tuple[str, ...]  # the initial weights' dict entries: `"w": np.zeros(1, ...),`
    count: str  # `epochs = 100`
    loop: str  # `for epoch in range(1, epochs + 1):`
    unit: str  # "epoch" or "step"
    batch: int | None  # the mini-batch size; None: full-batch
    batches: tuple[str, ...]  # the lines setting the batch size and where batches start
    order: tuple[str, ...]  # the lines choosing an epoch's order of the samples
    stopping: tuple[str, ...]  # with `patience`: what early stopping starts from
    stop: tuple[str, ...]  # ... and the check after each epoch, breaking out of the loop
    sequential: bool  # a stack of layers (else a formula)
    trained_loss_comment: str  # over the trained model's loss on the training data
    tested_comment: str  # over its loss on the held-out rows
    trained_comment: str  # over the trained weights
    trained: tuple[str, ...]  # lines printing each trained weight
    save: tuple[str, ...]  # the lines writing the trained model to a file (`save "name"`)
    model: object  # the backend's own plan: its model, loss, optimizer and loop
    sections: dict[str, str]  # concept -> the comment line marking its start ("": unmarked)


def lower(spec: ir.Spec, backend: Backend, marked: bool = False) -> Plan:
    """Decide every part of one target's script; `marked` puts a comment where each of the
    `SECTIONS` starts, for an article to cut the formatted script at."""
    sequential = isinstance(spec.network, ir.Sequential)
    title = f"{spec.name} in {backend.title}: {architecture(spec)}."
    if len(title) > _DOCSTRING_WIDTH:
        model = textwrap.fill(f"Model: {architecture(spec)}", LINE_LENGTH)
        title = f"{spec.name} in {backend.title}.\n\n{model}\n"
    training = spec.training
    csv = any(contains(d.expr, "csv") for d in spec.data)
    drawn = [w for w in spec.weights if w.init.kind == "glorot_uniform"]
    glorot = ""  # the helper drawing Glorot-uniform kernels: of matrices, or of any shape
    if drawn:
        glorot = "window" if any(len(w.shape) > 2 for w in drawn) else "matrix"
    return Plan(
        stamp=spec.source_name,
        docstring=title,
        title=backend.title,
        name=spec.name,
        architecture=architecture(spec),
        quiet_tensorflow=backend.quiet_tensorflow,
        environment=backend.environment(spec),
        imports=_imports(spec, backend, csv),
        csv=csv,
        glorot=glorot,
        orthogonal=any(w.init.kind == "orthogonal" for w in spec.weights),
        numbers=spec.logging.numbers,
        dtype=spec.dtype,
        seed=spec.seed,
        inputs=spec.inputs,
        targets=spec.targets,
        data=_data(spec),
        x_new=spec.predict is not None,
        predicted=_predicted(spec),
        init_comment=_init_comment(spec),
        init=tuple(
            f'"{w.name}": {numpy_init(w, spec.dtype, glorot == "window")},'
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
        stopping=_stopping(spec),
        stop=_stop(spec),
        sequential=sequential,
        trained_loss_comment=(
            "The trained model's loss on the training data: logged losses come before updates."
        ),
        tested_comment="The trained model on the held-out rows, which no update has seen.",
        trained_comment=(
            "The trained weights, kernels as (inputs, outputs) in every target."
            if sequential
            else "The trained weights."
        ),
        trained=tuple(f'print("{w.name}", fmt({backend.value(spec, w)}))' for w in spec.weights),
        save=backend.save(spec, spec.save) if spec.save else (),
        model=backend.lower(spec),
        sections={key: SECTION_MARK + key if marked else "" for key in SECTIONS},
    )


def _init_comment(spec: ir.Spec) -> tuple[str, ...]:
    """The comment over the initial weights: their layout, where the model has layers."""
    if not isinstance(spec.network, ir.Sequential):
        return ("# Initial weights.",)
    axes = {len(w.shape) for w in spec.weights if w.role == "kernel"}
    window = "(height, width, inputs, outputs)" if 4 in axes else "(window, inputs, outputs)"
    layout = f"(inputs, outputs), a convolution's {window}" if axes - {2} else "(inputs, outputs)"
    if any(w.role == "embeddings" for w in spec.weights):
        layout += ", embeddings (ids, numbers)"
    text = f"Initial weights; kernels are {layout}, as Keras and TensorFlow store them."
    return comment_lines(text)


def comment_lines(text: str, indent: int = 0) -> tuple[str, ...]:
    """`text` as comment lines that fit black's line length at `indent`."""
    return tuple(f"# {line}" for line in textwrap.wrap(text, LINE_LENGTH - indent - 2))


def modes(spec: ir.Spec, mode: str) -> str:
    """What the model's layers do in `mode` (`training`, `inference`), for comments:
    "BatchNorm normalizes by its running statistics and Dropout keeps every value"."""
    said = [getattr(kind, mode) for kind in spec.modal]
    return said[0] if len(said) == 1 else ", ".join(said[:-1]) + " and " + said[-1]


def seeded(whose: str, call: str) -> tuple[str, ...]:
    """The lines seeding a framework's generator (`call`), where Dropout draws its masks."""
    return (
        *comment_lines(
            f"Dropout draws its masks with {whose} own generator, seeded so that a run repeats; "
            "no setting makes it draw the masks another framework draws."
        ),
        call,
    )


def _stopping(spec: ir.Spec) -> tuple[str, ...]:
    """The lines early stopping starts from, with `patience`."""
    if spec.training.patience is None:
        return ()
    return (
        f"patience = {spec.training.patience}",
        "# Early stopping, as Keras's EarlyStopping rules: stop after an epoch when the test",
        "# loss has not gone below its best for `patience` epochs.",
        'best_test_loss, waited = float("inf"), 0',
    )


WATCH = "# The held-out rows' loss after this epoch's updates, for early stopping."
# Two strings, so that black can break the line between them.
STOPPED = (
    'print(f"stopped after epoch {{{epoch}}}:", '
    'f"the test loss has not improved for {{patience}} epochs")'
)


def _stop(spec: ir.Spec) -> tuple[str, ...]:
    """The lines checking, after an epoch, whether early stopping ends the training."""
    if spec.training.patience is None:
        return ()
    return (
        "if test_loss < best_test_loss:",
        "    best_test_loss, waited = test_loss, 0",
        "else:",
        "    waited += 1",
        "    if waited >= patience:",
        "        " + STOPPED.format(epoch="epoch"),
        "        break",
    )


def _order(spec: ir.Spec) -> tuple[str, ...]:
    """The lines choosing the order of an epoch's samples, for mini-batches."""
    if not spec.training.shuffle:
        return (f"order = np.arange(len({spec.inputs}))  # the data's own order",)
    return (
        "# A new NumPy-drawn order each epoch: every target visits the same batches.",
        f"order = rng.permutation(len({spec.inputs}))",
    )


def _imports(spec: ir.Spec, backend: Backend, csv: bool) -> tuple[str, ...]:
    """The standard library's imports, then the framework's and scikit-learn's loaders, each
    group sorted as isort sorts it."""
    loaders = [f"from sklearn.datasets import {dataset_loader(d)}" for d in datasets(spec)]
    lines = [*(["import csv"] if csv else []), *backend.imported(spec), *loaders]
    standard = sorted(line for line in lines if line.split()[1] in STANDARD_LIBRARY)
    others = sorted(
        (line for line in lines if line.split()[1] not in STANDARD_LIBRARY),
        key=lambda line: (line[0] == "f", line.split()[1]),
    )
    return (*standard, *([""] if standard else []), *others)


STANDARD_LIBRARY = (
    "contextlib",
    "csv",
    "os",
    "sys",
    "warnings",
)  # the modules a script imports from it


def _data(spec: ir.Spec) -> tuple[str, ...]:
    """The data, drawn and computed in float64, then cast where the model meets them."""
    lines = []
    defaults = [d.name for d in spec.data if d.default]
    if defaults:
        given = "no data" if len(defaults) == len(spec.data) else "no " + " or ".join(defaults)
        lines.append(f"# The spec gives {given}: random values of the model's shape.")
    lines += _computed(spec)
    x, y, dtype = spec.inputs, spec.targets, spec.dtype
    if spec.integer_inputs:
        lines.append(f"# {x} holds token ids, which the Embedding looks up: they stay integers.")
        if spec.loss.kind == "crossentropy":
            lines.append("# The losses on logits take one integer class index per sample.")
            lines.append(f"{x}, {y} = {x}.astype(np.int64), {y}.ravel().astype(np.int64)")
        else:
            lines.append(f"{x}, {y} = {x}.astype(np.int64), {y}.astype(np.{dtype})")
    elif spec.loss.kind == "crossentropy":
        lines.append("# The losses on logits take one integer class index per sample.")
        if dtype == "float64" and not _integers(spec, x):
            lines.append(f"{y} = {y}.ravel().astype(np.int64)")
        else:
            lines.append(f"{x}, {y} = {x}.astype(np.{dtype}), {y}.ravel().astype(np.int64)")
    elif dtype != "float64" or _integers(spec, x) or _integers(spec, y):
        # integers (labels, drawn or listed whole numbers) become numbers of the dtype
        lines.append(f"{x}, {y} = {x}.astype(np.{dtype}), {y}.astype(np.{dtype})")
    inputs = spec.predict.inputs if spec.predict else None
    kept = "int64" if spec.integer_inputs else dtype  # what x holds by now
    if isinstance(inputs, ir.ArrayLiteral):
        lines.append(f"x_new = {array_literal(inputs, kept)}")
    elif isinstance(inputs, ir.Rows):  # of `x`, cast by now; or of other data, in float64
        given = inputs.arg.name
        uncast = given != x and (
            spec.integer_inputs or dtype != "float64" or _integers(spec, given)
        )
        cast = f".astype(np.{kept})" if uncast else ""
        lines.append(f"x_new = {numpy_expr(inputs)}{cast}")
    if spec.split is not None:  # after `predict`'s rows: `x[:3]` are the data's first rows
        lines += _split(spec, spec.split)
    return tuple(lines)


def _split(spec: ir.Spec, held: ir.Split) -> list[str]:
    """The lines holding rows out for testing: one NumPy-drawn permutation, its first rows
    the test rows; the names `x` and `y` then hold the training rows."""
    x, y = spec.inputs, spec.targets
    share = f"{held.test * 100:g}%"
    lines = []
    if held.rows is None:  # rows read from a file: counted when the script reads them
        count = "test_rows"
        lines += comment_lines(
            f"Hold out {share} of the samples for testing (rounded up, as scikit-learn's "
            "train_test_split counts them), in one NumPy-drawn order: every target trains "
            "and tests on the same rows."
        )
        lines.append(f"test_rows = int(np.ceil({py(held.test)} * len({x})))")
    else:
        count = str(held.rows)
        rows = next(d.shape[0] for d in spec.data if d.name == x)
        lines += comment_lines(
            f"Hold out {held.rows} of the {rows} samples ({share}, rounded up, as "
            "scikit-learn's train_test_split counts them) for testing, in one NumPy-drawn "
            "order: every target trains and tests on the same rows."
        )
    return [
        *lines,
        f"held_out = rng.permutation(len({x}))",
        f"{x}_test, {y}_test = {x}[held_out[:{count}]], {y}[held_out[:{count}]]",
        f"{x}, {y} = {x}[held_out[{count}:]], {y}[held_out[{count}:]]",
    ]


def _computed(spec: ir.Spec) -> list[str]:
    """One line per data; a data set's features and labels are loaded in one."""
    lines = []
    for data in spec.data:
        expr = data.expr
        if isinstance(expr, ir.Dataset) and expr.part == "labels" and _pair(spec, data):
            continue  # loaded with its features
        if isinstance(expr, ir.Dataset) and (labels := _pair(spec, data)):
            loader = dataset_loader(expr.name)
            lines.append(f"{data.name}, {labels.name} = {loader}(return_X_y=True)")
            if spec.loss.kind != "crossentropy" or labels.name != spec.targets:
                lines.append(f"{labels.name} = {labels.name}.reshape(-1, 1)  # one column")
            continue
        if isinstance(expr, ir.Windows) and expr.part == "inputs":
            lines += comment_lines(
                f"Each sample is {expr.steps} consecutive rows of {expr.arg.name} (its steps); "
                "its target is the row after them."
            )
        lines.append(f"{data.name} = {numpy_expr(expr)}")
    return lines


def _pair(spec: ir.Spec, data: ir.Data) -> ir.Data | None:
    """A data set's features and labels as consecutive data: the features' labels, or the
    labels' features."""
    index = spec.data.index(data)
    step = 1 if data.expr.part == "features" else -1  # type: ignore[union-attr]
    other = index + step
    if not 0 <= other < len(spec.data):
        return None
    partner = spec.data[other]
    expr, own = partner.expr, data.expr
    if isinstance(expr, ir.Dataset) and expr.name == own.name and expr.part != own.part:  # type: ignore[union-attr]
        return partner
    return None


def _integers(spec: ir.Spec, name: str) -> bool:
    """NumPy computes the data `name` as integers (`ir.integral`)."""
    data = {d.name: d.expr for d in spec.data}
    return ir.integral(data[name], data)


def _predicted(spec: ir.Spec) -> tuple[str, ...]:
    """The lines printing an input's prediction: a class and its probabilities, or values;
    token ids as the whole numbers they are."""
    ids = ('features = " ".join(map(str, features))  # the ids',) if spec.integer_inputs else ()
    features = "{features}" if ids else "{fmt(features)}"
    head = f'print(f"predict {features} -> '
    if spec.loss.kind == "crossentropy":
        label, probabilities = "{prediction.argmax()}", "probabilities"
    elif spec.loss.kind == "bce":
        label, probabilities = "{int(prediction[0] > 0.5)}", "probability"
    else:
        return (*ids, head + '{fmt(prediction)}")')
    # Two strings, so that a line too long breaks between the class and its probabilities.
    return (*ids, head + f'class {label}", f"{probabilities} {{fmt(prediction)}}", sep="  ")')


def learning_rate(spec: ir.Spec, index: str) -> str:
    """The learning rate of the updates of epoch (or step) `index`, counted from 0, as Python
    computes it in float64: every target's script writes the same expression, and rounds
    its value to the model's dtype once, where the optimizer uses it."""
    schedule = spec.schedule
    assert schedule is not None
    lr = py(spec.optimizer["lr"])
    index = f"({index})" if " " in index else index
    if schedule.kind == "step":
        return f"{lr} * {pow_text(py(schedule.factor), f'({index} // {schedule.every})')}"
    if schedule.kind == "exponential":
        return f"{lr} * {pow_text(py(schedule.factor), index)}"
    count = f"{spec.training.unit}s"
    cosine = f"(1 + np.cos(np.pi * {index} / {count})) / 2"
    if not schedule.min:
        return f"float({lr} * {cosine})"
    low = py(schedule.min)
    return f"float({low} + ({lr} - {low}) * {cosine})"


def scheduled(spec: ir.Spec, name: str) -> tuple[str, ...]:
    """The lines that start each epoch (or step) setting `name` to its learning rate."""
    if spec.schedule is None:
        return ()
    unit = spec.training.unit
    index = "epoch - 1" if unit == "epoch" else "step"
    return (
        *comment_lines(f"This {unit}'s learning rate: {schedule_said(spec)}.", 8),
        f"{name} = {learning_rate(spec, index)}",
    )


def schedule_said(spec: ir.Spec) -> str:
    """The schedule in words, for comments: "halved every 2 epochs"."""
    schedule, unit = spec.schedule, spec.training.unit
    assert schedule is not None
    if schedule.kind == "cosine":
        end = f" to {py(schedule.min)}" if schedule.min else " toward 0"
        return f"half a cosine from {py(spec.optimizer['lr'])}{end} over the {unit}s"
    factor = "halved" if schedule.factor == 0.5 else f"times {py(schedule.factor)}"
    every = schedule.every or 1
    return f"{factor} every {every} {unit}s" if every > 1 else f"{factor} every {unit}"


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
    if spec.logging.accuracy:
        parts.append(f'f"accuracy {{fmt({site.accuracy})}}"')
    if spec.logging.test_loss:
        parts.append(f'f"test_loss {{fmt({site.test_loss})}}"')
    if spec.logging.test_accuracy:
        parts.append(f'f"test_accuracy {{fmt({site.test_accuracy})}}"')
    parts += [f'f"{w.name} {{fmt({site.read(w)})}}"' for w in spec.shown]
    separator = ', sep="  "' if len(parts) > 1 else ""
    return Log(condition, (*before, f"print({', '.join(parts)}{separator})"))


def trained_loss(
    spec: ir.Spec, loss: str, accuracy: str, before: tuple[str, ...] = ()
) -> tuple[str, ...]:
    """The lines printing the trained model's loss on the whole training data, after
    `before` (which compute it): `trained  loss 0.1084`, and its accuracy where the log
    shows it. Printed whatever the log's `format`, in the log lines' numbers."""
    parts = [f'f"trained  loss {{fmt({loss})}}"']
    if spec.logging.accuracy:
        parts.append(f'f"accuracy {{fmt({accuracy})}}"')
    separator = ', sep="  "' if len(parts) > 1 else ""
    return (*before, f"print({', '.join(parts)}{separator})")


def held_out(spec: ir.Spec, lines: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """`lines`, which compute the held-out rows' figures, as a log line takes them (under its
    comment, where the log shows them) and as early stopping watches them (with `patience`)."""
    logging = spec.logging
    shown = (test_comment(spec), *lines) if logging.test_loss or logging.test_accuracy else ()
    watched = (WATCH, *lines) if spec.training.patience is not None else ()
    return shown, watched


def test_comment(spec: ir.Spec) -> str:
    """The comment over the lines computing a log line's test figures: when they are taken."""
    unit = spec.training.unit
    when = f"after this {unit}'s updates" if spec.training.batch else f"before this {unit}'s update"
    return f"# The held-out rows' figures, in inference mode, {when}."


def tested(
    spec: ir.Spec, loss: str, accuracy: str, before: tuple[str, ...] = ()
) -> tuple[str, ...]:
    """The lines printing the trained model's loss on the held-out rows, after `before`
    (which compute it): `test  loss 0.1215`, and its accuracy where the loss classifies;
    none without a `split`."""
    if spec.split is None:
        return ()
    parts = [f'f"test  loss {{fmt({loss})}}"']
    if spec.classifies:
        parts.append(f'f"accuracy {{fmt({accuracy})}}"')
    separator = ', sep="  "' if len(parts) > 1 else ""
    return (*before, f"print({', '.join(parts)}{separator})")


def _formatted(spec: ir.Spec, site: LogSite) -> str:
    """A log line in the spec's own `format`: only the fields it names are passed."""
    used = spec.logging.format_fields
    unit = spec.training.unit
    fields = [f"{unit}={site.counter}"] if unit in used else []
    if "loss" in used:
        fields.append(f"loss=np.{spec.dtype}({site.loss})")
    if "accuracy" in used:
        fields.append(f"accuracy=np.{spec.dtype}({site.accuracy})")
    for figure in ("test_loss", "test_accuracy"):
        if figure in used:
            fields.append(f"{figure}=np.{spec.dtype}({getattr(site, figure)})")
    fields += [f"{w.var}={site.read(w)}" for w in spec.shown if w.var in used]
    return f"print({py(spec.logging.format)}.format({', '.join(fields)}))"
