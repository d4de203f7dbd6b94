"""Keras's data-parallel training (`distribute replicas=N`), on Keras's own engines:
TensorFlow's MirroredStrategy over logical CPU devices (or GPUs), JAX's DataParallel; none on
its torch backend, whose script exits with a message. Each batch is split into contiguous
shards, one per replica. Where a batch, or data evaluated in one batch, is no multiple of the
replicas, the script pads it with rows of weight 0, and metrics of its own count each real
row once. `specc/backends/keras.py` spells the rest of the script."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from .. import ir
from ..format import LINE_LENGTH
from ..lower import comment_lines

if TYPE_CHECKING:
    from .keras import Keras


def weighted_metrics(backend: Keras, spec: ir.Spec, mean_loss: bool, measured: bool) -> str:
    """compile's `weighted_metrics` for padded batches: the metrics of the script's own
    that count each real row once (`_counted`), or "" where none is needed."""
    weighted = []
    if mean_loss:
        logits = "from_logits=True, " if spec.classifies else ""
        weighted.append(f'MeanLoss({logits}name="mean_loss")')
    if measured:
        weighted.append("Accuracy(" + backend.metrics[spec.loss.kind].split("(", 1)[1])
    return f"weighted_metrics=[{', '.join(weighted)}]" if weighted else ""


def _counted(backend: Keras, spec: ir.Spec, mean_loss: bool, measured: bool) -> tuple[str, ...]:
    """The metric classes that count each real row of a padded batch once, by the sign
    of its weight: the mean loss and the accuracy, where the script shows them."""
    classes = []
    said = "each real row counted once (a padding row weighs 0)"
    if mean_loss:
        classes.append(
            (f"MeanLoss({backend.loss_metrics[spec.loss.kind]})",
             f"The loss, {said}: fit's own weighs a batch by its padded rows.")
        )  # fmt: skip
    if measured:
        parent = backend.metrics[spec.loss.kind].split("(", 1)[0]
        classes.append((f"Accuracy({parent})", f"The accuracy, {said}."))
    return tuple(
        "\n".join(
            (
                f"class {name}:",
                *textwrap.wrap(f'"""{doc}"""', LINE_LENGTH, initial_indent="    ",
                               subsequent_indent="    "),
                "",
                "    def update_state(self, y_true, y_pred, sample_weight):",
                "        super().update_state(y_true, y_pred, keras.ops.sign(sample_weight))",
            )
        )
        for name, doc in classes
    )  # fmt: skip


def replicated(
    backend: Keras, spec: ir.Spec, padded: bool, mean_loss: bool, measured: bool
) -> dict[str, object]:
    """The lines of data-parallel training: the strategy, the functions its batches and
    evaluations need, and fit's feed (a PyDataset of the mini-batches, or the full
    batch's arrays)."""
    assert spec.distribute is not None
    x, y = spec.inputs, spec.targets
    helpers = [_padded(spec)] if padded else []
    helpers.append(_evaluated(padded))
    if padded:
        helpers += _counted(backend, spec, mean_loss, measured)
    optimizer = backend.optimizer(spec)
    spaced = not (optimizer.definition or optimizer.before[:1] == ("",))
    if spec.training.batch is None:
        counter = "step" if spec.training.unit == "step" else "epoch"
        full = f"the full batch: one update per {counter}"
        if padded:
            return dict(
                strategy=_strategy(backend, spec), helpers=tuple(helpers), spaced=spaced,
                feed="arrays",
                prepared=(f"inputs, targets, weights = padded({x}, {y})",),
                data=("inputs,", "targets,", "sample_weight=weights,",
                      f"batch_size=len(inputs),  # {full}"),
            )  # fmt: skip
        return dict(
            strategy=_strategy(backend, spec), helpers=tuple(helpers), spaced=spaced,
            feed="arrays", data=(f"{x},", f"{y},", f"batch_size=len({x}),  # {full}"),
        )  # fmt: skip
    if spec.training.shuffle:
        orders: tuple[str, ...] = (
            "# Every epoch's order, drawn up front in the order every target draws them.",
            f"orders = [rng.permutation(len({x})) for _ in range(epochs)]",
        )
        lookup = (
            "epoch, step = divmod(index, len(batches))",
            "rows = orders[epoch][batches[step] : batches[step] + batch_size]",
        )
    else:
        orders = ()
        lookup = (
            "start = batches[index % len(batches)]  # the data's own order",
            "# The rows' numbers, not a slice: indexing by them copies the rows, where a",
            "# slice would give TensorFlow a view of the data, which it may write into.",
            f"rows = np.arange(start, min(start + batch_size, len({x})))",
        )
    rows = f"{x}[rows], {y}[rows]"
    logging = spec.logging
    validated = logging.test_loss or logging.test_accuracy or spec.training.patience
    return dict(
        strategy=_strategy(backend, spec),
        helpers=tuple(helpers),
        spaced=spaced,
        feed="dataset",
        orders=orders,
        lookup=(*lookup, f"return padded({rows})" if padded else f"return {rows}"),
        data=("TrainingBatches(),", "steps_per_epoch=len(batches),"),
        prepared=(
            (f"test_batch = padded({x}_test, {y}_test)  # the held-out rows, padded",)
            if padded and validated
            else ()
        ),
    )


