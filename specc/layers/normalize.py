"""Normalize: each input feature as (x - mean) / std, by the training rows' statistics.

The first layer. Over the last axis of `x` (a row's features, each pixel's channels), each
feature's mean and *biased* standard deviation over every other axis of the training rows
(those a `split` leaves), computed once before training from the script's own `x` and fixed:
no update moves them, and the held-out rows, the trained model's loss and `predict` go
through the same ones. What the spec means is Keras's `Normalization` adapted to `x`: its
`adapt` takes a NumPy array's `np.mean` and `np.var` in the array's dtype, and every other
target computes them with the same NumPy calls, so all hold the same numbers. A constant
feature's std is 0: Keras divides by `maximum(sqrt(variance), epsilon())`, epsilon 1e-7,
and so does every target. torch has no such layer: its script defines one, the statistics
buffers; TensorFlow's graph and the NumPy reference hold them as constants. They are not
weights: nothing draws, trains or prints them.
"""

from __future__ import annotations

from typing import Literal

from .. import ir
from ..vocabulary import Word
from .base import (
    Declared,
    GraphSpelling,
    KerasSpelling,
    LayerCheck,
    LayerKind,
    NumpySpelling,
    TorchSpelling,
)

FLOOR = 1e-7  # Keras's epsilon(): the least std a feature is divided by

_STATISTICS = (
    "each feature's mean and std are the training rows', computed before training as "
    "Keras's `adapt(x)` computes them"
)


class Normalize(ir.LayerNode):
    """Each feature (the last axis) of samples of `sample`'s shape, normalized by the
    training rows' mean and standard deviation."""

    kind: Literal["Normalize"] = "Normalize"
    sample: tuple[ir.PositiveInt, ...]

    @property
    def features(self) -> int:
        return self.sample[-1]

    @property
    def axis(self) -> str:
        """`axis=0`, or `axis=(0, 1, 2)` over images: NumPy's axes for the statistics,
        every axis of the training rows but the features."""
        axes = tuple(range(len(self.sample)))
        return f"axis={axes[0] if len(axes) == 1 else axes}"


def _statistics(node: Normalize, x: str, constant: str = "") -> tuple[str, ...]:
    """The lines naming the statistics of the NumPy rows `x`, each wrapped in `constant`
    (a framework's constant of an array) where one is given."""
    n, axis = node.name, node.axis
    mean = f"{x}.mean({axis})"
    std = f"np.maximum(np.sqrt({x}.var({axis})), {FLOOR!r})"
    if constant:
        mean, std = f"{constant}({mean})", f"{constant}({std})"
    return (
        "# Normalize's statistics, fixed: each feature's mean and biased standard deviation",
        "# over the training rows, as Keras's adapt computes them; a constant feature's std",
        "# is Keras's floor, 1e-7.",
        f"{n}_mean = {mean}",
        f"{n}_std = {std}",
    )


class TorchNormalize(TorchSpelling):
    def module(self, node: ir.LayerNode) -> str:
        assert isinstance(node, Normalize)
        return f"Normalize({node.features})"

    def definitions(self, node: ir.LayerNode) -> tuple[str, ...]:
        return (
            "class Normalize(nn.Module):\n"
            '    """Keras\'s Normalization, which torch lacks: each feature (the last axis) as\n'
            "    (x - mean) / std, by statistics that adapt fixes: buffers, which no update "
            'moves."""\n'
            "\n"
            "    def __init__(self, features):\n"
            "        super().__init__()\n"
            '        self.register_buffer("mean", torch.zeros(features))\n'
            '        self.register_buffer("std", torch.ones(features))\n'
            "\n"
            "    def adapt(self, x):\n"
            '        """Each feature\'s mean and biased standard deviation over the NumPy rows\n'
            "        x, with the NumPy calls Keras's adapt makes; a constant feature's std is\n"
            '        Keras\'s floor, 1e-7."""\n'
            "        axes = tuple(range(x.ndim - 1))  # every axis but the features\n"
            "        self.mean.copy_(torch.from_numpy(x.mean(axis=axes)))\n"
            f"        std = np.maximum(np.sqrt(x.var(axis=axes)), {FLOOR!r})\n"
            "        self.std.copy_(torch.from_numpy(std))\n"
            "\n"
            "    def forward(self, x):\n"
            "        return (x - self.mean) / self.std",
        )

    def call(self, node: ir.LayerNode, x: str, channels_first: bool) -> str:
        return f"self.{node.name}({x})"

    def adapt(self, node: ir.LayerNode, x: str) -> tuple[str, ...]:
        return (
            "# Normalize's statistics, the training rows', fixed before training.",
            f"model.{node.name}.adapt({x})",
        )


