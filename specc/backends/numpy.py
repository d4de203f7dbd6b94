"""NumPy: the reference. Forward and backward passes written out, every optimizer written out
as a small class, nothing imported but NumPy: the math that the frameworks are held to."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from typing import NamedTuple

from .. import ir
from ..differentiate import DERIVATIVES, differentiate, used_names
from ..format import LINE_LENGTH
from ..layers import NumpySpelling, kind_of, spelling
from ..lower import Log, LogSite, held_out, log, scheduled, tested, trained_loss
from ..spell import names, py, walk
from .base import Backend, Optimizer, Unsupported


class NumpyModel(NamedTuple):
    """The NumPy half of a plan."""

    helpers: tuple[str, ...]  # templates of the functions the script needs: relu, sigmoid, ...
    unpack: str  # `fc1_kernel, fc1_bias = weights.values()`
    state: tuple[str, ...]  # the layers' state (running statistics), by name, and unpacked
    masks: tuple[str, ...]  # the generator Dropout's masks are drawn with
    constants: tuple[str, ...]  # what layers compute from the training inputs, once
    # forward computes otherwise for an update, `forward(x, training=True)`: its docstring
    training: tuple[str, ...]
    forward: tuple[str, ...]  # forward's body, up to its outputs
    saved: str  # what forward keeps for backward: `(fc1_out, hidden1)`
    unpack_saved: str  # `fc1_out, hidden1 = saved`, or "" when backward needs nothing
    backward: tuple[str, ...]  # backward's body: the chain rule, one line per step
    gradients: tuple[str, ...]  # the dict backward returns: `"fc1.kernel": grad_fc1_kernel,`
    layered: bool  # a stack of layers: backward's docstring says "layer by layer"
    criterion: str  # the template of the loss function
    mean: bool  # the loss averages (else it sums)
    optimizer: Optimizer
    setup: str  # `optimizer = Adam(...)`, or the learning rate of an update written out
    schedule: tuple[str, ...]  # each epoch's (or step's) first lines: its learning rate
    inputs: str  # what one update trains on: `x`, or `inputs` for a mini-batch
    targets: str
    batch: str  # with mini-batches: `inputs, targets = x[rows], y[rows]`
    correct: str  # with mini-batches and `show=accuracy`: the batch's samples classified right
    fetch: tuple[str, ...]  # with mini-batches, the shown weights read before an epoch
    log: Log
    trained_loss: tuple[str, ...]  # forward and criterion once on all the data
    tested: tuple[str, ...]  # ... and on the held-out rows, with a `split`
    watch: tuple[str, ...]  # with `patience`: the held-out rows' loss after every epoch
    predictions: tuple[str, ...]  # the lines computing `predictions` from `x_new`


class Numpy(Backend):
    name = "numpy"
    title = "NumPy"
    label = "NumPy"
    extra = "numpy"
    imports = ("import numpy as np",)
    modules = ("numpy",)
    activations = {"linear": None, "relu": "relu", "sigmoid": "sigmoid", "tanh": "np.tanh"}
    functions = {
        **{fn: f"np.{fn}" for fn in ("exp", "log", "sin", "cos", "tanh", "abs", "sqrt")},
        "relu": "relu",
        "sigmoid": "sigmoid",
    }
    dtypes = {"float32": "np.float32", "float64": "np.float64"}
    losses = {loss: f"numpy/{loss}.py.j2" for loss in ("mse", "mae", "crossentropy", "bce")}

    def unsupported(self, spec: ir.Spec) -> Iterator[Unsupported]:
        yield from super().unsupported(spec)
        if spec.native:
            statement = "layer" if isinstance(spec.network, ir.Sequential) else "param"
            yield Unsupported(
                statement,
                "the initializer `native`",
                "NumPy has no initializer of its own: give the weights one that specc draws "
                "(`init=glorot_uniform`), or build the frameworks alone "
                "(`--target torch,tfgraph,keras`)",
            )

    def read(self, weight: ir.Weight) -> str:
        return weight.var  # the array the optimizer updates in place

    def optimizer(self, spec: ir.Spec, params: str = "") -> Optimizer:
        made = super().optimizer(spec, params)
        lines: list[str] = []
        if (clip := self.clip(spec)) is not None:
            lines += [
                f"# Clip the gradients' global norm to {py(clip)}: all scaled by one factor.",
                "norm = np.sqrt(sum(np.sum(gradient**2) for gradient in gradients.values()))",
                f"factor = min(1.0, {py(clip)} / norm)",
                "gradients = {name: gradient * factor for name, gradient in gradients.items()}",
            ]
        if decay := self.coupled_decay(spec):
            after = "after the clipping, " if clip is not None else ""
            lines += [
                f"# Weight decay as torch's: {py(decay)} times each weight (biases too) added to",
                f"# its gradient, {after}before the optimizer's step.",
                f"gradients = {{name: gradient + {py(decay)} * weights[name] for name, gradient in "
                "gradients.items()}",
            ]
        return made._replace(step=(*lines, *made.step))

    def save(self, spec: ir.Spec, name: str) -> tuple[str, ...]:
        path = py(f"{name}_numpy.npz")
        arrays = "**weights, **running" if spec.state else "**weights"
        return (
            "# The trained weights as NumPy arrays by name, which np.load reads back.",
            f"np.savez({path}, {arrays})",
            f"print({py(f'saved {name}_numpy.npz')})",
        )

    def optim_gd(self, spec: ir.Spec, params: str) -> Optimizer:
        return Optimizer(self.hyper(spec, "lr"), written_out=True)

    def optim_sgd(self, spec: ir.Spec, params: str) -> Optimizer:
        if not spec.optimizer["momentum"]:
            return self.optim_gd(spec, params)
        options = self.keywords(spec, lr="lr", momentum="momentum")
        options += f", nesterov={bool(spec.optimizer['nesterov'])}"
        return Optimizer(f"SGD({params}, {options})", definition="numpy/sgd.py.j2")

    def optim_adam(self, spec: ir.Spec, params: str) -> Optimizer:
        return self._adam(spec, "Adam", params, "numpy/adam.py.j2")

    def optim_adamw(self, spec: ir.Spec, params: str) -> Optimizer:
        return self._adam(spec, "AdamW", params, "numpy/adamw.py.j2", "weight_decay")

    def _adam(self, spec: ir.Spec, kind: str, params: str, template: str, *more: str) -> Optimizer:
        options = self.keywords(spec, lr="lr", **{name: name for name in more})
        betas = "beta1=beta1, beta2=beta2" if spec.dtype == "float32" else None
        betas = betas or self.keywords(spec, beta1="beta1", beta2="beta2")
        construct = f"{kind}({params}, {options}, {betas}, eps={self.hyper(spec, 'eps')})"
        before = self.float32_betas(spec) if spec.dtype == "float32" else ()
        return Optimizer(construct, definition=template, before=before)

    def optim_rmsprop(self, spec: ir.Spec, params: str) -> Optimizer:
        options = self.keywords(spec, lr="lr", rho="rho", eps="eps", momentum="momentum")
        return Optimizer(f"RMSprop({params}, {options})", definition="numpy/rmsprop.py.j2")

    def lower(self, spec: ir.Spec) -> NumpyModel:
        if isinstance(spec.network, ir.Sequential):
            forward, saved, backward = _layers(spec.network, self.activations)
            layered = True
        else:
            network = spec.network
            derivative = differentiate(
                network.expr,
                {p.name: p.shape for p in network.params},
                (None, network.units_in),
                self.functions.__getitem__,
            )
            forward, saved, backward = derivative.forward, derivative.saved, derivative.backward
            layered = False
        optimizer = self.optimizer(spec, "weights")
        batched = spec.training.batch is not None
        x, y = ("inputs", "targets") if batched else (spec.inputs, spec.targets)
        correct = _correct(spec, y) if spec.logging.accuracy else ""
        site = (
            LogSite(f"total / len({spec.inputs})", lambda w: f"{w.var}_value", "epoch",
                    f"total_correct / len({spec.inputs})")
            if batched
            else LogSite("loss", self.read, spec.training.unit, "accuracy")
        )  # fmt: skip
        # The fraction of all the data classified right: each log line's, or the trained one's.
        y_all = spec.targets
        accuracy = (f"accuracy = {_correct(spec, y_all)} / len({y_all})",) if correct else ()
        before = () if batched else accuracy
        logging = spec.logging
        test_figures, watch = held_out(spec, _tested(spec, logging.test_accuracy))
        if batched and not watch:  # an epoch's: after its updates
            before += test_figures
        site = site._replace(test_loss="test_loss", test_accuracy="test_accuracy")
        return NumpyModel(
            helpers=_helpers(spec),
            unpack=f"{names([w.var for w in spec.trainable])} = weights.values()",
            state=(
                (
                    "# BatchNorm's running statistics: training moves them toward each batch's,",
                    "# in place, and inference normalizes by them.",
                    "running = {name: init[name].copy() for name in "
                    f"{[w.name for w in spec.state]}}}",
                    f"{names([w.var for w in spec.state])} = running.values()",
                )
                if spec.state
                else ()
            ),
            masks=(
                (
                    "# Dropout's masks, drawn with a NumPy generator of their own so that the "
                    "data's",
                    "# stream stays every target's. Each framework draws its own masks.",
                    f"masks = np.random.default_rng({_mask_seed(spec)})",
                )
                if spec.draws
                else ()
            ),
            constants=self.adapts(spec),
            training=_training(spec),
            forward=forward,
            saved=f"({', '.join(saved)}{',' if len(saved) == 1 else ''})",
            unpack_saved=f"{names(list(saved))} = saved" if saved else "",
            backward=backward,
            gradients=tuple(f'"{w.name}": grad_{w.var},' for w in spec.trainable),
            layered=layered,
            criterion=self.losses[spec.loss.kind],
            mean=spec.loss.reduction == "mean",
            optimizer=optimizer,
            setup=(
                f"learning_rate = {optimizer.construct}"
                if optimizer.written_out
                else f"optimizer = {optimizer.construct}"
            ),
            schedule=scheduled(spec, "learning_rate" if optimizer.written_out else "optimizer.lr"),
            inputs=x,
            targets=y,
            batch=f"inputs, targets = {spec.inputs}[rows], {spec.targets}[rows]",
            correct=correct if batched else "",
            fetch=(
                tuple(f"{w.var}_value = {w.var}.copy()" for w in spec.shown)
                if batched
                else test_figures  # a step's: at the weights its loss is of, before its forward
            ),
            watch=watch,
            log=log(spec, site, before),
            trained_loss=trained_loss(
                spec,
                "loss",
                "accuracy",
                (
                    f"outputs, _ = forward({spec.inputs})",
                    f"loss, _ = criterion(outputs, {y_all})",
                    *accuracy,
                ),
            ),
            tested=tested(spec, "test_loss", "test_accuracy", _tested(spec, spec.classifies)),
            predictions=_predictions(spec),
        )


def _layers(
    network: ir.Sequential, activations: dict[str, str | None]
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """A stack of Dense layers: forward's lines, the values it saves, and backward's lines.

    Layer i computes `fc<i>_out`, and its activation of it `hidden<i>` (the last one
    `outputs`); a linear layer's output is its `hidden<i>` at once.
    """
    forward: list[str] = []
    backward: list[str] = []
    layers = network.layers
    value = "x"
    for i, layer in enumerate(layers, start=1):
        out = "outputs" if i == len(layers) else f"hidden{i}"
        spelled = spelling(layer, "numpy", NumpySpelling)
        forward += spelled.before(layer, value)
        affine = spelled.forward(layer, value)
        activation = activations[layer.activation]
        if activation is None:
            forward.append(f"{out} = {affine}")
        else:
            forward += [f"{layer.name}_out = {affine}", f"{out} = {activation}({layer.name}_out)"]
        value = out
    for i in range(len(layers), 0, -1):
        layer = layers[i - 1]
        out = "outputs" if i == len(layers) else f"hidden{i}"
        grad = f"grad_{out}"
        if layer.activation != "linear":
            rule = DERIVATIVES[layer.activation]
            backward.append(
                f"grad_{layer.name}_out = {rule.format(g=grad, a=f'{layer.name}_out', n=out)}"
            )
            grad = f"grad_{layer.name}_out"
        before = "x" if i == 1 else f"hidden{i - 1}"
        # Its input's gradient, where a layer before it trains something (not a Normalize's).
        trained_before = any(
            d.trainable for earlier in layers[: i - 1] for d in kind_of(earlier).weights(earlier)
        )
        backward += spelling(layer, "numpy", NumpySpelling).backward(
            layer, before, grad, f"grad_{before}" if trained_before else None
        )
    read = used_names(backward)
    saved = tuple(n for line in forward for n in line.split(" = ")[0].split(", ") if n in read)
    return tuple(forward), saved, tuple(backward)


def _helpers(spec: ir.Spec) -> tuple[str, ...]:
    """The functions a script defines for itself, as templates: NumPy has no relu."""
    used: set[str] = set()
    network = spec.network
    layered: list[str] = []  # the layers' own, in the order they are first needed
    if isinstance(network, ir.Sequential):
        used |= {layer.activation for layer in network.layers}
        for layer in network.layers:
            layered += spelling(layer, "numpy", NumpySpelling).helpers
    else:
        used |= {n.fn for n in walk(network.expr) if isinstance(n, ir.Call)}
    if spec.loss.kind == "bce":
        used.add("sigmoid")
    if spec.loss.kind == "crossentropy":
        used.add("log_softmax")
    own = tuple(f"numpy/{h}.py.j2" for h in ("relu", "sigmoid", "log_softmax") if h in used)
    return tuple(dict.fromkeys((*own, *layered)))


def _mask_seed(spec: ir.Spec) -> int:
    return spec.seed if spec.mask_seed is None else spec.mask_seed


def _training(spec: ir.Spec) -> tuple[str, ...]:
    """forward's docstring where it computes otherwise for an update, saying what it does."""
    if not spec.modes:
        return ()
    said = " and ".join(kind.spellings["numpy"].training for kind in spec.modal)  # type: ignore[attr-defined]
    text = (
        '"""The outputs, and the values of the forward pass that backward needs; `training`: '
        f'{said}, for an update."""'
    )
    return tuple(textwrap.wrap(text, LINE_LENGTH - 4))


