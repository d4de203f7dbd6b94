"""Flatten: each sample's values in one row, in (height, width, channels) order.

That order is Keras's and TensorFlow's (channels last); torch holds images channels first, so
its Flatten turns them back first, or the Dense layer after it would meet its inputs in
another order and train other weights.
"""

from __future__ import annotations

import math
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


class Flatten(ir.LayerNode):
    """Each sample of `sample`'s shape as one row of its values."""

    kind: Literal["Flatten"] = "Flatten"
    sample: tuple[ir.PositiveInt, ...]


class TorchFlatten(TorchSpelling):
    flattens = True

    def module(self, node: ir.LayerNode) -> str | None:
        return None

    def comment(self, node: ir.LayerNode, channels_first: bool) -> tuple[str, ...]:
        if not channels_first:
            return ()
        return ("# Channels last again, to flatten in (height, width, channels) order.",)

    def call(self, node: ir.LayerNode, x: str, channels_first: bool) -> str:
        assert isinstance(node, Flatten)
        if not channels_first:
            return f"{x}.flatten(1)"
        axes = ", ".join(map(str, (0, *range(2, len(node.sample) + 1), 1)))
        return f"{x}.permute({axes}).flatten(1)"


class KerasFlatten(KerasSpelling):
    def layer(
        self, node: ir.LayerNode, activation: str | None, placeholder: bool, dtype: str
    ) -> str:
        return f'keras.layers.Flatten(name="{node.name}"),'


class GraphFlatten(GraphSpelling):
    def call(self, node: ir.LayerNode, x: str) -> str:
        assert isinstance(node, Flatten)
        return f"tf.reshape({x}, [-1, {math.prod(node.sample)}])"


class NumpyFlatten(NumpySpelling):
    def forward(self, node: ir.LayerNode, x: str) -> str:
        return f"{x}.reshape(len({x}), -1)"

    def backward(self, node: ir.LayerNode, x: str, grad: str, grad_x: str | None) -> list[str]:
        return [] if grad_x is None else [f"{grad_x} = {grad}.reshape({x}.shape)"]


class FlattenKind(LayerKind):
    word = Word("Flatten", "each sample's values in one row, in (height, width, channels) order")
    node = Flatten
    prefix = "flatten"
    activated = False
    spellings = {
        "torch": TorchFlatten(),
        "tfgraph": GraphFlatten(),
        "keras": KerasFlatten(),
        "numpy": NumpyFlatten(),
    }

    def check(self, layer: LayerCheck) -> Flatten | None:
        stmt = layer.stmt
        given = stmt.number or stmt.size_in
        if given is not None:
            layer.error("Flatten takes no sizes", given.span, "write `layer Flatten`")
        layer.options()
        sample = layer.sample
        if sample is None:
            if layer.first and not layer.inputs_failed:
                layer.error(
                    "Flatten's inputs are unknown: `x` is not given yet",
                    stmt.kind.span,
                    "define `x` before the layers, for example "
                    "`data x = reshape(pixels, 8, 8, 1)`",
                )
            return None
        if len(sample) == 1:
            layer.error(
                f"the samples are flat already: rows of {sample[0]} values",
                stmt.kind.span,
                "remove this layer: Flatten is for images and sequences",
            )
            return None
        return Flatten.model_construct(name=layer.name, sample=sample)

    def weights(self, node: ir.LayerNode) -> tuple[Declared, ...]:
        return ()

    def sample_in(self, node: ir.LayerNode) -> tuple[int, ...]:
        assert isinstance(node, Flatten)
        return node.sample

    def sample_out(self, node: ir.LayerNode) -> tuple[int, ...]:
        assert isinstance(node, Flatten)
        return (math.prod(node.sample),)


KINDS = (FlattenKind(),)