class KerasNormalize(KerasSpelling):
    def layer(
        self, node: ir.LayerNode, activation: str | None, placeholder: bool, dtype: str
    ) -> str:
        return f'keras.layers.Normalization(axis=-1, name="{node.name}"),'

    def adapt(self, node: ir.LayerNode, x: str) -> tuple[str, ...]:
        return (
            "# Normalize's statistics, fixed before training: adapt takes NumPy's mean and",
            "# variance of the training rows, and the layer divides by max(std, 1e-7).",
            f'model.get_layer("{node.name}").adapt({x})',
        )


class GraphNormalize(GraphSpelling):
    def adapt(self, node: ir.LayerNode, x: str) -> tuple[str, ...]:
        assert isinstance(node, Normalize)
        return _statistics(node, x, "tf.constant")

    def call(self, node: ir.LayerNode, x: str) -> str:
        return f"({x} - {node.name}_mean) / {node.name}_std"


class NumpyNormalize(NumpySpelling):
    def adapt(self, node: ir.LayerNode, x: str) -> tuple[str, ...]:
        assert isinstance(node, Normalize)
        return _statistics(node, x)

    def forward(self, node: ir.LayerNode, x: str) -> str:
        return f"({x} - {node.name}_mean) / {node.name}_std"

    def backward(self, node: ir.LayerNode, x: str, grad: str, grad_x: str | None) -> list[str]:
        assert grad_x is None  # the first layer: the data have no gradient
        return []  # and nothing of it is trained


class NormalizeKind(LayerKind):
    word = Word(
        "Normalize",
        "the first layer: each input feature as (x - mean) / std, both the training rows'",
        hints=(
            (
                "axis",
                "Normalize normalizes each feature, the last axis of `x`, over every other "
                "axis, as Keras's default `axis=-1` does",
            ),
            ("mean", f"Normalize takes no `mean`: {_STATISTICS}"),
            ("variance", f"Normalize takes no `variance`: {_STATISTICS}"),
            ("epsilon", "Normalize divides by max(std, 1e-7), Keras's floor: it takes no eps"),
            ("eps", "Normalize divides by max(std, 1e-7), Keras's floor: it takes no eps"),
        ),
    )
    aliases = (
        (
            "Normalization",
            "Keras's `Normalization` is `layer Normalize`, the first layer: its statistics "
            "are the training rows'",
        ),
    )
    node = Normalize
    prefix = "norm"
    activated = False
    spellings = {
        "torch": TorchNormalize(),
        "tfgraph": GraphNormalize(),
        "keras": KerasNormalize(),
        "numpy": NumpyNormalize(),
    }

    def check(self, layer: LayerCheck) -> Normalize | None:
        stmt = layer.stmt
        layer.options()  # it takes none: each given is an error
        if (word := stmt.size_in or stmt.number) is not None:
            layer.error(
                "Normalize normalizes each feature of `x`: it takes no size",
                word.span,
                "write `layer Normalize`",
            )
            return None
        if not layer.first:
            layer.error(
                "Normalize is the first layer: its statistics are the training rows' inputs",
                stmt.kind.span,
                "put it first, over `x`; inside the model, `LayerNorm` or `BatchNorm` "
                "normalize what a layer gives",
            )
            return None
        sample = layer.sample
        if sample is None:
            if not layer.inputs_failed:
                layer.error(
                    "Normalize normalizes the features of `x`, and `x` is not given yet",
                    stmt.kind.span,
                    "define `x` before the layers",
                )
            return None
        return Normalize.model_construct(name=layer.name, sample=sample)

    def weights(self, node: ir.LayerNode) -> tuple[Declared, ...]:
        return ()  # its statistics come from the data, not from a draw or an update

    def sample_in(self, node: ir.LayerNode) -> tuple[int, ...]:
        assert isinstance(node, Normalize)
        return node.sample

    def sample_out(self, node: ir.LayerNode) -> tuple[int, ...]:
        assert isinstance(node, Normalize)
        return node.sample


KINDS = (NormalizeKind(),)