def _correct(spec: ir.Spec, targets: str, outputs: str = "outputs") -> str:
    """How many samples the outputs classify right: the largest logit, or a logit above 0."""
    if spec.loss.kind == "crossentropy":
        return f"({outputs}.argmax(axis=1) == {targets}).sum()"
    return f"(({outputs} > 0) == ({targets} > 0.5)).sum()"


def _tested(spec: ir.Spec, accuracy: bool) -> tuple[str, ...]:
    """The lines computing the model's loss on the held-out rows (and its accuracy), in
    inference mode."""
    x, y = f"{spec.inputs}_test", f"{spec.targets}_test"
    lines = [f"test_outputs, _ = forward({x})", f"test_loss, _ = criterion(test_outputs, {y})"]
    if accuracy:
        lines.append(f"test_accuracy = {_correct(spec, y, 'test_outputs')} / len({y})")
    return tuple(lines)


def _predictions(spec: ir.Spec) -> tuple[str, ...]:
    """The model's predictions for `x_new`: a classifier's probabilities."""
    if spec.loss.kind == "crossentropy":
        return ("outputs, _ = forward(x_new)", "predictions = np.exp(log_softmax(outputs))")
    if spec.loss.kind == "bce":
        return ("outputs, _ = forward(x_new)", "predictions = sigmoid(outputs)")
    return ("predictions, _ = forward(x_new)",)


BACKEND = Numpy()