def _strategy(backend: Keras, spec: ir.Spec) -> tuple[str, ...]:
    """The replicas' devices and `scope`: TensorFlow's MirroredStrategy over logical CPU
    devices (or GPUs, with `device gpu`), JAX's DataParallel over its CPU devices (or
    GPUs); no data parallelism on Keras's torch backend, nor where TensorFlow's would
    not train the one-process model (`_tensorflow_refuses`): the script exits there."""
    assert spec.distribute is not None
    replicas, name = spec.distribute.replicas, spec.name
    gpu = spec.device == "gpu"
    said = (
        f"Data-parallel over {replicas} replicas, on Keras's own engines: each batch is "
        f"split into {replicas} contiguous shards, one per device, and the replicas' "
        "gradients are added up into the one-process step. "
    )
    if gpu:
        said += (
            "`device gpu`: a GPU per replica where the backend sees enough of them, else "
            "shares of the CPU, said on stderr."
        )
    else:
        said += "The devices are shares of the CPU."
    lines = [*comment_lines(said), f"replicas = {replicas}"]
    lines.append("backend = keras.backend.backend()")
    refused = tensorflow_refuses(backend, spec)
    if refused:
        short, why, jax = refused
        said = comment_lines(f"On TensorFlow, {short}: {why}. {jax}.", 4)
        lines += [
            'if backend == "tensorflow":',
            *(f"    {line}" for line in said),
            f'    sys.exit("{name}: on TensorFlow, {short}; run it on JAX")',
            'elif backend == "jax":',
        ]
    else:
        lines += ['if backend == "tensorflow":', "    import tensorflow as tf", ""]
        split = (
            "# Split the CPU into logical devices before TensorFlow starts using it.",
            'cpu = tf.config.list_physical_devices("CPU")[0]',
            "tf.config.set_logical_device_configuration(",
            "    cpu, [tf.config.LogicalDeviceConfiguration()] * replicas",
            ")",
        )
        if gpu:
            lines += [
                "    # TF32 off: float32 matmuls and convolutions stay float32.",
                "    tf.config.experimental.enable_tensor_float_32_execution(False)",
                '    gpus = len(tf.config.list_physical_devices("GPU"))',
                '    device = "GPU" if gpus >= replicas else "CPU"',
                '    if device == "CPU":',
                *(f"        {line}" for line in split),
                "    found = tf.config.list_logical_devices(device)[:replicas]",
                "    devices = [logical.name for logical in found]",
            ]
        else:
            lines += [
                *(f"    {line}" for line in split),
                "    devices = [logical.name for logical in "
                'tf.config.list_logical_devices("CPU")]',
            ]
        lines += [
            "    # Variables made in the strategy's scope are mirrored on every replica.",
            "    scope = tf.distribute.MirroredStrategy(devices).scope",
            'elif backend == "jax":',
        ]
    if gpu:
        lines += [
            "    import jax",
            "",
            '    gpus = jax.device_count() if jax.default_backend() == "gpu" else 0',
            '    device = "gpu" if gpus >= replicas else "cpu"',
            "    devices = keras.distribution.list_devices(device)[:replicas]",
        ]
    else:
        lines.append('    devices = keras.distribution.list_devices("cpu")[:replicas]')
    lines += [
        "    keras.distribution.set_distribution(",
        "        keras.distribution.DataParallel(devices=devices)",
        "    )",
        "    scope = contextlib.nullcontext  # the distribution set above is global",
        "else:",
        f'    sys.exit(f"{name}: Keras 3 has no data parallelism on {{backend}}")',
        "if len(devices) != replicas:",
        f'    sys.exit(f"{name}: {{replicas}} replicas need {{replicas}} devices: ' '{devices}")',
    ]
    if gpu:
        lines += [
            'if device.lower() == "cpu":',
            '    print(f"no {replicas} GPUs that Keras on {backend} can use: training on '
            'the CPU", file=sys.stderr)',
        ]
    return tuple(lines)


def tensorflow_refuses(backend: Keras, spec: ir.Spec) -> tuple[str, str, str] | None:
    """Why Keras's TensorFlow backend would not train the spec data-parallel as one
    process trains it: in brief, the cause, and what JAX does instead; or None (each
    found by execution)."""
    if spec.distribute is None:
        return None
    if spec.draws:
        return (
            "Keras's Dropout would draw one mask for every replica",
            "its seed state is mirrored, and a seed folded with the replica's number did "
            "not always repeat a run",
            "JAX draws one mask for the whole batch",
        )
    if backend.clip(spec) is not None:
        return (
            "Keras would clip each replica's gradients on their own",
            "it clips them by their own norm before they are added up",
            "JAX clips the whole batch's",
        )
    return None


