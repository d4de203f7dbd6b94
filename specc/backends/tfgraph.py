"""TensorFlow in graph mode (`tf.compat.v1`): placeholders, Variables, a loss tensor, a train op
and one Session.

With `distribute`, the model is replicated in the one graph, a tower per device (in-graph
replication, as TF1's multi-GPU examples do it): each tower computes its shard of every batch,
the towers' gradients are added up and applied once. With `device gpu`, TensorFlow's placer
puts the ops on a GPU where it sees one. Neither turns on `enable_op_determinism`: a GPU's
reductions may add in another order from run to run, which the band already allows, while
under it an op with no deterministic GPU kernel raises instead of running (no GPU was at hand
to find which of the scripts' ops have one).
"""

from __future__ import annotations

from typing import NamedTuple

from .. import ir
from ..layers import KINDS, GraphSpelling, spelling
from ..lower import (
    Log,
    LogSite,
    comment_lines,
    held_out,
    log,
    modes,
    schedule_said,
    scheduled,
    seeded,
    tested,
    trained_loss,
)
from ..spell import formula, names, py
from .base import Backend, Optimizer


class Towers(NamedTuple):
    """With `distribute`: the model as a function that each tower calls on its shard."""

    adapts: tuple[str, ...]  # what the layers fix before training (Normalize's statistics)
    arguments: str  # the model function's: `inputs`, or `inputs, tower` for Dropout's seeds
    model: tuple[str, ...]  # its body, one tensor a line, ending in `return`
    count: tuple[str, ...]  # why a tower's loss is its share of the batch's, and its divisor
    call: str  # the tower's outputs: `model(shard_inputs)`
    losses: str  # each of its shard's samples' (or values') loss
    loss: str  # the tower's share of the batch's loss, from them
    gradients: str  # the tower's gradients: `optimizer.compute_gradients(tower_loss)`


class GraphModel(NamedTuple):
    """The TF-graph half of a plan."""

    devices: tuple[str, ...]  # where the graph runs, with `distribute` or `device gpu`
    session: str  # the Session's arguments: its config, where the devices need one
    heading: tuple[str, ...]  # the comment over the graph
    dtype: str  # the inputs' placeholder's: `tf.float32`, or `tf.int64` for token ids
    shape: str  # the inputs' placeholder shape: `(None, 1)`
    targets: str  # the targets' placeholder: `tf.float32, shape=(None, 1)`, or labels'
    definitions: tuple[str, ...]  # functions of the script's own that its layers call
    training: tuple[str, ...]  # where a layer has modes: the placeholder saying which
    variables: tuple[str, ...]  # `fc1_kernel = tf.Variable(...)`
    layers: tuple[str, ...]  # the forward pass, one tensor a line, ending in `outputs`
    loss: str
    correct: str  # the tensor counting the samples classified right, where one is shown
    counted: bool  # the updates' runs fetch it too (`show=accuracy`)
    run: str  # the line running one update
    optimizer: Optimizer
    learning_rate: tuple[str, ...]  # with a schedule: the placeholder each run feeds it through
    schedule: tuple[str, ...]  # ... and each epoch's (or step's) first lines, its value
    gradients: tuple[str, ...]  # for an update written out: `grad_w, grad_b = tf.gradients(...)`
    updates: tuple[str, ...]  # ... and each weight's assign
    statistics: tuple[str, ...]  # the layers' state updates, grouped with train_op
    fetch: tuple[str, ...]  # reading the weights a log line shows, before the update
    log: Log
    trained_loss: tuple[str, ...]  # the loss (and accuracy) tensors run on all the data
    tested: tuple[str, ...]  # ... and on the held-out rows, with a `split`
    watch: tuple[str, ...]  # with `patience`: their loss after every epoch
    predictions: str  # the tensor `predict` prints
    towers: Towers | None  # with `distribute`


