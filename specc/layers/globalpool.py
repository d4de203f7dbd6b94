"""GlobalAvgPool1D and GlobalAvgPool2D: the mean of each channel over every step or pixel.

Each sample becomes one row of its channels' means, so no Flatten is needed after it. torch
holds the samples channels first by then, and averages over its own axes.
"""

from __future__ import annotations

import math
from typing import ClassVar, Literal

from .. import ir
from ..diagnostics import shape_text
from ..vocabulary import Word
from .base import (
    Declared,
    GraphSpelling,
    KerasSpelling,
    LayerCheck,
    LayerKind,
    NumpySpelling,
    TorchSpelling,
    make_samples,
    other_axes,
    samples,
)


class GlobalPool(ir.LayerNode):
    """The mean of each channel of samples of `sample`'s shape, channels last."""

    dims: ClassVar[int]
    sample: tuple[ir.PositiveInt, ...]


class GlobalAvgPool1D(GlobalPool):
    """The mean of each channel along signals (steps, channels)."""

    dims = 1
    kind: Literal["GlobalAvgPool1D"] = "GlobalAvgPool1D"
    sample: tuple[ir.PositiveInt, ir.PositiveInt]


class GlobalAvgPool2D(GlobalPool):
    """The mean of each channel over images (height, width, channels)."""

    dims = 2
    kind: Literal["GlobalAvgPool2D"] = "GlobalAvgPool2D"
    sample: tuple[ir.PositiveInt, ir.PositiveInt, ir.PositiveInt]


def _axes(node: GlobalPool, first: int) -> str:
    """The axes it averages over, from `first` on: `(1, 2)`."""
    axes = tuple(range(first, first + node.dims))
    return str(axes[0]) if len(axes) == 1 else str(axes)


class TorchGlobalAvgPool(TorchSpelling):
    flattens = True

    def module(self, node: ir.LayerNode) -> str | None:
        return None

    def call(self, node: ir.LayerNode, x: str, channels_first: bool) -> str:
        assert isinstance(node, GlobalPool)
        return f"{x}.mean(dim={_axes(node, 2 if channels_first else 1)})"


class KerasGlobalAvgPool(KerasSpelling):
    def layer(
        self, node: ir.LayerNode, activation: str | None, placeholder: bool, dtype: str
    ) -> str:
        assert isinstance(node, GlobalPool)
        return f'keras.layers.GlobalAveragePooling{node.dims}D(name="{node.name}"),'


class GraphGlobalAvgPool(GraphSpelling):
    def call(self, node: ir.LayerNode, x: str) -> str:
        assert isinstance(node, GlobalPool)
        axes = list(range(1, node.dims + 1))
        return f"tf.reduce_mean({x}, axis={axes[0] if len(axes) == 1 else axes})"


class NumpyGlobalAvgPool(NumpySpelling):
    def forward(self, node: ir.LayerNode, x: str) -> str:
        assert isinstance(node, GlobalPool)
        return f"{x}.mean(axis={_axes(node, 1)})"

    def backward(self, node: ir.LayerNode, x: str, grad: str, grad_x: str | None) -> list[str]:
        assert isinstance(node, GlobalPool)
        if grad_x is None:
            return []
        positions = math.prod(node.sample[:-1])
        spread = f"{grad}[:, {', '.join(['None'] * node.dims)}]"
        where = "step" if node.dims == 1 else "pixel"
        return [
            f"# Every {where} takes an equal share of its channel's gradient.",
            f"{grad_x} = np.ones_like({x}) * {spread} / {positions}",
        ]


class GlobalPoolKind(LayerKind):
    prefix = "pool"
    activated = False

    def __init__(self, node: type[GlobalPool], doc: str) -> None:
        self.node = node
        self.word = Word(node.__name__, doc)
        self.spellings = {
            "torch": TorchGlobalAvgPool(),
            "tfgraph": GraphGlobalAvgPool(),
            "keras": KerasGlobalAvgPool(),
            "numpy": NumpyGlobalAvgPool(),
        }

    def check(self, layer: LayerCheck) -> GlobalPool | None:
        stmt, name, dims = layer.stmt, self.word.name, self.node.dims
        if stmt.size_in is not None or stmt.number is not None:
            word = stmt.size_in or stmt.number
            assert word is not None
            layer.error(
                f"{name} averages each channel over its whole sample: it takes no size",
                word.span,
                f"write `layer {name}`",
            )
            return None
        layer.options()  # a misspelt option is reported
        sample = layer.sample
        if sample is None:
            if layer.first and not layer.inputs_failed:
                layer.error(
                    f"{name} takes {samples(dims)}, and `x` is not given yet",
                    stmt.kind.span,
                    f"define `x` before the layers, as {samples(dims)}: {make_samples(dims)}",
                )
            return None
        if len(sample) != dims + 1:
            layer.error(
                f"{name} takes {samples(dims, shaped=True)}; these samples have "
                f"shape {shape_text(sample)}",
                stmt.kind.span,
                other_axes(name, dims, sample)
                or "it goes after the convolutions, in place of Flatten",
            )
            return None
        return self.node.model_construct(name=layer.name, sample=sample)

    def weights(self, node: ir.LayerNode) -> tuple[Declared, ...]:
        return ()

    def sample_in(self, node: ir.LayerNode) -> tuple[int, ...]:
        assert isinstance(node, GlobalPool)
        return node.sample

    def sample_out(self, node: ir.LayerNode) -> tuple[int, ...]:
        assert isinstance(node, GlobalPool)
        return (node.sample[-1],)


KINDS = (
    GlobalPoolKind(GlobalAvgPool1D, "the mean of each channel over every step of a signal"),
    GlobalPoolKind(GlobalAvgPool2D, "the mean of each channel over every pixel of an image"),
)