def _data_rows(spec: ir.Spec, name: str) -> int | None:
    """The rows of the data `name`, or None where the script reads them from a file."""
    return next(d.shape[0] for d in spec.data if d.name == name)


def uneven(spec: ir.Spec) -> bool:
    """Under `distribute`, some training batch, or the training or held-out rows evaluated
    in one batch, has rows that are not a multiple of the replicas, or rows known only when
    the script runs: the script pads them."""
    assert spec.distribute is not None
    trained = _data_rows(spec, spec.inputs)
    counts = []
    if spec.split is not None:
        counts.append(spec.split.rows)
        trained = None if trained is None or spec.split.rows is None else trained - spec.split.rows
    if trained is None:
        return True
    batch = min(spec.training.batch or trained, trained)
    counts += [trained, batch, trained % batch or batch]
    return any(count is None or count % spec.distribute.replicas for count in counts)


def uneven_new(spec: ir.Spec) -> bool:
    """Under `distribute`, `predict`'s rows are not a multiple of the replicas, or are
    known only when the script runs."""
    assert spec.distribute is not None
    inputs = spec.predict.inputs if spec.predict else None
    if inputs is None:
        return False
    if isinstance(inputs, ir.ArrayLiteral):
        rows: int | None = len(inputs.rows)
    else:
        total = _data_rows(spec, inputs.arg.name)
        rows = None if total is None else len(range(total)[inputs.start : inputs.stop])
    return rows is None or rows % spec.distribute.replicas != 0


def padded_predictions(spec: ir.Spec, probabilities: bool) -> tuple[tuple[str, ...], str]:
    """The lines padding x_new to a multiple of the replicas, and the model's outputs on its
    own rows: where `probabilities` follow, named `outputs` first."""
    outputs = "model.predict(np.concatenate([x_new, padding]), verbose=0)[: len(x_new)]"
    lines = (
        "# JAX splits a batch only into equal shares: x_new gets zero rows up to a multiple",
        "# of the replicas, whose outputs are left out.",
        "padding = np.zeros((-len(x_new) % replicas, *x_new.shape[1:]), dtype=x_new.dtype)",
    )
    if probabilities:
        return (*lines, f"outputs = {outputs}"), "outputs"
    return lines, outputs


def _padded(spec: ir.Spec) -> str:
    """The function padding a batch (or data evaluated in one batch) to a multiple of the
    replicas, with each row's weight."""
    if spec.loss.reduction == "sum":
        weights = ("Padding rows weigh 0 and real rows 1: the summed loss is the real rows'.",
                   "1")  # fmt: skip
    else:
        weights = (
            "Padding rows weigh 0 and real rows padded/real, so that the loss, a mean over "
            "the padded batch, is the real rows' mean.",
            "(len(x) + pad) / len(x)",
        )
    said = (
        "x and y with zero rows appended up to a multiple of the replicas, and each row's "
        "weight: JAX splits a batch only into equal shares, and TensorFlow computes each "
        f"share's loss as if the shares were equal. {weights[0]}"
    )
    doc = textwrap.wrap(f'"""{said}', LINE_LENGTH, initial_indent="    ",
                        subsequent_indent="    ")  # fmt: skip
    return "\n".join(
        (
            "def padded(x, y):",
            *doc,
            '    """',
            "    pad = -len(x) % replicas",
            f"    weights = np.zeros(len(x) + pad, dtype=np.{spec.dtype})",
            f"    weights[: len(x)] = {weights[1]}",
            "    x = np.concatenate([x, np.zeros((pad, *x.shape[1:]), dtype=x.dtype)])",
            "    y = np.concatenate([y, np.zeros((pad, *y.shape[1:]), dtype=y.dtype)])",
            "    return x, y, weights",
        )
    )


def _evaluated(padded: bool) -> str:
    """The function giving the compiled loss and metrics on data, in one batch that
    `evaluate` splits between the replicas."""
    doc = (
        '    """The compiled loss and metrics on x and y, in one batch that evaluate splits',
        '    between the replicas as fit does (test_on_batch gives each replica all of it)."""',
    )
    if not padded:
        return "\n".join(
            (
                "def evaluated(x, y):",
                *doc,
                "    return model.evaluate(x, y, batch_size=len(x), verbose=0, return_dict=True)",
            )
        )
    return "\n".join(
        (
            "def evaluated(x, y):",
            *doc,
            "    x, y, weights = padded(x, y)",
            "    return model.evaluate(",
            "        x, y, batch_size=len(x), sample_weight=weights, verbose=0, return_dict=True",
            "    )",
        )
    )