class TFGraph(Backend):
    name = "tfgraph"
    title = "TensorFlow (graph mode, tf.compat.v1)"
    label = "TensorFlow (graph)"
    float32_corrections = True
    extra = "tensorflow"
    imports = ("import numpy as np", "import tensorflow as tf")
    quiet_tensorflow = True
    modules = ("numpy", "os", "sys", "tensorflow")
    activations = {"linear": None, "relu": "tf.nn.relu", "sigmoid": "tf.sigmoid",
                   "tanh": "tf.tanh"}  # fmt: skip
    functions = {
        **{fn: f"tf.{fn}" for fn in ir.FORMULA_FUNCTIONS},
        "log": "tf.math.log",
        "relu": "tf.nn.relu",
    }
    dtypes = {"float32": "tf.float32", "float64": "tf.float64"}
    # Each element's or sample's loss, of the tensors named `outputs` and `targets`.
    losses = {
        "mse": "tf.square({outputs} - {targets})",
        "mae": "tf.abs({outputs} - {targets})",
        "crossentropy": "tf.nn.sparse_softmax_cross_entropy_with_logits("
        "labels={targets}, logits={outputs})",
        "bce": "tf.nn.sigmoid_cross_entropy_with_logits(labels={targets}, logits={outputs})",
    }
    # How many samples the outputs classify right: the largest logit, or a logit above 0.
    corrects = {
        "crossentropy": "tf.equal(tf.argmax(outputs, axis=1), targets)",
        "bce": "tf.equal(outputs > 0, targets > 0.5)",
    }
    probabilities = {"crossentropy": "tf.nn.softmax(outputs)", "bce": "tf.sigmoid(outputs)"}

    def hyper(self, spec: ir.Spec, name: str) -> str:
        if name == "lr" and spec.schedule is not None:
            return "learning_rate"  # the placeholder each run feeds (see `lower`)
        # TF1 optimizers turn a Python float into a float32 tensor before casting it to the
        # variable's dtype, so a float64 model would step with lr rounded to float32.
        value = py(spec.optimizer[name])
        return f"tf.constant({value}, dtype=tf.float64)" if spec.dtype == "float64" else value

    def imported(self, spec: ir.Spec) -> tuple[str, ...]:
        # `device gpu` says on stderr where no GPU is found
        return (*self.imports, "import sys") if spec.device == "gpu" else self.imports

    def read(self, weight: ir.Weight) -> str:
        return f"sess.run({weight.var})"

    def save(self, spec: ir.Spec, name: str) -> tuple[str, ...]:
        # The model's Variables alone, not the optimizer's slots; no `checkpoint` state file,
        # which every checkpoint in the folder would share.
        path = py(f"./{name}_tfgraph.ckpt")
        return (
            "# The trained weights as a TensorFlow checkpoint, by their Variables' names:",
            "# tf.compat.v1.train.Saver restores them into this graph.",
            f"saver = tf.compat.v1.train.Saver([{', '.join(w.var for w in spec.weights)}])",
            f"saver.save(sess, {path}, write_meta_graph=False, write_state=False)",
            f"print({py(f'saved {name}_tfgraph.ckpt')})",
        )

    def optim_sgd(self, spec: ir.Spec, params: str) -> Optimizer:
        lr = self.hyper(spec, "lr")
        if not spec.optimizer["momentum"]:
            construct = f"tf.compat.v1.train.GradientDescentOptimizer(learning_rate={lr})"
            return Optimizer(construct, train=self._train(spec))
        options = f"learning_rate={lr}, momentum={self.hyper(spec, 'momentum')}"
        if spec.optimizer["nesterov"]:
            options += ", use_nesterov=True"
        construct = f"tf.compat.v1.train.MomentumOptimizer({options})"
        return Optimizer(construct, train=self._train(spec, lazy="momentum"))

    def optim_adam(self, spec: ir.Spec, params: str) -> Optimizer:
        return Optimizer(self._adam(spec), train=self._train(spec))

    def optim_adamw(self, spec: ir.Spec, params: str) -> Optimizer:
        # Python floats times a tensor take the tensor's dtype: no float32 rounding here.
        lr = "learning_rate" if spec.schedule is not None else py(spec.optimizer["lr"])
        decay = f"{lr} * {py(spec.optimizer['weight_decay'])}"
        return Optimizer(
            self._adam(spec),
            train=self._train(
                spec,
                decoupled=(
                    "# TF1 has no AdamW: after the gradients are computed, shrink each weight by",
                    "# lr * weight_decay (decoupled, as AdamW does), then take the Adam step.",
                    "with tf.control_dependencies([gradient for gradient, _ in gradients]):",
                    f"    decay = tf.group([weight.assign_sub({decay} * weight) "
                    "for _, weight in gradients])",
                    "with tf.control_dependencies([decay]):",
                    "    train_op = optimizer.apply_gradients(gradients)",
                ),
            ),
        )

    def _adam(self, spec: ir.Spec) -> str:
        options = self.keywords(spec, learning_rate="lr", beta1="beta1", beta2="beta2",
                                epsilon="eps")  # fmt: skip
        return f"tf.compat.v1.train.AdamOptimizer({options})"

    def optim_rmsprop(self, spec: ir.Spec, params: str) -> Optimizer:
        options = self.keywords(spec, learning_rate="lr", decay="rho", momentum="momentum",
                                epsilon="eps")  # fmt: skip
        return Optimizer(
            f"tf.compat.v1.train.RMSPropOptimizer({options})",
            train=(
                "# TF1's RMSprop makes its slots with an initializer it warns is deprecated.",
                "tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)",
                *self._train(spec, lazy="RMSprop"),
                "# TF1's RMSprop starts its mean square at 1; Keras's and torch's start at 0.",
                "zero_mean_square = tf.group(",
                "    [",
                '        optimizer.get_slot(weight, "rms").assign(tf.zeros_like(weight))',
                "        for weight in tf.compat.v1.trainable_variables()",
                "    ]",
                ")",
            ),
            start=("sess.run(zero_mean_square)",),
        )

    def _train(
        self, spec: ir.Spec, lazy: str = "", decoupled: tuple[str, ...] = ()
    ) -> tuple[str, ...]:
        """The train op: `minimize`, or where the spec's update needs it, the gradients
        computed (with `distribute`, the towers' added up), made dense for an optimizer whose
        sparse updates are `lazy`, their global norm clipped, the weight decay added, in that
        order; then applied, after a `decoupled` decay where given (its lines make train_op)."""
        clip, decay = self.clip(spec), self.coupled_decay(spec)
        dense = bool(lazy) and _sparse(spec)
        if spec.distribute is not None:
            lines = list(_summed(lazy if dense else ""))
            if not (clip is not None or decay or decoupled):
                return (
                    *lines,
                    "train_op = optimizer.apply_gradients(sum_gradients(tower_gradients))",
                )
            lines.append("gradients = sum_gradients(tower_gradients)")
        elif not (dense or clip is not None or decay or decoupled):
            return ("train_op = optimizer.minimize(loss)",)
        else:
            lines = list(
                self._dense(lazy) if dense else ("gradients = optimizer.compute_gradients(loss)",)
            )
        if clip is not None:
            lines += _clipped(py(clip))
        if decay:
            after = "after the clipping, " if clip is not None else ""
            lines += [
                f"# Weight decay as torch's: {py(decay)} times each weight (biases too) added to",
                f"# its gradient, {after}before the optimizer's step.",
                f"gradients = [(gradient + {py(decay)} * weight, weight) for gradient, weight in "
                "gradients]",
            ]
        return (*lines, *(decoupled or ("train_op = optimizer.apply_gradients(gradients)",)))

    def _dense(self, name: str) -> tuple[str, ...]:
        """The gradients of an optimizer whose sparse updates are lazy: with a lookup's
        gradients (IndexedSlices), it would move only the rows a batch looks up, their
        momentum too; made dense, every row moves as the spec's update moves it."""
        return (
            f"# A lookup's gradients are IndexedSlices, which TF1's {name} applies lazily (the",
            "# rows not looked up keep their momentum): made dense, every row moves.",
            "gradients = [",
            "    (tf.convert_to_tensor(gradient), weight)",
            "    for gradient, weight in optimizer.compute_gradients(loss)",
            "]",
        )

    def optim_gd(self, spec: ir.Spec, params: str) -> Optimizer:
        return Optimizer(py(spec.optimizer["lr"]), written_out=True)

    def lower(self, spec: ir.Spec) -> GraphModel:
        weights = [w.var for w in spec.trainable]
        reduce = "tf.reduce_mean" if spec.loss.reduction == "mean" else "tf.reduce_sum"
        shown = [w.var for w in spec.shown]
        batched = spec.training.batch is not None
        updates = "updates" if batched else "update"
        loss = f"total / len({spec.inputs})" if batched else "loss_value"
        accuracy = f"{'total_correct' if batched else 'correct_value'} / len({spec.inputs})"
        fetched = ["loss", *(["correct"] if spec.logging.accuracy else [])]  # with train_op
        values = ", ".join(f"{f}_value" for f in fetched)
        tensors = fetched[0] if len(fetched) == 1 else f"[{', '.join(fetched)}]"
        # The whole training data: a full batch's feed, or after mini-batches, a new one.
        everything = f"{{inputs: {spec.inputs}, targets: {spec.targets}}}" if batched else "feed"
        fed = [*(["training: True"] if spec.modes else []),
               *(["learning_rate: learning_rate_value"] if spec.schedule else [])]  # fmt: skip
        feed = f"{{**feed, {', '.join(fed)}}}" if fed else "feed"
        kind = spec.loss.kind
        logging = spec.logging
        test_figures, watch = held_out(spec, self._tested(spec, logging.test_accuracy))
        towers = self._towers(spec)
        return GraphModel(
            devices=self._devices(spec),
            session="config=config" if towers else "",
            heading=comment_lines(
                "The graph: placeholders for the data, Variables for the weights"
                + (
                    " (made once, shared by the towers), then the model as a function that "
                    "each tower calls."
                    if towers
                    else ", then the model."
                )
            ),
            dtype="tf.int64" if spec.integer_inputs else self.dtypes[spec.dtype],
            shape=str((None, *spec.sample_in)),
            targets=(
                "tf.int64, shape=(None,)"
                if kind == "crossentropy"
                else f"{self.dtypes[spec.dtype]}, shape=(None, {spec.units_out})"
            ),
            definitions=self.definitions(spec),
            training=self._training(spec),
            variables=tuple(self._variable(w, spec.dtype) for w in spec.weights),
            layers=() if towers else self._layers(spec),
            loss=f"{reduce}({self.losses[kind].format(outputs='outputs', targets='targets')})",
            correct=(
                f"tf.reduce_sum(tf.cast({self.corrects[kind]}, tf.int64))"
                if spec.logging.accuracy or (spec.split and spec.classifies)
                else ""
            ),
            counted=spec.logging.accuracy,
            run=f"_, {values} = sess.run([train_op, {', '.join(fetched)}], feed_dict={feed})",
            optimizer=self.optimizer(spec),
            learning_rate=self._learning_rate(spec),
            schedule=scheduled(spec, "learning_rate_value"),
            gradients=self._gradients(spec, [f"grad_{w}" for w in weights], weights),
            updates=tuple(f"{w}.assign({w} - learning_rate * grad_{w})," for w in weights),
            statistics=self._statistics(spec),
            fetch=(
                (
                    f"# Read the weights before this {spec.training.unit}'s {updates}: fetched "
                    "in the same run",
                    "# as train_op, the reads' order against the update would be unspecified.",
                    f"{names([f'{w}_value' for w in shown])} = sess.run([{', '.join(shown)}])",
                )
                if shown
                else ()
            )
            + (() if batched else test_figures),  # a step's: at the weights its loss is of
            log=log(
                spec,
                LogSite(
                    loss,
                    lambda w: f"{w.var}_value",
                    spec.training.unit,
                    accuracy,
                    "test_loss",
                    "test_accuracy",
                ),
                test_figures if batched and not watch else (),  # an epoch's: after its updates
            ),
            watch=watch,
            trained_loss=trained_loss(
                spec,
                "loss_value",
                f"correct_value / len({spec.inputs})",
                (f"{values} = sess.run({tensors}, feed_dict={everything})",),
            ),
            tested=tested(spec, "test_loss", "test_accuracy", self._tested(spec, spec.classifies)),
            predictions=self.probabilities.get(kind, "outputs"),
            towers=towers,
        )

    def _devices(self, spec: ir.Spec) -> tuple[str, ...]:
        """Where the graph runs: with `distribute`, a device per tower, GPUs where asked and
        found; with `device gpu` alone, TensorFlow's placer's own choice, a GPU where it sees
        one. TF32 off on a GPU, so that a float32 matmul or convolution rounds as float32."""
        no_gpu = 'print("no GPU that TensorFlow can use: training on the CPU", file=sys.stderr)'
        tf32 = (
            "# TF32 off: float32 matmuls and convolutions stay float32.",
            "tf.config.experimental.enable_tensor_float_32_execution(False)",
        )
        if spec.distribute is None:
            if spec.device != "gpu":
                return ()
            return (
                "# `device gpu`: TensorFlow places the graph's ops on a GPU where it sees one,",
                "# else on the CPU, said on stderr.",
                'if tf.config.list_physical_devices("GPU"):',
                *(f"    {line}" for line in tf32),
                "else:",
                f"    {no_gpu}",
            )
        replicas = spec.distribute.replicas
        said = (
            f"Data-parallel over {replicas} replicas, in one graph: each batch is split into "
            f"{replicas} contiguous shards, one tower per device computes its shard's loss and "
            "gradients, and the optimizer applies their sum once."
        )
        cpus = 'devices = [f"/cpu:{tower}" for tower in range(replicas)]'
        if spec.device != "gpu":
            return (
                *comment_lines(f"{said} The devices: CPU devices that the session makes."),
                f"replicas = {replicas}",
                cpus,
                'config = tf.compat.v1.ConfigProto(device_count={"CPU": replicas})',
            )
        return (
            *comment_lines(
                f"{said} The devices: the GPUs that TensorFlow sees, in turn; without one, CPU "
                "devices that the session makes, said on stderr."
            ),
            f"replicas = {replicas}",
            'gpus = tf.config.list_physical_devices("GPU")',
            "if gpus:",
            *(f"    {line}" for line in tf32),
            '    devices = [f"/gpu:{tower % len(gpus)}" for tower in range(replicas)]',
            "else:",
            f"    {no_gpu}",
            f"    {cpus}",
            "# Soft placement: an op with no GPU kernel runs on the CPU.",
            "config = tf.compat.v1.ConfigProto(",
            '    allow_soft_placement=True, device_count={"CPU": replicas}',
            ")",
        )

    def _towers(self, spec: ir.Spec) -> Towers | None:
        """With `distribute`: the model as a function, and what each tower computes with it."""
        if spec.distribute is None:
            return None
        draws = _draws(spec)
        if spec.loss.reduction == "sum":
            count: tuple[str, ...] = comment_lines(
                "Each tower's loss is its shard's summed loss: the towers' losses and gradients "
                "add up to the batch's."
            )
            share = "tf.reduce_sum(shard_losses)"
        else:
            rows = spec.loss.kind == "crossentropy" or spec.units_out == 1
            divisor = "batch_rows" if rows else "batch_values"
            whole = (
                "the whole batch's rows"
                if rows
                else f"the whole batch's values (its rows times {spec.units_out} outputs: what "
                "the batch's mean divides by)"
            )
            count = (
                *comment_lines(
                    f"Each tower's loss is its shard's summed loss over {whole}, so that the "
                    "towers' losses and gradients add up to the batch's mean loss and its "
                    "gradient, however the rows divide between the shards."
                ),
                f"{divisor} = tf.cast("
                + ("tf.shape(targets)[0]" if rows else "tf.size(targets)")
                + f", {self.dtypes[spec.dtype]})",
            )
            share = f"tf.reduce_sum(shard_losses) / {divisor}"
        weights = ", ".join(w.var for w in spec.trainable)
        return Towers(
            adapts=self.adapts(spec),
            arguments="inputs, tower" if draws else "inputs",
            model=self._layers(spec, replicated=True),
            count=count,
            call="model(shard_inputs, tower)" if draws else "model(shard_inputs)",
            losses=self.losses[spec.loss.kind].format(
                outputs="shard_outputs", targets="shard_targets"
            ),
            loss=share,
            gradients=(
                f"tf.gradients(tower_loss, [{weights}])"
                if spec.optimizer.kind == "gd"
                else "optimizer.compute_gradients(tower_loss)"
            ),
        )

    def _tested(self, spec: ir.Spec, accuracy: bool) -> tuple[str, ...]:
        """The lines running the loss on the held-out rows (and counting the samples they
        classify right), in inference mode: the `training` placeholder keeps its default."""
        x, y = f"{spec.inputs}_test", f"{spec.targets}_test"
        feed = f"feed_dict={{inputs: {x}, targets: {y}}}"
        if not accuracy:
            return (f"test_loss = sess.run(loss, {feed})",)
        return (
            f"test_loss, test_correct = sess.run([loss, correct], {feed})",
            f"test_accuracy = test_correct / len({y})",
        )

    def _gradients(self, spec: ir.Spec, grads: list[str], weights: list[str]) -> tuple[str, ...]:
        """An update written out: the lines naming each weight's gradient (with `distribute`,
        the towers' added up), clipped if asked."""
        if spec.distribute is not None:
            lines: tuple[str, ...] = (
                *_summed(),
                f"{names(grads)} = sum_gradients(tower_gradients)",
            )
        else:
            lines = (f"{names(grads)} = tf.gradients(loss, [{', '.join(weights)}])",)
        if (clip := self.clip(spec)) is None:
            return lines
        listed = f"[{', '.join(grads)}]"
        return (
            *lines,
            f"# Clip the gradients' global norm to {py(clip)}: all scaled by one factor.",
            f"{listed}, _ = tf.clip_by_global_norm({listed}, {py(clip)})",
        )

    def _learning_rate(self, spec: ir.Spec) -> tuple[str, ...]:
        """The placeholder the learning rate is fed through, where a schedule changes it."""
        if spec.schedule is None:
            return ()
        return (
            *comment_lines(f"The learning rate, fed to each run: {schedule_said(spec)}."),
            f"learning_rate = tf.compat.v1.placeholder({self.dtypes[spec.dtype]}, shape=(), "
            'name="learning_rate")',
        )

    def _training(self, spec: ir.Spec) -> tuple[str, ...]:
        """The placeholder saying which mode the model computes in, where a layer has two."""
        if not spec.modes:
            return ()
        said = (
            f"Where this is fed True (the updates), {modes(spec, 'training')}; otherwise (the "
            f"trained model's loss, predictions), {modes(spec, 'inference')}."
        )
        seed = seeded("TensorFlow's", f"tf.compat.v1.set_random_seed({spec.seed})")
        return (
            *comment_lines(said),
            'training = tf.compat.v1.placeholder_with_default(False, shape=(), name="training")',
            *(seed if spec.draws else ()),
        )

    def _variable(self, weight: ir.Weight, dtype: str) -> str:
        name = weight.name.replace(".", "/")
        state = "" if weight.trainable else ", trainable=False"
        if weight.init.kind != "native":
            return f'{weight.var} = tf.Variable(init["{weight.name}"], name="{name}"{state})'
        initial = spelling(weight, "tfgraph", GraphSpelling).native(weight, self.dtypes[dtype])
        return (
            f'{weight.var} = tf.Variable({initial}, name="{name}"{state})  # TF\'s own initializer'
        )

    def _statistics(self, spec: ir.Spec) -> tuple[str, ...]:
        """train_op grouped with the layers' state updates, where they have any."""
        if not isinstance(spec.network, ir.Sequential):
            return ()
        updates = [
            update
            for layer in spec.network.layers
            for update in spelling(layer, "tfgraph", GraphSpelling).updates(layer)
        ]
        if not updates:
            return ()
        return (
            "# BatchNorm's running statistics move toward each training batch's with its update.",
            "train_op = tf.group(",
            "    train_op,",
            *(f"    {update}," for update in updates),
            ")",
        )

    def _layers(self, spec: ir.Spec, replicated: bool = False) -> tuple[str, ...]:
        """The forward pass, ending in `outputs`; `replicated`, the body of the towers'
        model function, ending in its `return` (what the layers fix before training, their
        `adapts`, stays outside it)."""
        network = spec.network
        last = "return " if replicated else "outputs = "
        if isinstance(network, ir.Formula):
            return (f"{last}{formula(network.expr, self.functions, 'inputs')}",)
        lines, previous = [], "inputs"
        said: set[str] = set()  # the comments so far
        for i, layer in enumerate(network.layers, start=1):
            activation = self.activations[layer.activation]
            spelled = spelling(layer, "tfgraph", GraphSpelling)
            if replicated:
                before, affine = spelled.replicated(layer, previous, _draws(spec))
            else:
                lines += spelled.adapt(layer, spec.inputs)
                before, affine = spelled.before(layer, previous), spelled.call(layer, previous)
            # A comment explaining a kind's spelling is said at its first layer only.
            lines += [line for line in before if line not in said]
            said |= {line for line in lines if line.startswith("#")}
            result = f"{activation}({affine})" if activation else affine
            if i == len(network.layers):
                lines.append(f"{last}{result}")
            else:
                out = "hidden" if len(network.layers) == 2 else f"hidden{i}"
                lines.append(f"{out} = {result}")
                previous = out
        return tuple(lines)


