"""MaxPool1D and MaxPool2D: the largest value of each window, channel by channel.

`padding=same` pads as TensorFlow does, the odd row or column at the end, and the padding
never wins (it is -inf, as every framework pads a max pool); the stride is the window's size
unless given.
"""

from __future__ import annotations

from typing import Literal

from .. import ir
from .base import (
    GraphSpelling,
    KerasSpelling,
    NumpySpelling,
    TorchSpelling,
    square,
    torch_pad,
    torch_padding,
)
from .pooling import Pool, PoolKind, numpy_size


class MaxPool1D(Pool):
    """The largest value of each window along signals (steps, channels)."""

    dims = 1
    kind: Literal["MaxPool1D"] = "MaxPool1D"
    sample: tuple[ir.PositiveInt, ir.PositiveInt]
    window: tuple[ir.PositiveInt]
    stride: tuple[ir.PositiveInt]


class MaxPool2D(Pool):
    """The largest value of each window over images (height, width, channels)."""

    dims = 2
    kind: Literal["MaxPool2D"] = "MaxPool2D"
    sample: tuple[ir.PositiveInt, ir.PositiveInt, ir.PositiveInt]
    window: tuple[ir.PositiveInt, ir.PositiveInt]
    stride: tuple[ir.PositiveInt, ir.PositiveInt]


class TorchMaxPool(TorchSpelling):
    channels_first = True

    def module(self, node: ir.LayerNode) -> str | None:
        assert isinstance(node, Pool)
        text = f"nn.MaxPool{node.dims}d({square(node.size)}"
        if node.stride != node.size:
            text += f", stride={square(node.stride)}"
        return text + (torch_padding(node.pads, node.stride) or "") + ")"

    def call(self, node: ir.LayerNode, x: str, channels_first: bool) -> str:
        assert isinstance(node, Pool)
        if torch_padding(node.pads, node.stride) is None:  # the odd row at the end: pad first
            x = torch_pad(x, node.pads, '-float("inf")')
        return f"self.{node.name}({x})"


class KerasMaxPool(KerasSpelling):
    def layer(
        self, node: ir.LayerNode, activation: str | None, placeholder: bool, dtype: str
    ) -> str:
        assert isinstance(node, Pool)
        text = f"keras.layers.MaxPooling{node.dims}D({square(node.size)}"
        if node.stride != node.size:
            text += f", strides={square(node.stride)}"
        if node.padding != "valid":
            text += f', padding="{node.padding}"'
        return text + f', name="{node.name}"),'


class GraphMaxPool(GraphSpelling):
    def call(self, node: ir.LayerNode, x: str) -> str:
        assert isinstance(node, Pool)
        return (
            f"tf.nn.max_pool{node.dims}d({x}, ksize={square(node.size)}, "
            f'strides={square(node.stride)}, padding="{node.padding.upper()}")'
        )


class NumpyMaxPool(NumpySpelling):
    def __init__(self, dims: int) -> None:
        self.helpers = ("numpy/windows.py.j2", "numpy/max_pool2d.py.j2")
        if dims == 1:
            self.helpers += ("numpy/max_pool1d.py.j2",)

    def forward(self, node: ir.LayerNode, x: str) -> str:
        assert isinstance(node, Pool)
        return f"max_pool{node.dims}d({x}, {numpy_size(node)}{node.numpy_options(None)})"

    def backward(self, node: ir.LayerNode, x: str, grad: str, grad_x: str | None) -> list[str]:
        assert isinstance(node, Pool)
        if grad_x is None:  # the first layer: nothing before it to train
            return []
        call = f"max_pool{node.dims}d_backward({x}, {numpy_size(node)}, {grad}"
        return [f"{grad_x} = {call}{node.numpy_options(None)})"]


def _kind(node: type[Pool], doc: str) -> PoolKind:
    spellings = {
        "torch": TorchMaxPool(),
        "tfgraph": GraphMaxPool(),
        "keras": KerasMaxPool(),
        "numpy": NumpyMaxPool(node.dims),
    }
    return PoolKind(node, doc, spellings)


KINDS = (
    _kind(
        MaxPool1D, "the largest value of each window: `MaxPool1D 2` for windows of 2 steps, 2 apart"
    ),
    _kind(MaxPool2D, "the largest value of each window: `MaxPool2D 2` for 2x2 windows, 2 apart"),
)
