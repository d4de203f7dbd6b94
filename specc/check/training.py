"""Training: the loss, the optimizer and the schedule; then what is logged and predicted."""

from __future__ import annotations

import itertools
import math
import re

from .. import ir
from .. import syntax as s
from .. import vocabulary as v
from ..diagnostics import Span, did_you_mean, one_of, shape_text
from ..layers import kind_of
from .expressions import DataLowering, array
from .scope import Scope
from .values import choice, literal_number, options, requirements

Network = ir.Sequential | ir.Formula


def loss_stmt(scope: Scope, stmt: s.LossStmt) -> None:
    """`loss mse reduction=sum`."""
    kind = choice(scope.report, stmt.kind, v.LOSSES)
    word = v.LOSSES[kind]
    given = options(scope.report, stmt.options, word)
    scope.fields["loss"] = ir.Loss.model_construct(kind=kind, **(word.defaults() | given))


def optim_stmt(scope: Scope, stmt: s.OptimStmt) -> None:
    """`optim sgd lr=0.01 momentum=0.9`: each optimizer takes its own options."""
    kind = choice(scope.report, stmt.kind, v.OPTIMIZERS)
    # Naming the optimizer makes an option meant for another one a located error of its own.
    word = v.OPTIMIZERS[kind]
    given = options(scope.report, stmt.options, word, what=f"`{kind}`")
    requirements(scope.report, stmt.options, word, given)
    scope.fields["optimizer"] = ir.Optimizer.model_construct(
        kind=kind, options=word.defaults() | given
    )


def schedule_stmt(scope: Scope, stmt: s.ScheduleStmt) -> None:
    """`schedule step every=10 factor=0.5`: each kind takes its own options."""
    kind = choice(scope.report, stmt.kind, v.SCHEDULES)
    word = v.SCHEDULES[kind]
    given = options(scope.report, stmt.options, word, what=f"`{kind}`")
    written = {o.key.text for o in stmt.options}  # a bad value is an error of its own
    missing = [n for n in v.SCHEDULE_REQUIRED[kind] if n not in written]
    if missing and written <= {o.name for o in word.options}:  # else a hint says it
        example = " ".join(f"{n}={_SCHEDULE_EXAMPLES[n]}" for n in v.SCHEDULE_REQUIRED[kind])
        raise scope.report.error(
            f"`schedule {kind}` needs `{'` and `'.join(missing)}`",
            stmt.kind.span,
            f"for example `schedule {kind} {example}`",
        )
    scope.fields["schedule"] = ir.Schedule.model_construct(
        kind=kind, **{"min": 0, **word.defaults(), **given}
    )


_SCHEDULE_EXAMPLES = {"every": 10, "factor": 0.5}


def train_stmt(scope: Scope, stmt: s.TrainStmt) -> None:
    """`train epochs=100 batch=16 shuffle=true` or `train steps=2000` (full-batch)."""
    given = options(scope.report, stmt.options, v.TRAIN_OPTIONS)
    requirements(scope.report, stmt.options, v.TRAIN_OPTIONS, given)
    if "steps" in given and "epochs" in given:
        raise scope.report.error(
            "give `epochs` or `steps`, not both",
            _option(stmt, "steps").span,
            "with full-batch training each epoch is one step",
        )
    if "steps" in given and "batch" in given:
        raise scope.report.error(
            "mini-batches are counted in epochs, not steps",
            _option(stmt, "batch").span,
            "steps are full-batch updates: write `train epochs=20 batch=16`",
        )
    batching = {
        "batch": given.get("batch"),
        "shuffle": given.get("shuffle", False),
        "patience": given.get("patience"),
    }
    if "steps" in given:
        scope.fields["training"] = ir.Training.model_construct(unit="step", count=given["steps"])
    else:
        epochs = given.get("epochs", v.TRAIN_OPTIONS.option("epochs").default)
        scope.fields["training"] = ir.Training.model_construct(
            unit="epoch", count=epochs, **batching
        )


