"""Keras 3: a `Sequential` model (or a `Layer` subclass with `add_weight`), `compile`, and `fit`
for epochs or `train_on_batch` for steps. Backend-neutral: the scripts run unchanged under
`KERAS_BACKEND=tensorflow`, `torch` and `jax`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .. import ir
from ..lower import Log, LogSite, log
from ..spell import formula, names, py
from .base import Backend, Optimizer, Unsupported


@dataclass(frozen=True)
class KerasModel:
    """The Keras half of a plan."""

    floatx: str | None  # `keras.config.set_floatx(...)` for a dtype other than float32
    layers: tuple[str, ...]  # Sequential's layers after its Input
    loads: tuple[str, ...]  # copying the shared initial weights in
    weights: tuple[str, ...]  # a formula layer's add_weight lines
    call: str  # a formula layer's expression over `x`
    native: bool  # some weights keep Keras's own initial values
    units_in: int
    optimizer: Optimizer
    loss: str
    fit: bool  # epochs: `fit` with a callback; steps: `train_on_batch`
    every: str  # "epoch" or "10 epochs", for the callback's docstring
    reads: str  # code reading the weights a log line shows, before an epoch's update
    fetch: tuple[str, ...]  # ... or before a step's update
    log: Log


class Keras(Backend):
    name = "keras"
    title = "Keras 3"
    extra = "keras"
    imports = ("import keras", "import numpy as np")
    quiet_tensorflow = True  # on the TensorFlow backend, Keras imports it
    modules = ("keras", "numpy", "os")
    activations = {"linear": None, "relu": '"relu"', "sigmoid": '"sigmoid"', "tanh": '"tanh"'}
    functions = {fn: f"keras.ops.{fn}" for fn in ir.FORMULA_FUNCTIONS}
    dtypes = {"float32": '"float32"', "float64": '"float64"'}
    losses = {"mse": "keras.losses.MeanSquaredError", "mae": "keras.losses.MeanAbsoluteError"}

    def unsupported(self, spec: ir.Spec) -> Iterator[Unsupported]:
        yield from super().unsupported(spec)
        if spec.loss.reduction == "sum" and spec.units_out > 1:
            yield Unsupported(
                "loss",
                f"`reduction=sum` with {spec.units_out} outputs",
                "Keras sums the per-sample means, so it would train on another loss: use "
                "`reduction=mean`, or build for the other targets",
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
        return f'model.get_layer("{weight.layer}").{weight.role}.numpy()'

    def optim_sgd(self, spec: ir.Spec, params: str) -> Optimizer:
        options = f"learning_rate={self.hyper(spec, 'lr')}"
        if spec.optimizer["momentum"]:
            options += f", momentum={self.hyper(spec, 'momentum')}"
        if spec.optimizer["nesterov"]:
            options += ", nesterov=True"
        return Optimizer(f"keras.optimizers.SGD({options})")

    def optim_adam(self, spec: ir.Spec, params: str) -> Optimizer:
        return Optimizer(f"keras.optimizers.Adam({self._adam_options(spec)})")

    def optim_adamw(self, spec: ir.Spec, params: str) -> Optimizer:
        decay = self.hyper(spec, "weight_decay")
        options = f"{self._adam_options(spec)}, weight_decay={decay}"
        return Optimizer(f"keras.optimizers.AdamW({options})")

    def _adam_options(self, spec: ir.Spec) -> str:
        return self.keywords(spec, learning_rate="lr", beta_1="beta1", beta_2="beta2",
                             epsilon="eps")  # fmt: skip

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
        reduction = f'reduction="{loss.reduction}"' if loss.reduction != "mean" else ""
        fit = spec.training.unit == "epoch"
        every = spec.logging.every
        value = lambda w: f"{w.var}_value"  # noqa: E731
        values = [value(w) for w in spec.shown]
        shown, reads = ", ".join(values), ", ".join(self.read(w) for w in spec.shown)
        site = (
            LogSite("logs['loss']", value, "epoch + 1")
            if fit
            else LogSite("loss_value", value, "step")
        )
        return KerasModel(
            floatx=None if spec.dtype == "float32" else self.dtypes[spec.dtype],
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
            units_in=spec.units_in,
            optimizer=self.optimizer(spec),
            loss=f"{self.losses[loss.kind]}({reduction})",
            fit=fit,
            every=f"{every} epochs" if every > 1 else "epoch",
            reads=reads if fit else "",
            fetch=(f"{shown} = {reads}  # before this step's update",) if shown and not fit else (),
            log=log(
                spec, site, (f"{names(values)} = self.weights_before",) if values and fit else ()
            ),
        )

    def _layers(self, spec: ir.Spec) -> tuple[str, ...]:
        if not isinstance(spec.network, ir.Sequential):
            return ()
        lines = []
        for layer in spec.network.layers:
            activation = self.activations[layer.activation]
            argument = f", activation={activation}" if activation else ""
            lines.append(f'keras.layers.Dense({layer.units_out}{argument}, name="{layer.name}"),')
        return tuple(lines)

    def _loads(self, spec: ir.Spec) -> tuple[str, ...]:
        if not isinstance(spec.network, ir.Sequential):
            return tuple(f'layer.{w.var}.assign(init["{w.name}"])' for w in spec.weights)
        lines = []
        for layer in spec.network.layers:
            drawn = [w for w in spec.weights if w.layer == layer.name and w.init.kind != "native"]
            if len(drawn) == 2:
                kernel, bias = (f'init["{w.name}"]' for w in drawn)
                lines.append(f'model.get_layer("{layer.name}").set_weights([{kernel}, {bias}])')
            else:
                lines += [f'{self.read(w).removesuffix(".numpy()")}.assign(init["{w.name}"])'
                          for w in drawn]  # fmt: skip
        return tuple(lines)


BACKEND = Keras()
