"""Keras 3: a `Sequential` model (or a `Layer` subclass with `add_weight`), `compile`, and `fit`
for mini-batch epochs or `train_on_batch` for full-batch epochs and steps. Backend-neutral: the
scripts run unchanged under `KERAS_BACKEND=tensorflow`, `torch` and `jax`."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, replace

from .. import ir
from ..format import LINE_LENGTH, width
from ..layers import KerasSpelling, kind_of, spelling
from ..lower import (
    STOPPED,
    Log,
    LogSite,
    comment_lines,
    learning_rate,
    log,
    schedule_said,
    scheduled,
    seeded,
    test_comment,
    tested,
    trained_loss,
)
from ..spell import formula, names, py, walk
from .base import Backend, Optimizer, Unsupported


@dataclass(frozen=True)
class KerasModel:
    """The Keras half of a plan."""

    floatx: str | None  # `keras.config.set_floatx(...)` for a dtype other than float32
    definitions: tuple[str, ...]  # functions of the script's own that its layers call
    layers: tuple[str, ...]  # Sequential's layers after its Input
    loads: tuple[str, ...]  # copying the shared initial weights in
    weights: tuple[str, ...]  # a formula layer's add_weight lines
    call: str  # a formula layer's expression over `x`
    native: bool  # some weights keep Keras's own initial values
    adapts: tuple[str, ...]  # fixing what layers compute from the training inputs
    seed: tuple[str, ...]  # seeding Keras's generators, where a layer draws (Dropout)
    placeholders: bool  # some kernels are made as zeros, for the shared weights to replace
    sample: str  # the shape of a sample, for keras.Input: `(1,)`; `(12,), dtype="int32"` for ids
    optimizer: Optimizer
    scheduler: tuple[str, ...]  # with `fit`: the callback setting each epoch's learning rate
    schedule: tuple[str, ...]  # with train_on_batch: each epoch's (or step's) first lines
    loss: str
    metrics: str  # `[keras.metrics.SparseCategoricalAccuracy(...)]` for `show=accuracy`
    trained: str  # what train_on_batch's result is unpacked into
    fit: bool  # mini-batch epochs: `fit` with a callback; full batches: `train_on_batch`
    updates: tuple[str, ...]  # the comment over a train_on_batch loop
    every: str  # "epoch" or "10 epochs", for the callback's docstring
    reads: str  # code reading the weights a log line shows, before an epoch's update
    fetch: tuple[str, ...]  # ... or before a step's update
    log: Log
    trained_loss: tuple[str, ...]  # the compiled loss (and accuracy) on all the data
    tested: tuple[str, ...]  # ... and on the held-out rows, with a `split`
    validation: tuple[str, ...]  # fit's arguments validating on them, where the log shows them
    callbacks: str  # fit's callbacks: the log, and early stopping with `patience`
    stopping: tuple[str, ...]  # making the EarlyStopping callback
    stopped: tuple[str, ...]  # after fit: where it stopped
    predictions: str  # the code `predict` prints: probabilities of a classifier


class Keras(Backend):
    name = "keras"
    title = "Keras 3"
    label = "Keras 3"
    float32_corrections = True
    extra = "keras"
    imports = ("import keras", "import numpy as np")
    quiet_tensorflow = True  # on the TensorFlow backend, Keras imports it
    modules = ("keras", "numpy", "os")
    activations = {"linear": None, "relu": '"relu"', "sigmoid": '"sigmoid"', "tanh": '"tanh"'}
    functions = {fn: f"keras.ops.{fn}" for fn in ir.FORMULA_FUNCTIONS}
    dtypes = {"float32": '"float32"', "float64": '"float64"'}
    losses = {
        "mse": "keras.losses.MeanSquaredError",
        "mae": "keras.losses.MeanAbsoluteError",
        "crossentropy": "keras.losses.SparseCategoricalCrossentropy",
        "bce": "keras.losses.BinaryCrossentropy",
    }
    # The accuracy of logits: the largest one's class, or class 1 where the logit is above 0.
    metrics = {
        "crossentropy": 'keras.metrics.SparseCategoricalAccuracy(name="accuracy")',
        "bce": 'keras.metrics.BinaryAccuracy(threshold=0.0, name="accuracy")',
    }
    probabilities = {"crossentropy": "keras.ops.softmax", "bce": "keras.ops.sigmoid"}

    def unsupported(self, spec: ir.Spec) -> Iterator[Unsupported]:
        yield from super().unsupported(spec)
        if spec.loss.reduction == "sum" and spec.units_out > 1 and not spec.classifies:
            yield Unsupported(
                "loss",
                f"`reduction=sum` with {spec.units_out} outputs",
                "Keras sums the per-sample means, so it would train on another loss: use "
                "`reduction=mean`, or build for the other targets",
            )

    def caveats(self, spec: ir.Spec) -> Iterator[Unsupported]:
        yield from super().caveats(spec)
        if spec.loss.kind == "bce":
            yield Unsupported("loss", f"on its torch backend, torch's {self.BCE_WITHOUT_LOG1P}")
        if spec.dtype == "float64":
            yield Unsupported(
                "dtype",
                "on its torch and JAX backends, Keras 3 averages a float64 loss in float32, "
                "so runs there agree with the other targets to float32 precision",
            )
        if isinstance(spec.network, ir.Formula) and (zeros := _zero_in_abs(spec)):
            yield Unsupported(
                "forward",
                f"`abs` of `{zeros[0]}`, which starts at 0: there, on the JAX backend, Keras's "
                "`abs` has gradient 1 where torch's and TensorFlow's have 0",
                f"start `{zeros[0]}` away from 0, as in `param {zeros[0]}{list(zeros[1])} = 0.01`",
            )

    def environment(self, spec: ir.Spec) -> tuple[str, ...]:
        if spec.dtype != "float64":
            return ()
        return (
            "# On the JAX backend, float64 needs JAX's 64-bit mode; other backends ignore it.",
            'os.environ.setdefault("JAX_ENABLE_X64", "1")',
        )

    def hyper(self, spec: ir.Spec, name: str) -> str:
        # Keras refuses an integer learning rate or momentum: `lr=1` is spelled 1.0.
        value = py(float(spec.optimizer[name]))  # type: ignore[arg-type]
        # Keras turns a Python float into a tensor of float32 before casting it to the
        # model's dtype (the learning rate on the torch backend, momentum and the betas on
        # every backend); a NumPy float64 keeps every digit in a float64 model.
        return f"np.float64({value})" if spec.dtype == "float64" else value

    def read(self, weight: ir.Weight) -> str:
        if weight.role == "param":
            return f"layer.{weight.var}.numpy()"
        attribute = spelling(weight, "keras", KerasSpelling).attribute(weight)
        return f'model.get_layer("{weight.layer}").{attribute}.numpy()'

    def save(self, spec: ir.Spec, name: str) -> tuple[str, ...]:
        # The same script runs on every Keras backend, in the same folder: a file each.
        if isinstance(spec.network, ir.Formula):
            said = (
                "# The trained weights in Keras's own format for weights: a .keras file could",
                f"# not rebuild {spec.name}, a layer class of this script's own, without it;",
                "# model.load_weights reads them back into this model.",
            )
            path, call = f'f"{name}_keras_{{keras.backend.backend()}}.weights.h5"', "save_weights"
        else:
            said = (
                "# The trained model in Keras's own format, which keras.models.load_model reads",
                "# back; a file for each backend, since this script runs on every one of them.",
            )
            path, call = f'f"{name}_keras_{{keras.backend.backend()}}.keras"', "save"
        return (*said, f"path = {path}", f"model.{call}(path)", 'print("saved", path)')

    def optimizer(self, spec: ir.Spec, params: str = "") -> Optimizer:
        made = super().optimizer(spec, params)
        if self.clip(spec) is not None:  # not clipnorm=, which clips each weight's own norm
            clipping = f", global_clipnorm={self.hyper(spec, 'clip')})"
            made = replace(made, construct=made.construct.removesuffix(")") + clipping)
        dense = spec.optimizer.kind in _SQUARING and _sparse(spec)
        decay = self.coupled_decay(spec)
        if not dense and not decay:
            return made
        parent = made.construct.split("(")[0]  # Keras's class, or one the script defines
        base = parent.removeprefix("keras.optimizers.")
        whose = "Keras's " if parent != base else ""
        name = f"{'Dense' if dense else ''}{'Coupled' if decay else ''}{base}"
        sparse = (
            "On the TensorFlow backend, an Embedding's are IndexedSlices, a row per lookup, "
            "and it would square each lookup's share of a row's gradient, not the row's."
        )
        coupled = (
            f"{self.hyper(spec, 'weight_decay')} times each weight (biases too) added to "
            "its gradient, after any clipping, before the step: Keras's own weight_decay= "
            "would shrink the weights apart from their gradients, as AdamW does."
        )
        if not decay:
            doc = [
                f'    """{whose}{base} on dense gradients. On the TensorFlow backend, an',
                "    Embedding's are IndexedSlices, a row per lookup, and it would square each",
                "    lookup's share of a row's gradient, not the row's.\"\"\"",
            ]
        else:
            said = (
                f"{whose}{base} on dense gradients, with weight decay as torch's. {sparse} "
                f"The decay is {coupled}"
                if dense
                else f"{whose}{base} with weight decay as torch's: {coupled}"
            )
            doc = textwrap.wrap(f'"""{said}"""', LINE_LENGTH - 4, initial_indent="    ",
                                subsequent_indent="    ")  # fmt: skip
        methods: list[str] = []
        if dense:
            methods += [
                "",
                "    def apply(self, grads, trainable_variables=None):",
                "        grads = [keras.ops.add(keras.ops.zeros(g.shape, g.dtype), g) for g in "
                "grads]",
                "        return super().apply(grads, trainable_variables)",
            ]
        if decay:
            # The weight first: a NumPy float64 times a Keras variable would make an array.
            methods += [
                "",
                "    def update_step(self, gradient, variable, learning_rate):",
                f"        gradient = gradient + variable * {self.hyper(spec, 'weight_decay')}",
                "        super().update_step(gradient, variable, learning_rate)",
            ]
        # After a class the script defines, its template has laid out the blank lines.
        gap = () if made.definition else ("", "")
        defined = (*gap, f"class {name}({parent}):", *doc, *methods, "", "")
        construct = name + made.construct.removeprefix(parent)
        return replace(made, construct=construct, before=(*defined, *made.before))

    def optim_sgd(self, spec: ir.Spec, params: str) -> Optimizer:
        options = f"learning_rate={self.hyper(spec, 'lr')}"
        if spec.optimizer["momentum"]:
            options += f", momentum={self.hyper(spec, 'momentum')}"
        if spec.optimizer["nesterov"]:
            options += ", nesterov=True"
        if spec.optimizer["momentum"] and spec.schedule is not None:
            return Optimizer(f"VelocitySGD({options})", definition="keras/velocity_sgd.py.j2")
        return Optimizer(f"keras.optimizers.SGD({options})")

    def optim_adam(self, spec: ir.Spec, params: str) -> Optimizer:
        return self._adam(spec, f"keras.optimizers.Adam({self._adam_options(spec)})")

    def optim_adamw(self, spec: ir.Spec, params: str) -> Optimizer:
        decay = self.hyper(spec, "weight_decay")
        options = f"{self._adam_options(spec)}, weight_decay={decay}"
        return self._adam(spec, f"keras.optimizers.AdamW({options})")

    def _adam(self, spec: ir.Spec, construct: str) -> Optimizer:
        if spec.dtype != "float32":
            return Optimizer(construct)
        return Optimizer(construct, before=self.float32_betas(spec))

    def _adam_options(self, spec: ir.Spec) -> str:
        if spec.dtype == "float32":  # the betas as float32 numbers, named before
            betas = "beta_1=beta1, beta_2=beta2"
        else:
            betas = self.keywords(spec, beta_1="beta1", beta_2="beta2")
        return (f"learning_rate={self.hyper(spec, 'lr')}, {betas}, "
                f"epsilon={self.hyper(spec, 'eps')}")  # fmt: skip

    def optim_rmsprop(self, spec: ir.Spec, params: str) -> Optimizer:
        options = self.keywords(spec, learning_rate="lr", rho="rho", momentum="momentum",
                                epsilon="eps")  # fmt: skip
        return Optimizer(f"keras.optimizers.RMSprop({options})")

    def optim_gd(self, spec: ir.Spec, params: str) -> Optimizer:
        return Optimizer(
            f"GradientDescent(learning_rate={self.hyper(spec, 'lr')})",
            written_out=True,
            definition="keras/gradient_descent.py.j2",
        )

    def lower(self, spec: ir.Spec) -> KerasModel:
        loss = spec.loss
        arguments = ["from_logits=True"] if spec.classifies else []
        if loss.reduction != "mean":
            arguments.append(f'reduction="{loss.reduction}"')
        accuracy = spec.logging.accuracy
        # The accuracy is a compiled metric: shown, or for the held-out rows' report.
        measured = accuracy or bool(spec.split and spec.classifies)
        trained = "loss_value, accuracy" if measured else "loss_value"  # a batch's results
        # `fit` pays ~28 ms a call per epoch; a full batch per epoch is one update, as a step
        # is, so only mini-batch epochs go through `fit`, the rest through train_on_batch.
        fit = spec.training.unit == "epoch" and spec.training.batch is not None
        every = spec.logging.every
        value = lambda w: f"{w.var}_value"  # noqa: E731
        values = [value(w) for w in spec.shown]
        shown, reads = ", ".join(values), ", ".join(self.read(w) for w in spec.shown)
        site = (
            LogSite("logs['loss']", value, "epoch + 1", "logs['accuracy']",
                    "logs['val_loss']", "logs['val_accuracy']")
            if fit
            else LogSite("loss_value", value, spec.training.unit, "accuracy",
                         "test_loss", "test_accuracy")
        )  # fmt: skip
        logging = spec.logging
        shows_test = logging.test_loss or logging.test_accuracy
        tested_lines = self._tested(spec, measured)
        watched = spec.training.patience is not None
        predictions = "model.predict(x_new, verbose=0)"
        if loss.kind in self.probabilities:
            probabilities = f"{self.probabilities[loss.kind]}({predictions})"
            predictions = f"keras.ops.convert_to_numpy({probabilities})"
        return KerasModel(
            floatx=None if spec.dtype == "float32" else self.dtypes[spec.dtype],
            definitions=self.definitions(spec),
            layers=self._layers(spec),
            loads=self._loads(spec),
            weights=tuple(
                f'self.{w.var} = self.add_weight(shape={w.shape}, initializer="zeros", '
                f'name="{w.var}")'
                for w in spec.weights
                if w.role == "param"
            ),
            call=(
                formula(spec.network.expr, self.functions, "x", "self.")
                if isinstance(spec.network, ir.Formula)
                else ""
            ),
            native=spec.native,
            adapts=self.adapts(spec),
            seed=(
                seeded("Keras's", f"keras.utils.set_random_seed({spec.seed})") if spec.draws else ()
            ),
            placeholders=isinstance(spec.network, ir.Sequential)
            and any(_placeholder(spec, layer) for layer in spec.network.layers),
            # Token ids as int32, which every backend holds (JAX's int64 needs its x64 mode)
            # and Embedding looks up.
            sample=str(spec.sample_in) + (', dtype="int32"' if spec.integer_inputs else ""),
            optimizer=self.optimizer(spec),
            scheduler=self._scheduler(spec) if fit else (),
            schedule=() if fit else scheduled(spec, "model.optimizer.learning_rate"),
            loss=f"{self.losses[loss.kind]}({', '.join(arguments)})",
            metrics=f"[{self.metrics[loss.kind]}]" if measured else "",
            trained=trained,
            fit=fit,
            updates=(
                f"# One update per {spec.training.unit} on the full batch; train_on_batch "
                "returns the loss it",
                "# computed before updating."
                + (
                    " (fit would add ~30 ms of its own to every epoch.)"
                    if spec.training.unit == "epoch"
                    else ""
                ),
            ),
            every=f"{every} epochs" if every > 1 else "epoch",
            reads=reads if fit else "",
            fetch=(_fetch(spec, shown, reads) if shown and not fit else ())
            + ((test_comment(spec), *tested_lines) if shows_test and not fit else ()),
            validation=(
                (
                    # Keras's own validation, where an epoch is logged or early stopping
                    # watches, in one batch as the other targets compute it.
                    f"validation_data=({spec.inputs}_test, {spec.targets}_test),",
                    f"validation_batch_size=len({spec.inputs}_test),  # one batch, as elsewhere",
                    *((f"validation_freq={every},",) if every > 1 and not watched else ()),
                )
                if (shows_test or watched) and fit
                else ()
            ),
            callbacks="["
            + ", ".join(
                [
                    "TrainingLog()",
                    *(["schedule"] if spec.schedule is not None and fit else []),
                    *(["early_stopping"] if watched else []),
                ]
            )
            + "]",
            stopping=(
                (
                    f"patience = {spec.training.patience}",
                    "# Stop after an epoch when the test loss (fit's val_loss) has not gone below",
                    "# its best for `patience` epochs.",
                    "early_stopping = keras.callbacks.EarlyStopping("
                    'monitor="val_loss", patience=patience)',
                )
                if watched
                else ()
            ),
            stopped=(
                (
                    "if early_stopping.stopped_epoch:  # counted from 0",
                    "    " + STOPPED.format(epoch="early_stopping.stopped_epoch + 1"),
                )
                if watched
                else ()
            ),
            log=log(
                spec, site, (f"{names(values)} = self.weights_before",) if values and fit else ()
            ),
            tested=tested(spec, "test_loss", "test_accuracy", tested_lines),
            trained_loss=trained_loss(
                spec,
                "loss_value",
                "accuracy",
                (
                    "# test_on_batch calls the model with training=False and updates nothing.",
                    f"{trained} = model.test_on_batch({spec.inputs}, {spec.targets})",
                ),
            ),
            predictions=predictions,
        )

    def _tested(self, spec: ir.Spec, measured: bool) -> tuple[str, ...]:
        """The line computing the model's loss on the held-out rows (and its accuracy, where
        that is a compiled metric), in inference mode."""
        values = "test_loss, test_accuracy" if measured else "test_loss"
        return (f"{values} = model.test_on_batch({spec.inputs}_test, {spec.targets}_test)",)

    def _scheduler(self, spec: ir.Spec) -> tuple[str, ...]:
        """Keras's callback for a learning rate per epoch: its schedules (ExponentialDecay,
        CosineDecay) count batches, and CosineDecay would decay within an epoch too."""
        if spec.schedule is None:
            return ()
        head, rate = "schedule = keras.callbacks.LearningRateScheduler", (
            f"lambda epoch: {learning_rate(spec, 'epoch')}"
        )
        line = f"{head}({rate})"  # as black lays it out: one line where it fits
        return (
            *comment_lines(
                f"Each epoch's learning rate, {schedule_said(spec)}, set before its first "
                "batch (fit counts epochs from 0)."
            ),
            *((line,) if width(line) <= LINE_LENGTH else (f"{head}(", f"    {rate}", ")")),
        )

    def definitions(self, spec: ir.Spec) -> tuple[str, ...]:
        if not isinstance(spec.network, ir.Sequential):
            return ()
        found = {
            definition: None
            for layer in spec.network.layers
            for definition in spelling(layer, "keras", KerasSpelling).definitions(layer, spec.dtype)
        }
        return tuple(found)

    def _layers(self, spec: ir.Spec) -> tuple[str, ...]:
        if not isinstance(spec.network, ir.Sequential):
            return ()
        return tuple(
            line
            for layer in spec.network.layers
            for line in spelling(layer, "keras", KerasSpelling)
            .layer(layer, self.activations[layer.activation], _placeholder(spec, layer), spec.dtype)
            .splitlines()
        )

    def _loads(self, spec: ir.Spec) -> tuple[str, ...]:
        if not isinstance(spec.network, ir.Sequential):
            return tuple(f'layer.{w.var}.assign(init["{w.name}"])' for w in spec.weights)
        lines = []
        by_layer: dict[str, list[ir.Weight]] = {}
        for weight in spec.weights:
            if weight.init.kind != "native":
                by_layer.setdefault(weight.layer or "", []).append(weight)
        for layer in spec.network.layers:
            drawn = by_layer.get(layer.name, [])
            if len(drawn) > 1 and len(drawn) == len(kind_of(layer).weights(layer)):
                values = ", ".join(f'init["{w.name}"]' for w in drawn)
                lines.append(f'model.get_layer("{layer.name}").set_weights([{values}])')
            else:
                lines += [f'{self.read(w).removesuffix(".numpy()")}.assign(init["{w.name}"])'
                          for w in drawn]  # fmt: skip
        return tuple(lines)