def split_stmt(scope: Scope, stmt: s.SplitStmt) -> None:
    """`split test=0.2`: the test rows are counted once the data's rows are known (`split`)."""
    given = options(scope.report, stmt.options, v.SPLIT_OPTIONS)
    if "test" not in given and stmt.options:  # its one option, misspelled: said already
        return
    if "test" not in given:
        raise scope.report.error(
            "`split` needs the fraction of rows it holds out for testing",
            stmt.keyword.span,
            "write `split test=0.2`",
        )
    scope.fields["split"] = ir.Split.model_construct(test=float(given["test"]))  # type: ignore[arg-type]


def distribute_stmt(scope: Scope, stmt: s.DistributeStmt) -> None:
    """`distribute replicas=2`: the shards are checked once the data's rows are known
    (`distribution`)."""
    given = options(scope.report, stmt.options, v.DISTRIBUTE_OPTIONS)
    if "replicas" not in given and stmt.options:  # its one option, misspelled: said already
        return
    if "replicas" not in given:
        raise scope.report.error(
            "`distribute` needs the number of replicas to split each batch over",
            stmt.keyword.span,
            "write `distribute replicas=2`",
        )
    scope.fields["distribute"] = ir.Distribution.model_construct(replicas=given["replicas"])


def device_stmt(scope: Scope, stmt: s.DeviceStmt) -> None:
    """`device gpu`."""
    scope.fields["device"] = choice(scope.report, stmt.name, v.DEVICES)


def save_stmt(scope: Scope, stmt: s.SaveStmt) -> None:
    """`save "iris"`: a plain name, which each target turns into its own file's name."""
    name, span = stmt.name.value, stmt.name.span
    # The help suggests the name a path or a file name holds: `../models/iris.pt` -> iris.
    stem = re.sub(r"[^A-Za-z0-9_-]", "_", re.split(r"[/\\]", name)[-1].split(".")[0])
    stem = stem[: v.MAX_SAVE_NAME] or "model"
    help_text = (
        f'write `save "{stem}"`: each script writes its own file of that name where it runs '
        f"(`{stem}_torch.pt`, `{stem}_numpy.npz`, ...); a name is letters, digits, `_` and `-`"
    )
    if not name:
        raise scope.report.error("`save` takes a name, and this one is empty", span, help_text)
    if re.search(r"[/\\]|\.\.", name):
        raise scope.report.error("`save` takes a plain name, not a path", span, help_text)
    bad = next((c for c in name if not re.fullmatch(v.SAVE_NAME, c)), None)
    if bad is not None:
        shown = "a space" if bad == " " else f"`{bad}`" if bad.isprintable() else repr(bad)
        raise scope.report.error(
            f"`save` takes a plain name, and this one has {shown}", span, help_text
        )
    if len(name) > v.MAX_SAVE_NAME:
        raise scope.report.error(
            f"a name longer than {v.MAX_SAVE_NAME} characters", span, help_text
        )
    scope.fields["save"] = name


def _option(stmt: s.TrainStmt | s.SplitStmt | s.DistributeStmt, key: str) -> s.Option:
    return next(o for o in stmt.options if o.key.text == key)


# Checked once the model is known ----------------------------------------------------------


# Optimizers that divide each gradient by its own running root mean square.
_NORMALIZING = ("adam", "adamw", "rmsprop")


def bias_before_batchnorm(scope: Scope) -> None:
    """Warn at a bias that BatchNorm follows directly, under an optimizer that normalizes
    gradients: BatchNorm takes the batch's mean away, so the bias's gradient is zero but for
    rounding noise, which such an optimizer steps by the full learning rate."""
    optimizer = scope.fields.get("optimizer")
    kind = optimizer.kind if optimizer is not None else "sgd"
    if kind not in _NORMALIZING:
        return
    for (layer, stmt), (after, _) in itertools.pairwise(scope.layers):
        biased = any(w.role == "bias" for w in kind_of(layer).weights(layer))
        if after.kind == "BatchNorm" and biased and layer.activation == "linear":
            scope.report.warning(
                f"`{layer.name}`'s bias comes just before BatchNorm, which takes the batch's "
                f"mean away: its gradient is rounding noise, which `{kind}` steps by the full "
                "learning rate, so the bias and BatchNorm's running mean drift at random, "
                "differently in every target",
                stmt.kind.span,
                "train with `optim sgd`, whose steps keep such noise a rounding error, or put "
                "the activation in the layer before BatchNorm",
            )


