"""Keras 3: a `Sequential` model (or a `Layer` subclass with `add_weight`), `compile`, and `fit`
for mini-batch epochs or `train_on_batch` for full-batch epochs and steps. Backend-neutral: the
scripts run unchanged under `KERAS_BACKEND=tensorflow`, `torch` and `jax`."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Mapping
from typing import NamedTuple

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
from .keras_replicas import (
    padded_predictions,
    replicated,
    tensorflow_refuses,
    uneven,
    uneven_new,
    weighted_metrics,
)


class KerasModel(NamedTuple):
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
    fit: bool  # mini-batch epochs (and all under `distribute`): `fit`; else `train_on_batch`
    updates: tuple[str, ...]  # the comment over a train_on_batch loop
    every: str  # "epoch" or "10 epochs", for the callback's docstring
    counter: str  # the callbacks' name for fit's epoch: `epoch`, or `step` where each is a step
    begin: tuple[str, ...]  # the callback's lines before an epoch: the weights a log shows
    fetch: tuple[str, ...]  # ... or before a step's update
    log: Log
    trained_loss: tuple[str, ...]  # the compiled loss (and accuracy) on all the data
    tested: tuple[str, ...]  # ... and on the held-out rows, with a `split`
    validation: tuple[str, ...]  # fit's arguments validating on them, where the log shows them
    callbacks: str  # fit's callbacks: the log, and early stopping with `patience`
    stopping: tuple[str, ...]  # making the EarlyStopping callback
    stopped: tuple[str, ...]  # after fit: where it stopped
    predictions: str  # the code `predict` prints: probabilities of a classifier
    placed: tuple[str, ...] = ()  # with `device gpu` alone: where Keras trains, said
    # With `distribute`:
    strategy: tuple[str, ...] = ()  # the replicas' devices and `scope`, before the model
    helpers: tuple[str, ...] = ()  # functions and classes the replicas need, one per entry
    spaced: bool = False  # a blank line after the model's `with scope():`, before compile
    feed: str = "generator"  # fit's batches: "generator", "dataset" (PyDataset) or "arrays"
    orders: tuple[str, ...] = ()  # every epoch's order, drawn up front
    lookup: tuple[str, ...] = ()  # the PyDataset's lines giving batch `index`
    # fit's first arguments, one a line: the batches (or the full batch's arrays)
    data: tuple[str, ...] = ("training_batches(),", "steps_per_epoch=len(batches),")
    prepared: tuple[str, ...] = ()  # lines before fit: padded arrays it takes
    padding: tuple[str, ...] = ()  # x_new padded to a multiple of the replicas, before predict


class Keras(Backend):
    name = "keras"
    title = "Keras 3"
    label = "Keras 3"
    float32_corrections = True
    extra = "keras"
    imports = ("import keras", "import numpy as np")
    quiet_tensorflow = True  # on the TensorFlow backend, Keras imports it
    modules = ("contextlib", "keras", "numpy", "os", "sys")
    engines = ("jax", "tensorflow", "torch")  # imported where the script runs on them
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
    # Each loss as a metric: under `distribute`, the logged loss of padded batches.
    loss_metrics = {
        "mse": "keras.metrics.MeanSquaredError",
        "mae": "keras.metrics.MeanAbsoluteError",
        "crossentropy": "keras.metrics.SparseCategoricalCrossentropy",
        "bce": "keras.metrics.BinaryCrossentropy",
    }

    def unsupported(self, spec: ir.Spec) -> Iterator[Unsupported]:
        yield from super().unsupported(spec)
        if spec.loss.reduction == "sum" and spec.units_out > 1 and not spec.classifies:
            yield Unsupported(
                "loss",
                f"`reduction=sum` with {spec.units_out} outputs",
                "Keras sums the per-sample means, so it would train on another loss: use "
                "`reduction=mean`, or build for the other targets",
            )
        distributed = spec.distribute is not None
        if distributed and spec.loss.reduction == "sum" and spec.training.batch and uneven(spec):
            yield Unsupported(
                "distribute",
                "`reduction=sum` with mini-batches padded to a multiple of the replicas",
                "Keras's logged loss of an epoch would weigh each batch's sum by its padded "
                "rows: use `reduction=mean`, or batches (and a last batch) of a multiple of the "
                "replicas",
            )

    def caveats(self, spec: ir.Spec) -> Iterator[Unsupported]:
        yield from super().caveats(spec)
        if spec.distribute is not None:
            yield Unsupported(
                "distribute",
                "Keras 3 has no data parallelism on its torch backend: the script exits there "
                "with a message",
            )
            if refused := tensorflow_refuses(self, spec):
                short, why, jax = refused
                yield Unsupported(
                    "distribute",
                    f"on its TensorFlow backend, {short} ({why}): the script exits there with "
                    "a message",
                    f"run it with KERAS_BACKEND=jax: {jax}",
                )
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

    def imported(self, spec: ir.Spec) -> tuple[str, ...]:
        if spec.distribute is not None:  # the strategy's scope on JAX, and its exits
            return (*self.imports, "import contextlib", "import sys")
        if spec.device == "gpu":  # said on stderr where no GPU is found
            return (*self.imports, "import sys")
        return self.imports

    def environment(self, spec: ir.Spec) -> tuple[str, ...]:
        lines: tuple[str, ...] = ()
        if spec.distribute is not None:
            lines += (
                "# JAX sees the CPU as one device unless told before it starts: one per replica.",
                f'os.environ["JAX_NUM_CPU_DEVICES"] = "{spec.distribute.replicas}"',
            )
        if spec.dtype == "float64":
            lines += (
                "# On the JAX backend, float64 needs JAX's 64-bit mode; other backends ignore it.",
                'os.environ.setdefault("JAX_ENABLE_X64", "1")',
            )
        return lines

    def refuses_run(self, spec: ir.Spec, env: Mapping[str, str]) -> str | None:
        if spec.distribute is None:
            return None
        engine = env.get("KERAS_BACKEND", "tensorflow")
        if engine == "jax":
            return None
        if engine != "tensorflow":
            return f"Keras 3 has no data parallelism on its {engine} backend"
        refused = tensorflow_refuses(self, spec)
        return f"on TensorFlow, {refused[0]}" if refused else None

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
            made = made._replace(construct=made.construct.removesuffix(")") + clipping)
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
        return made._replace(construct=construct, before=(*defined, *made.before))

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
        distributed = spec.distribute is not None
        batched = spec.training.batch is not None
        # `fit` pays ~28 ms a call per epoch; a full batch per epoch is one update, as a step
        # is, so only mini-batch epochs go through `fit`, the rest through train_on_batch.
        # Under a strategy everything does: train_on_batch (and test_on_batch) would give
        # every replica the whole batch, where fit splits it between them.
        fit = (spec.training.unit == "epoch" and batched) or distributed
        padded = distributed and uneven(spec)
        # With padding, the logged loss is a metric that counts each real row once (a mean's;
        # a summed loss's padding rows weigh 0, and a batch's sum is the real rows').
        mean_loss = padded and loss.reduction == "mean"
        figure = "mean_loss" if mean_loss else "loss"
        every = spec.logging.every
        value = lambda w: f"{w.var}_value"  # noqa: E731
        values = [value(w) for w in spec.shown]
        shown, reads = ", ".join(values), ", ".join(self.read(w) for w in spec.shown)
        counter = "step" if spec.training.unit == "step" else "epoch"
        logging = spec.logging
        shows_test = logging.test_loss or logging.test_accuracy
        # Test figures before each full-batch update: evaluated as the epoch begins.
        tested_first = fit and not batched and shows_test
        site = (
            LogSite(f"logs['{figure}']", value, "step" if counter == "step" else "epoch + 1",
                    "logs['accuracy']", f"logs['val_{figure}']", "logs['val_accuracy']")
            if fit
            else LogSite("loss_value", value, spec.training.unit, "accuracy",
                         "test_loss", "test_accuracy")
        )  # fmt: skip
        if tested_first:
            site = site._replace(test_loss=f"self.tested['{figure}']",
                                 test_accuracy="self.tested['accuracy']")  # fmt: skip
        tested_lines = self._tested(spec, measured)
        watched = spec.training.patience is not None
        predictions = "model.predict(x_new, verbose=0)"
        padding: tuple[str, ...] = ()
        if distributed and uneven_new(spec):
            padding, predictions = padded_predictions(spec, loss.kind in self.probabilities)
        if loss.kind in self.probabilities:
            probabilities = f"{self.probabilities[loss.kind]}({predictions})"
            predictions = f"keras.ops.convert_to_numpy({probabilities})"
        metrics = f"metrics=[{self.metrics[loss.kind]}]" if measured else ""
        if padded:
            metrics = weighted_metrics(self, spec, mean_loss, measured)
        begin = (
            (
                f"# The weights this {counter}'s loss is computed with, before its update.",
                f"self.weights_before = [{reads}]",
            )
            if reads and fit
            else ()
        )
        if tested_first:
            begin += _guarded(
                log(spec, site).condition,
                (
                    test_comment(spec),
                    f"self.tested = evaluated({spec.inputs}_test, {spec.targets}_test)",
                    "self.model.reset_metrics()  # evaluate filled those fit's epoch counts in",
                ),
            )
        validation = (
            _validation(spec, padded) if (shows_test or watched) and fit and batched else ()
        )
        reported, reported_test = _reports(spec, figure, trained, tested_lines)
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
            metrics=metrics,
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
            every=f"{every} {counter}s" if every > 1 else counter,
            counter=counter,
            begin=begin,
            fetch=(_fetch(spec, shown, reads) if shown and not fit else ())
            + ((test_comment(spec), *tested_lines) if shows_test and not fit else ()),
            validation=validation,
            callbacks="["
            + ", ".join(
                [
                    "TrainingLog()",
                    *(["schedule"] if spec.schedule is not None and fit else []),
                    *(["early_stopping"] if watched else []),
                ]
            )
            + "]",
            **_early_stopping(spec, figure),
            log=log(
                spec, site, (f"{names(values)} = self.weights_before",) if values and fit else ()
            ),
            tested=reported_test,
            trained_loss=reported,
            predictions=predictions,
            padding=padding,
            placed=self._placed(spec) if spec.device == "gpu" and not distributed else (),
            **(replicated(self, spec, padded, mean_loss, measured) if distributed else {}),
        )

    def _placed(self, spec: ir.Spec) -> tuple[str, ...]:
        """`device gpu` in one process: Keras places the model and its batches on a GPU
        where its backend sees one; TF32 off, so that float32 stays float32; else the CPU,
        said on stderr."""
        tf32 = "# TF32 off: float32 matmuls and convolutions stay float32."
        return (
            "# `device gpu`: Keras trains on a GPU where its backend sees one.",
            "backend = keras.backend.backend()",
            'if backend == "tensorflow":',
            "    import tensorflow as tf",
            "",
            f"    {tf32}",
            "    tf.config.experimental.enable_tensor_float_32_execution(False)",
            '    gpu = bool(tf.config.list_physical_devices("GPU"))',
            'elif backend == "jax":',
            "    import jax",
            "",
            "    # Matmuls and convolutions in full float32: on a GPU, JAX's default rounds their",
            "    # inputs to bfloat16 or TF32.",
            '    jax.config.update("jax_default_matmul_precision", "highest")',
            '    gpu = jax.default_backend() == "gpu"',
            "else:",
            "    import torch",
            "",
            f"    {tf32}",
            "    torch.backends.cuda.matmul.allow_tf32 = False",
            "    torch.backends.cudnn.allow_tf32 = False",
            "    gpu = torch.cuda.is_available()",
            "if not gpu:",
            '    print(f"no GPU that Keras on {backend} can use: training on the CPU", '
            "file=sys.stderr)",
        )

    def _tested(self, spec: ir.Spec, measured: bool) -> tuple[str, ...]:
        """The line computing the model's loss on the held-out rows (and its accuracy, where
        that is a compiled metric), in inference mode."""
        values = "test_loss, test_accuracy" if measured else "test_loss"
        return (f"{values} = model.test_on_batch({spec.inputs}_test, {spec.targets}_test)",)

    def _scheduler(self, spec: ir.Spec) -> tuple[str, ...]:
        """Keras's callback for a learning rate per epoch: its schedules (ExponentialDecay,
        CosineDecay) count batches, and CosineDecay would decay within an epoch too. (Each
        of fit's epochs is a step where full-batch steps go through fit.)"""
        if spec.schedule is None:
            return ()
        unit = spec.training.unit
        head, rate = "schedule = keras.callbacks.LearningRateScheduler", (
            f"lambda {unit}: {learning_rate(spec, unit)}"
        )
        line = f"{head}({rate})"  # as black lays it out: one line where it fits
        when = (
            "set before its first batch (fit counts epochs from 0)"
            if unit == "epoch"
            else "set before it: each of fit's epochs is a step (counted from 0)"
        )
        return (
            *comment_lines(f"Each {unit}'s learning rate, {schedule_said(spec)}, {when}."),
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


def _validation(spec: ir.Spec, padded: bool) -> tuple[str, ...]:
    """fit's arguments for Keras's own validation, where an epoch is logged or early stopping
    watches: the held-out rows in one batch, as the other targets compute them."""
    held = "test_batch" if padded else f"({spec.inputs}_test, {spec.targets}_test)"
    size = "len(test_batch[0])" if padded else f"len({spec.inputs}_test)"
    every, watched = spec.logging.every, spec.training.patience is not None
    return (
        f"validation_data={held},",
        f"validation_batch_size={size},  # one batch, as elsewhere",
        *((f"validation_freq={every},",) if every > 1 and not watched else ()),
    )


def _reports(
    spec: ir.Spec, figure: str, trained: str, tested_lines: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The trained model's loss (and accuracy) on the training rows and on the held-out ones:
    under `distribute` through `evaluate`, which splits a batch between the replicas."""
    x, y = spec.inputs, spec.targets
    if spec.distribute is not None:
        return (
            trained_loss(spec, f"logs['{figure}']", "logs['accuracy']",
                         (f"logs = evaluated({x}, {y})",)),
            tested(spec, f"logs['{figure}']", "logs['accuracy']",
                   (f"logs = evaluated({x}_test, {y}_test)",)),
        )  # fmt: skip
    said = "# test_on_batch calls the model with training=False and updates nothing."
    return (
        trained_loss(spec, "loss_value", "accuracy",
                     (said, f"{trained} = model.test_on_batch({x}, {y})")),
        tested(spec, "test_loss", "test_accuracy", tested_lines),
    )  # fmt: skip


def _early_stopping(spec: ir.Spec, figure: str) -> dict[str, tuple[str, ...]]:
    """With `patience`: the EarlyStopping callback, watching fit's validation loss, and the
    line saying after fit where it stopped; none without."""
    if spec.training.patience is None:
        return dict(stopping=(), stopped=())
    return dict(
        stopping=(
            f"patience = {spec.training.patience}",
            f"# Stop after an epoch when the test loss (fit's val_{figure}) has not gone below",
            "# its best for `patience` epochs.",
            "early_stopping = keras.callbacks.EarlyStopping("
            f'monitor="val_{figure}", patience=patience)',
        ),
        stopped=(
            "if early_stopping.stopped_epoch:  # counted from 0",
            "    " + STOPPED.format(epoch="early_stopping.stopped_epoch + 1"),
        ),
    )


def _guarded(condition: str | None, lines: tuple[str, ...]) -> tuple[str, ...]:
    """`lines` under `if <condition>:`, or as they are where the condition is None."""
    if condition is None:
        return lines
    return (f"if {condition}:", *(f"    {line}" for line in lines))


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