# Optimizers that square the gradient: a sum of squares of a row's lookups is not its square.
_SQUARING = ("adam", "adamw", "rmsprop")


def _sparse(spec: ir.Spec) -> bool:
    """A layer's weights get IndexedSlices for gradients on the TensorFlow backend."""
    if not isinstance(spec.network, ir.Sequential):
        return False
    return any(spelling(layer, "keras", KerasSpelling).sparse for layer in spec.network.layers)


def _placeholder(spec: ir.Spec, layer: ir.LayerNode) -> bool:
    """The layer's kernel is replaced by the shared initial weights: Keras need not draw it."""
    return any(
        w.layer == layer.name and w.role == "kernel" and w.init.kind != "native"
        for w in spec.weights
    )


def _zero_in_abs(spec: ir.Spec) -> tuple[str, tuple[int, ...]] | None:
    """The first param starting at exactly 0 that a formula takes `abs` of, and its shape."""
    assert isinstance(spec.network, ir.Formula)
    zero = {
        p.name
        for p in spec.network.params
        if p.init.kind == "zeros" or (p.init.kind == "constant" and p.init.args[0] == 0)
    }
    inside = {
        node.name
        for call in walk(spec.network.expr)
        if isinstance(call, ir.Call) and call.fn == "abs"
        for node in walk(call.arg)
        if isinstance(node, ir.Ref)
    }
    found = [p for p in spec.network.params if p.name in zero & inside]
    return (found[0].name, found[0].shape) if found else None


BACKEND = Keras()


def _fetch(spec: ir.Spec, shown: str, reads: str) -> tuple[str, ...]:
    """The line reading the weights a log line shows before the step's update, its comment
    above it where the two would not fit on one line (under the log's condition)."""
    when = f"before this {spec.training.unit}'s update"
    indent = 8 if spec.logging.every > 1 else 4
    line = f"{shown} = {reads}  # {when}"
    if indent + len(line) <= LINE_LENGTH:
        return (line,)
    return (f"# The weights {when}.", f"{shown} = {reads}")