def split(scope: Scope) -> None:
    """The rows `split` holds out, where the data's rows are known (a file's are only when
    the script reads it): at least one for testing and one for training."""
    held = scope.fields.get("split")
    stmt = scope.first.get(s.SplitStmt)
    rows = scope.data["x"][0].shape[0] if "x" in scope.data else None
    if held is None or rows is None or not isinstance(stmt, s.SplitStmt):
        return
    test = math.ceil(held.test * rows)
    if test >= rows:
        raise scope.report.error(
            f"`split test={held.test:g}` holds out all {rows} samples, leaving none to train on",
            _option(stmt, "test").values[0].span,
            f"hold out fewer: `split test={math.floor(100 * (rows - 1) / rows) / 100:g}` "
            "leaves one to train on",
        )
    scope.fields["split"] = held.model_copy(update={"rows": test})


def distribution(scope: Scope) -> None:
    """Data-parallel training trains the one-process model: no statistics of a shard's own
    (BatchNorm), and every batch, the last one too, gives each replica a row at least."""
    distributed, stmt = scope.fields.get("distribute"), scope.first.get(s.DistributeStmt)
    if distributed is None or not isinstance(stmt, s.DistributeStmt):
        return
    replicas = distributed.replicas
    for layer, layer_stmt in scope.layers:
        if layer.kind == "BatchNorm":
            raise scope.report.error(
                f"BatchNorm normalizes by the batch's statistics, and with `distribute "
                f"replicas={replicas}` each replica would use its own shard's: the replicas "
                "would not train the one-process model",
                layer_stmt.kind.span,
                "leave BatchNorm out of a distributed spec (`LayerNorm` normalizes each "
                "sample on its own), or train in one process",
            )
    rows = scope.data["x"][0].shape[0] if "x" in scope.data else None
    held = scope.fields.get("split")
    if rows is None or (held is not None and held.rows is None):
        return  # a file's rows are known only when the script reads it
    trained = rows - (held.rows if held is not None else 0)
    batch = min(scope.training.batch or trained, trained)
    last = trained % batch or batch
    if min(batch, last) >= replicas:
        return
    span = _option(stmt, "replicas").values[0].span
    if batch < replicas:
        what = "samples" if scope.training.batch is None else "rows in a batch"
        raise scope.report.error(
            f"{replicas} replicas and {batch} {what}: a replica would get no rows",
            span,
            f"split each batch over at most {batch} replicas",
        )
    # The batch size nearest the spec's whose last batch gives every replica a row.
    near = next(
        b
        for distance in itertools.count()
        for b in (batch - distance, batch + distance)
        if replicas <= b <= trained and (trained % b == 0 or trained % b >= replicas)
    )
    left = trained % near or near
    raise scope.report.error(
        f"batches of {batch} from {trained} rows leave a last batch of {last}, too few for "
        f"{replicas} replicas: a replica would get no rows",
        span,
        f"`batch={near}` leaves a last batch of {left}; or split over at most {last} replicas",
    )


def patience(scope: Scope) -> None:
    """Early stopping watches the held-out rows' loss: it needs a `split`."""
    stmt = scope.first.get(s.TrainStmt)
    if scope.training.patience is None or "split" in scope.fields:
        return
    assert isinstance(stmt, s.TrainStmt)
    raise scope.report.error(
        "`patience` stops training when the test loss stops improving, and no rows are "
        "held out for testing",
        _option(stmt, "patience").span,
        "hold out a fifth of the rows with `split test=0.2`",
    )


