"""LayerNorm: each sample normalized over its last axis by its own mean and variance.

y = (x - mean) / sqrt(variance + eps) * gamma + beta, the mean and the *biased* variance taken
over the last axis of each sample alone: a row's features, each step's features of a sequence,
each pixel's channels of an image. gamma and beta have one value per feature of that axis. No
statistics are kept, so training and inference compute the same. This is Keras's
`LayerNormalization()` (axis -1), torch's `nn.LayerNorm(features)` and, in TensorFlow's graph,
`tf.nn.moments` over the last axis into `tf.nn.batch_normalization`: all put `eps` under the
square root and divide by n, not n - 1. torch takes a convolution's outputs channels first,
while its `nn.LayerNorm` normalizes the last axis: there its script moves the channels last
and back around the layer.
"""

from __future__ import annotations

from typing import Literal

from .. import ir
from ..vocabulary import Option, Word
from .base import (
    Declared,
    GraphSpelling,
    KerasSpelling,
    LayerCheck,
    LayerKind,
    NumpySpelling,
    TorchSpelling,
)

EPS = 0.001  # Keras's default, passed explicitly to every framework

_ONES = ir.Init.model_construct(kind="ones")
_ZEROS = ir.Init.model_construct(kind="zeros")
_INITS = {"gamma": _ONES, "beta": _ZEROS}


def py(value: float) -> str:
    """A hyper-parameter as Python writes it: `0.001`, `1e-05`."""
    return repr(float(value))


class LayerNorm(ir.LayerNode):
    """Layer normalization of each sample of `sample`'s shape over its last axis."""

    kind: Literal["LayerNorm"] = "LayerNorm"
    sample: tuple[ir.PositiveInt, ...]
    eps: float = EPS

    @property
    def features(self) -> int:
        """The values each mean and variance is taken over: the last axis's."""
        return self.sample[-1]

    @property
    def axes(self) -> tuple[int, ...]:
        """The axes of a batch that gamma's and beta's gradients sum over: all but the last."""
        return tuple(range(len(self.sample)))


class TorchLayerNorm(TorchSpelling):
    # nn.LayerNorm normalizes the last axis; channels-first images are turned around in `call`.
    channels_first = False

    def module(self, node: ir.LayerNode) -> str:
        assert isinstance(node, LayerNorm)
        return f"nn.LayerNorm({node.features}, eps={py(node.eps)})"

    def comment(self, node: ir.LayerNode, channels_first: bool) -> tuple[str, ...]:
        if not channels_first:
            return ()
        return ("# nn.LayerNorm normalizes the last axis: the channels, moved there and back.",)

    def call(self, node: ir.LayerNode, x: str, channels_first: bool) -> str:
        if channels_first:
            return f"self.{node.name}({x}.movedim(1, -1)).movedim(-1, 1)"
        return f"self.{node.name}({x})"

    def load(self, weight: ir.Weight) -> str:
        return (
            f"model.{weight.layer}.{_TORCH[weight.role]}.copy_("
            f'torch.from_numpy(init["{weight.name}"]))'
        )

    def read(self, weight: ir.Weight) -> str:
        return f"model.{weight.layer}.{_TORCH[weight.role]}.detach().numpy()"

    def native_init(self, node: ir.LayerNode, role: str) -> ir.Init:
        return _INITS[role]


# torch's name for each of its weights; they are laid out as Keras lays them out.
_TORCH = {"gamma": "weight", "beta": "bias"}


class KerasLayerNorm(KerasSpelling):
    def layer(
        self, node: ir.LayerNode, activation: str | None, placeholder: bool, dtype: str
    ) -> str:
        assert isinstance(node, LayerNorm)
        options = f"axis=-1, epsilon={py(node.eps)}"
        layer = f'keras.layers.LayerNormalization({options}, name="{node.name}"),'
        return self.activated(layer, node, activation)

    def native_init(self, node: ir.LayerNode, role: str) -> ir.Init:
        return _INITS[role]


class GraphLayerNorm(GraphSpelling):
    def native(self, weight: ir.Weight, dtype: str) -> str:
        fill = "ones" if _INITS[weight.role].kind == "ones" else "zeros"
        return f"tf.{fill}({list(weight.shape)}, dtype={dtype})"

    def before(self, node: ir.LayerNode, x: str) -> tuple[str, ...]:
        n = node.name
        return (
            "# Each sample's own mean and biased variance, over its last axis: despite its name,",
            "# tf.nn.batch_normalization only applies the statistics it is given.",
            f"{n}_mean, {n}_variance = tf.nn.moments({x}, axes=[-1], keepdims=True)",
        )

    def call(self, node: ir.LayerNode, x: str) -> str:
        assert isinstance(node, LayerNorm)
        n = node.name
        return (
            f"tf.nn.batch_normalization({x}, {n}_mean, {n}_variance, {n}_beta, {n}_gamma, "
            f"{py(node.eps)})"
        )

    def native_init(self, node: ir.LayerNode, role: str) -> ir.Init:
        return _INITS[role]


