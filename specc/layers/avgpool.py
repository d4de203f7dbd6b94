"""AvgPool1D and AvgPool2D: the mean of each window, channel by channel.

`padding=same` pads as TensorFlow does, the odd row or column at the end, and averages over
each window's real inputs only (TensorFlow's and Keras's `same`; torch's
`count_include_pad=False`). Where that padding is uneven, torch pads with F.pad, which its
pool would count, so it divides by the share of each window that is real. Keras 3.15's torch
backend pads uneven `same` windows by repeating the edge (keras PR #23233, after 3.15): where
that changes a mean, a located warning says so, and its runs of such a spec compute other
numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

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

if TYPE_CHECKING:
    from ..backends.base import Unsupported


class AvgPool1D(Pool):
    """The mean of each window along signals (steps, channels)."""

    dims = 1
    kind: Literal["AvgPool1D"] = "AvgPool1D"
    sample: tuple[ir.PositiveInt, ir.PositiveInt]
    window: tuple[ir.PositiveInt]
    stride: tuple[ir.PositiveInt]


class AvgPool2D(Pool):
    """The mean of each window over images (height, width, channels)."""

    dims = 2
    kind: Literal["AvgPool2D"] = "AvgPool2D"
    sample: tuple[ir.PositiveInt, ir.PositiveInt, ir.PositiveInt]
    window: tuple[ir.PositiveInt, ir.PositiveInt]
    stride: tuple[ir.PositiveInt, ir.PositiveInt]


def _uneven(node: Pool) -> bool:
    """`same` padding with the odd row or column at the end, which no torch pool takes."""
    return torch_padding(node.pads, node.stride) is None


def _repeating_the_edge_counts(node: Pool) -> bool:
    """Whether a window that takes copies of the edge for its padding averages otherwise than
    over its real inputs: it does where it holds more than one real input along an axis it
    pads (Keras's torch backend pads every axis so once one is uneven)."""
    for (outputs, before, _), length, size, stride in zip(
        node.windows, node.sample[:-1], node.size, node.stride, strict=True
    ):
        for i in range(outputs):
            start = i * stride - before
            real = min(start + size, length) - max(start, 0)  # of the window's `size`
            if 1 < real < size:
                return True
    return False


class TorchAvgPool(TorchSpelling):
    channels_first = True

    def module(self, node: ir.LayerNode) -> str | None:
        assert isinstance(node, Pool)
        text = f"nn.AvgPool{node.dims}d({square(node.size)}"
        if node.stride != node.size:
            text += f", stride={square(node.stride)}"
        padding = torch_padding(node.pads, node.stride)
        if padding:  # the padding on both sides, not counted
            text += f"{padding}, count_include_pad=False"
        return text + ")"

    def comment(self, node: ir.LayerNode, channels_first: bool) -> tuple[str, ...]:
        assert isinstance(node, Pool)
        if not _uneven(node):
            return ()
        return (
            "# `same` padding's odd row at the end comes from F.pad, and the pool counts it:",
            "# divided by the share of each window that is real, it averages those only.",
        )

    def call(self, node: ir.LayerNode, x: str, channels_first: bool) -> str:
        assert isinstance(node, Pool)
        if not _uneven(node):
            return f"self.{node.name}({x})"
        real = torch_pad(f"torch.ones_like({x}[:1, :1])", node.pads)
        return f"self.{node.name}({torch_pad(x, node.pads)}) / self.{node.name}({real})"


class KerasAvgPool(KerasSpelling):
    def layer(
        self, node: ir.LayerNode, activation: str | None, placeholder: bool, dtype: str
    ) -> str:
        assert isinstance(node, Pool)
        text = f"keras.layers.AveragePooling{node.dims}D({square(node.size)}"
        if node.stride != node.size:
            text += f", strides={square(node.stride)}"
        if node.padding != "valid":
            text += f', padding="{node.padding}"'
        return text + f', name="{node.name}"),'

    def caveat(self, node: ir.LayerNode) -> Unsupported | None:
        assert isinstance(node, Pool)
        if not _uneven(node) or not _repeating_the_edge_counts(node):
            return None
        from ..backends.base import Unsupported  # the backends build on the layers

        return Unsupported(
            "layer",
            "on its torch backend, Keras 3.15 pads this layer's uneven `same` windows by "
            "repeating the edge (fixed after 3.15), so runs there compute other numbers",
            "on Keras's torch backend, pick a window and stride whose `same` padding is even",
            node.name,
        )


class GraphAvgPool(GraphSpelling):
    def call(self, node: ir.LayerNode, x: str) -> str:
        assert isinstance(node, Pool)
        return (
            f"tf.nn.avg_pool{node.dims}d({x}, ksize={square(node.size)}, "
            f'strides={square(node.stride)}, padding="{node.padding.upper()}")'
        )


class NumpyAvgPool(NumpySpelling):
    def __init__(self, dims: int) -> None:
        self.helpers = ("numpy/windows.py.j2", "numpy/avg_pool2d.py.j2")
        if dims == 1:
            self.helpers += ("numpy/avg_pool1d.py.j2",)

    def forward(self, node: ir.LayerNode, x: str) -> str:
        assert isinstance(node, Pool)
        return f"avg_pool{node.dims}d({x}, {numpy_size(node)}{node.numpy_options(None)})"

    def backward(self, node: ir.LayerNode, x: str, grad: str, grad_x: str | None) -> list[str]:
        assert isinstance(node, Pool)
        if grad_x is None:  # the first layer: nothing before it to train
            return []
        call = f"avg_pool{node.dims}d_backward({x}, {numpy_size(node)}, {grad}"
        return [f"{grad_x} = {call}{node.numpy_options(None)})"]


def _kind(node: type[Pool], doc: str) -> PoolKind:
    spellings = {
        "torch": TorchAvgPool(),
        "tfgraph": GraphAvgPool(),
        "keras": KerasAvgPool(),
        "numpy": NumpyAvgPool(node.dims),
    }
    return PoolKind(node, doc, spellings)


KINDS = (
    _kind(AvgPool1D, "the mean of each window: `AvgPool1D 2` for windows of 2 steps, 2 apart"),
    _kind(AvgPool2D, "the mean of each window: `AvgPool2D 2` for 2x2 windows, 2 apart"),
)