def batches(scope: Scope) -> None:
    """A mini-batch no larger than the data it trains on (rows read from a file are known
    only later): the rows `split` leaves for training."""
    batch = scope.training.batch
    stmt = scope.first.get(s.TrainStmt)
    rows = scope.data["x"][0].shape[0] if "x" in scope.data else None
    held = scope.fields.get("split")
    if rows is not None and held is not None and held.rows is not None:
        rows -= held.rows
    if batch is None or rows is None or batch <= rows or not isinstance(stmt, s.TrainStmt):
        return
    option = next(o for o in stmt.options if o.key.text == "batch")
    trained = "training samples" if held is not None else "samples"
    raise scope.report.error(
        f"batches of {batch} from {rows} {trained}",
        option.values[0].span,
        f"a batch holds at most every sample: `batch={rows}` trains on the full batch",
    )


def schedule_min(scope: Scope) -> None:
    """A cosine schedule ends toward a learning rate below the optimizer's own."""
    schedule, stmt = scope.fields.get("schedule"), scope.first.get(s.ScheduleStmt)
    if schedule is None or not isinstance(stmt, s.ScheduleStmt) or not schedule.min:
        return
    optimizer = scope.fields.get("optimizer")
    lr = optimizer["lr"] if optimizer is not None else v.OPTIMIZERS["sgd"].option("lr").default
    if schedule.min >= lr:  # type: ignore[operator]
        option = next(o for o in stmt.options if o.key.text == "min")
        raise scope.report.error(
            f"the cosine schedule's `min` is {schedule.min:g}, not below the learning rate "
            f"{lr:g}",
            option.values[0].span,
            "`min` is the learning rate the run ends toward, below the optimizer's `lr`",
        )


def classification(scope: Scope, network: Network) -> None:
    """A loss on logits: a linear last layer, and y holding as many classes as it gives."""
    loss = scope.loss.kind
    if loss not in v.CLASSIFICATION_LOSSES:
        return
    report = scope.report
    _logits(scope, network, loss)
    y, y_stmt = scope.data["y"]
    classes = network.units_out if loss == "crossentropy" else 2
    where = y_stmt.value.span if y_stmt else None
    if isinstance(y.expr, ir.Dataset) and y.labels is None:
        raise report.error(
            f'`y` holds the numbers "{y.expr.name}" gives as targets, but `{loss}` trains on '
            "class labels",
            where,
            f'"{y.expr.name}" is a regression: train it with `loss mse` or `loss mae`',
        )
    if y.labels is None and not isinstance(y.expr, ir.Csv):
        raise report.error(
            f"`y` holds numbers, but `{loss}` trains on class labels",
            where,
            "make labels with `argmax(...)` or a comparison such as `(x > 0)`, or list whole "
            "numbers: `[0, 2, 1]`",
        )
    if loss == "bce" and network.units_out != 1:
        report.error(
            f"`bce` trains one logit, but the model gives {network.units_out}",
            _last_span(scope),
            "end with `layer Dense n->1`, or use `loss crossentropy` for one logit per class",
        )
    elif loss == "crossentropy" and network.units_out == 1:
        report.error(
            "`crossentropy` over one logit puts every sample in class 0",
            _last_span(scope),
            "give the last layer one output per class, or use `loss bce` for two classes",
        )
    elif y.labels is not None and y.labels > classes:
        has = f"{network.units_out} logits" if loss == "crossentropy" else "classes 0 and 1"
        report.error(
            f"`y` has labels 0 to {y.labels - 1}, but `{loss}` here has {has}",
            where,
            (
                f"give the last layer {y.labels} outputs, one per class"
                if loss == "crossentropy"
                else "use `loss crossentropy` with one output per class"
            ),
        )


def _logits(scope: Scope, network: Network, loss: str) -> None:
    """The loss applies the softmax or sigmoid itself: the model must end in plain logits."""
    report = scope.report
    squash = "softmax" if loss == "crossentropy" else "sigmoid"
    if isinstance(network, ir.Sequential):
        last, stmt = scope.layers[-1]
        if last.activation != "linear" and stmt.activation is not None:
            raise report.error(
                f"`{loss}` takes logits, but the last layer applies `{last.activation}`",
                stmt.activation.span,
                f"remove `{last.activation}`: the loss applies the {squash} itself, in a "
                "numerically stable form",
            )
    elif isinstance(network.expr, ir.Call) and network.expr.fn == "sigmoid":
        forward = scope.first[s.ForwardStmt]
        assert isinstance(forward, s.ForwardStmt)
        raise report.error(
            f"`{loss}` takes logits, but the formula ends in `sigmoid`",
            forward.value.span,
            f"drop the outer `sigmoid`: the loss applies the {squash} itself",
        )