def _summed(lazy: str = "") -> tuple[str, ...]:
    """The comment over the towers' gradients added up; for an optimizer whose sparse
    updates are `lazy`, why no lookup's gradients are made dense here: their sum is."""
    said = "The towers' gradients add up to the batch's, applied in one update."
    if lazy:
        said += (
            f" Added up, a lookup's IndexedSlices are dense: TF1's {lazy}, which applies them "
            "lazily (the rows not looked up keep their momentum), moves every row."
        )
    return comment_lines(said)


def _clipped(clip: str) -> tuple[str, ...]:
    """The gradients' global norm clipped: tf.clip_by_global_norm scales them all by
    min(1, clip / norm)."""
    return (
        f"# Clip the gradients' global norm to {clip}: all scaled by one factor.",
        f"clipped, _ = tf.clip_by_global_norm([gradient for gradient, _ in gradients], {clip})",
        "gradients = list(zip(clipped, [weight for _, weight in gradients], strict=True))",
    )


def _draws(spec: ir.Spec) -> int:
    """How many of the model's layers draw random numbers (Dropout's masks)."""
    if not isinstance(spec.network, ir.Sequential):
        return 0
    return sum(KINDS[layer.kind].draws for layer in spec.network.layers)


def _sparse(spec: ir.Spec) -> bool:
    """A layer's weights get IndexedSlices for gradients (an Embedding's lookup)."""
    if not isinstance(spec.network, ir.Sequential):
        return False
    return any(spelling(layer, "tfgraph", GraphSpelling).sparse for layer in spec.network.layers)


BACKEND = TFGraph()