_LAST = "axis=-1, keepdims=True"  # a statistic of each sample's last axis, kept to broadcast


class NumpyLayerNorm(NumpySpelling):
    def before(self, node: ir.LayerNode, x: str) -> tuple[str, ...]:
        assert isinstance(node, LayerNorm)
        n = node.name
        return (
            "# Each sample's own mean and biased variance, over its last axis.",
            f"{n}_mean = {x}.mean({_LAST})",
            f"{n}_variance = np.square({x} - {n}_mean).mean({_LAST})",
            f"{n}_scale = 1 / np.sqrt({n}_variance + {py(node.eps)})",
            f"{n}_normal = ({x} - {n}_mean) * {n}_scale",
        )

    def forward(self, node: ir.LayerNode, x: str) -> str:
        n = node.name
        return f"{n}_gamma * {n}_normal + {n}_beta"

    def backward(self, node: ir.LayerNode, x: str, grad: str, grad_x: str | None) -> list[str]:
        assert isinstance(node, LayerNorm)
        n, axes = node.name, node.axes
        axis = f"axis={axes[0] if len(axes) == 1 else axes}"  # every axis but the last
        lines = [
            f"grad_{n}_gamma = ({grad} * {n}_normal).sum({axis})",
            f"grad_{n}_beta = {grad}.sum({axis})",
        ]
        if grad_x is not None:
            lines += [
                f"grad_{n}_normal = {grad} * {n}_gamma",
                "# A sample's mean and variance depend on each of its values, too.",
                f"{grad_x} = {n}_scale * (",
                f"    grad_{n}_normal",
                f"    - grad_{n}_normal.mean({_LAST})",
                f"    - {n}_normal * (grad_{n}_normal * {n}_normal).mean({_LAST})",
                ")",
            ]
        return lines

    def native_init(self, node: ir.LayerNode, role: str) -> ir.Init:
        return _INITS[role]


class LayerNormKind(LayerKind):
    word = Word(
        "LayerNorm",
        "layer normalization of each sample over its last axis (a row's features, a pixel's "
        "channels)",
        options=(Option("eps", "number", "eps", default=EPS, low=0, low_open=True),),
        hints=(
            ("epsilon", "LayerNorm's epsilon is `eps=0.001`"),
            (
                "axis",
                "LayerNorm normalizes each sample over its last axis (a row's features, each "
                "pixel's channels), as Keras's default `axis=-1` does",
            ),
            ("momentum", "LayerNorm keeps no running statistics: it has no momentum"),
        ),
    )
    node = LayerNorm
    prefix = "ln"
    spellings = {
        "torch": TorchLayerNorm(),
        "tfgraph": GraphLayerNorm(),
        "keras": KerasLayerNorm(),
        "numpy": NumpyLayerNorm(),
    }

    def check(self, layer: LayerCheck) -> LayerNorm | None:
        stmt = layer.stmt
        if (word := stmt.size_in or stmt.number) is not None:
            layer.error(
                "LayerNorm normalizes each sample of what the layer before gives: it takes "
                "no size",
                word.span,
                "write `layer LayerNorm`",
            )
            layer.options()
            return None
        fields: dict[str, object] = dict(layer.activation())
        given = layer.options()
        sample = layer.sample
        if sample is None:
            if layer.first and not layer.inputs_failed:
                layer.error(
                    "LayerNorm normalizes what it takes, and `x` is not given yet",
                    stmt.kind.span,
                    "define `x` before the layers",
                )
            return None
        if sample[-1] == 1:
            layer.warning(
                "LayerNorm normalizes each sample's last axis, which holds one value here: "
                "it is its own mean, so the layer gives `beta` whatever it takes",
                stmt.kind.span,
                "put LayerNorm where the last axis holds several values (a row's features)",
            )
        return LayerNorm.model_construct(
            name=layer.name,
            sample=sample,
            eps=float(given.get("eps", EPS)),  # type: ignore[arg-type]
            **fields,
        )

    def weights(self, node: ir.LayerNode) -> tuple[Declared, ...]:
        assert isinstance(node, LayerNorm)
        shape = (node.features,)
        return (Declared("gamma", shape, _ONES), Declared("beta", shape, _ZEROS))

    def sample_in(self, node: ir.LayerNode) -> tuple[int, ...]:
        assert isinstance(node, LayerNorm)
        return node.sample

    def sample_out(self, node: ir.LayerNode) -> tuple[int, ...]:
        assert isinstance(node, LayerNorm)
        return node.sample


KINDS = (LayerNormKind(),)