def _last_span(scope: Scope) -> Span | None:
    """Where the model's outputs are declared: the last layer's sizes, or the formula."""
    if scope.layers:
        return scope.layers[-1][1].size_out.span
    forward = scope.first.get(s.ForwardStmt)
    return forward.value.span if isinstance(forward, s.ForwardStmt) else None


def logging(scope: Scope, network: Network) -> ir.Logging:
    """`log every=10 show=loss,w format="..."`: what the script prints, by the model's weights."""
    stmt = scope.first.get(s.LogStmt)
    assert stmt is None or isinstance(stmt, s.LogStmt)
    given = options(scope.report, stmt.options, v.LOG_OPTIONS) if stmt else {}
    values: tuple[s.Expr, ...] = given.pop("show", ())  # type: ignore[assignment]
    figures = [figure for figure in FIGURES if _figure(scope, values, figure)]
    show = _shown(scope, network, values)
    if "format" in given and stmt is not None:
        _check_format(scope, stmt, str(given["format"]), [*figures, *show])
    training = scope.training
    every = given.pop("every", max(1, training.count // 10))  # a tenth of the run
    return ir.Logging.model_construct(
        every=every,
        show=tuple(show),
        accuracy="accuracy" in figures,
        test_loss="test_loss" in figures,
        test_accuracy="test_accuracy" in figures,
        **given,
    )


# What `show` may list beside weights: the loss is always shown, the others where asked.
FIGURES = ("accuracy", "test_loss", "test_accuracy")


def _figure(scope: Scope, values: tuple[s.Expr, ...], figure: str) -> bool:
    """`show=loss,accuracy,test_loss`: whether `figure` is shown; accuracy is for a
    classification loss only, and the test figures for a spec that holds rows out."""
    shown = [v for v in values if isinstance(v, s.Name) and v.id == figure]
    if not shown:
        return False
    loss = scope.loss.kind
    if figure.endswith("accuracy") and loss not in v.CLASSIFICATION_LOSSES:
        raise scope.report.error(
            f"`{figure}` is for classification, and the loss is `{loss}`",
            shown[0].span,
            f"train on labels with {one_of(v.CLASSIFICATION_LOSSES)}, or show the loss only",
        )
    if figure.startswith("test_") and "split" not in scope.fields:
        raise scope.report.error(
            f"`{figure}` is the held-out rows', and no rows are held out",
            shown[0].span,
            "hold out a fifth of the rows for testing with `split test=0.2`",
        )
    if len(shown) > 1:
        scope.report.warning(f"`{figure}` is shown twice", shown[1].span)
    return True


def _weights(network: Network) -> list[str]:
    """The names `show` may list: params, or each layer's kernel and bias."""
    if isinstance(network, ir.Formula):
        return [p.name for p in network.params]
    return [
        f"{layer.name}_{weight.role}"
        for layer in network.layers
        for weight in kind_of(layer).weights(layer)
    ]


def _shown(scope: Scope, network: Network, values: tuple[s.Expr, ...]) -> list[str]:
    """The weights `show` lists, each once, in its order; the loss is always shown."""
    report = scope.report
    weights = _weights(network)
    show: list[str] = []
    for value in values:
        if not isinstance(value, s.Name):
            report.error("`show` lists names, such as `loss,w,b`", value.span)
        elif value.id in ("loss", *FIGURES):
            continue
        elif value.id not in weights:
            classifies = scope.loss.kind in v.CLASSIFICATION_LOSSES
            held = "split" in scope.fields
            figures = [
                f
                for f in FIGURES
                if (classifies or not f.endswith("accuracy")) and (held or "test" not in f)
            ]
            choices = ["loss", *figures, *weights]
            report.error(
                f"`show` names `{value.id}`, which is not a weight of the model",
                value.span,
                did_you_mean(value.id, choices) or f"it can show {one_of(choices)}",
            )
        elif value.id in show:
            report.warning(f"`{value.id}` is shown twice", value.span)
        else:
            show.append(value.id)
    return show


def _check_format(scope: Scope, stmt: s.LogStmt, text: str, show: list[str]) -> None:
    """A log format may name only the step or epoch, the loss and what `show` lists."""
    unit = scope.training.unit
    value = next(o.values[0] for o in stmt.options if o.key.text == "format")
    try:
        ir.check_format(text, {unit, "loss", *show})
    except ValueError as error:
        raise scope.report.error(
            str(error),
            value.span,
            f'for example `format="{unit} {{{unit}}}: loss {{loss:.4f}}"`',
        ) from None


def prediction(scope: Scope, network: Network) -> ir.Prediction | None:
    """`predict [[1], [2]]`: inputs of the model's width; a flat list is a column of samples.
    Or rows of data, `predict x[:3]`, or a data name: samples of the model's shape."""
    stmt = scope.first.get(s.PredictStmt)
    if stmt is None:
        return None
    assert isinstance(stmt, s.PredictStmt)
    if isinstance(stmt.value, s.Rows | s.Name):
        return _predicted_rows(scope, network, stmt.value)
    if len(network.sample_in) > 1:
        raise scope.report.error(
            f"the model takes samples of shape {shape_text(network.sample_in)}, which a list "
            "of inputs cannot hold",
            stmt.value.span,
            "predict rows of the data instead: `predict x[:3]`",
        )
    (width,) = network.sample_in
    value = stmt.value
    if literal_number(value) is not None:  # one number is one sample
        value = s.Array((value,), value.span)
    if not isinstance(value, s.Array):
        raise scope.report.error(
            "`predict` takes a list of inputs, or rows of data",
            value.span,
            "write `predict [[1], [2], [3]]`, or `predict x[:3]`",
        )
    literal = array(scope.report, value)
    if literal.column and width != 1 and len(literal.rows) == width:
        literal = ir.ArrayLiteral.model_construct(
            rows=(tuple(r[0] for r in literal.rows),)
        )  # one sample
    columns = len(literal.rows[0])
    if columns != width:
        raise scope.report.error(
            f"each input to `predict` needs {width} value(s), one per input of the model; "
            f"these have {columns}",
            value.span,
        )
    first = network.layers[0] if isinstance(network, ir.Sequential) else None
    ids = kind_of(first).ids(first) if first is not None else None
    values = [n for row in literal.rows for n in row]
    bad = [n for n in values if not isinstance(n, int) or not 0 <= n < (ids or 0)]
    if ids is not None and bad:
        raise scope.report.error(
            f"the model looks up token ids 0 to {ids - 1}, and `{bad[0]}` is not one",
            value.span,
            "predict ids the Embedding holds, or rows of the data: `predict x[:3]`",
        )
    return ir.Prediction.model_construct(inputs=literal)


def _predicted_rows(scope: Scope, network: Network, value: s.Rows | s.Name) -> ir.Prediction:
    """`predict x[:3]` or `predict first`: rows of data whose samples the model takes."""
    rows, shape = DataLowering(scope).lower(value)
    if isinstance(rows, ir.Ref):
        rows = ir.Rows.model_construct(arg=rows)
    assert isinstance(rows, ir.Rows)
    if shape[0] is None:
        raise scope.report.error(
            f"`{rows.arg.name}`'s rows are known only when the script runs",
            value.span,
            "predict rows of data whose size the spec gives",
        )
    sample = tuple(shape[1:])
    if sample != tuple(network.sample_in):
        raise scope.report.error(
            f"the model takes samples of shape {shape_text(network.sample_in)}; these rows "
            f"have shape {shape_text(sample)}",
            value.span,
        )
    return ir.Prediction.model_construct(inputs=rows)
