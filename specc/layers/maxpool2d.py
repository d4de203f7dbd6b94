"""MaxPool2D: the largest value of each window, channel by channel.

`padding=same` pads as TensorFlow does, the odd row or column at the end, and the padding
never wins (it is -inf, as every framework pads a max pool); the stride is the window's size
unless given.
"""

from __future__ import annotations

from typing import Literal

from .. import ir
from ..diagnostics import shape_text
from ..vocabulary import Option, Word
from .base import (
    PADDINGS,
    Declared,
    GraphSpelling,
    KerasSpelling,
    LayerCheck,
    LayerKind,
    NumpySpelling,
    TorchSpelling,
    Windowed,
    square,
    torch_pad,
    torch_padding,
)


class MaxPool2D(Windowed):
    """The largest value of each window over images of `sample`'s shape."""

    kind: Literal["MaxPool2D"] = "MaxPool2D"
    window: tuple[ir.PositiveInt, ir.PositiveInt]

    @property
    def size(self) -> tuple[int, int]:
        return self.window


class TorchMaxPool2D(TorchSpelling):
    channels_first = True

    def module(self, node: ir.LayerNode) -> str | None:
        assert isinstance(node, MaxPool2D)
        text = f"nn.MaxPool2d({square(node.size)}"
        if node.stride != node.size:
            text += f", stride={square(node.stride)}"
        return text + (torch_padding(node.pads, node.stride) or "") + ")"

    def call(self, node: ir.LayerNode, x: str, channels_first: bool) -> str:
        assert isinstance(node, MaxPool2D)
        if torch_padding(node.pads, node.stride) is None:  # the odd row at the end: pad first
            x = torch_pad(x, node.pads, '-float("inf")')
        return f"self.{node.name}({x})"


class KerasMaxPool2D(KerasSpelling):
    def layer(self, node: ir.LayerNode, activation: str | None, placeholder: bool) -> str:
        assert isinstance(node, MaxPool2D)
        text = f"keras.layers.MaxPooling2D({square(node.size)}"
        if node.stride != node.size:
            text += f", strides={square(node.stride)}"
        if node.padding != "valid":
            text += f', padding="{node.padding}"'
        return text + f', name="{node.name}"),'


class GraphMaxPool2D(GraphSpelling):
    def call(self, node: ir.LayerNode, x: str) -> str:
        assert isinstance(node, MaxPool2D)
        return (
            f"tf.nn.max_pool2d({x}, ksize={square(node.size)}, strides={square(node.stride)}, "
            f'padding="{node.padding.upper()}")'
        )


class NumpyMaxPool2D(NumpySpelling):
    helpers = ("numpy/windows.py.j2", "numpy/max_pool2d.py.j2")

    def forward(self, node: ir.LayerNode, x: str) -> str:
        assert isinstance(node, MaxPool2D)
        return f"max_pool2d({x}, {node.size}{node.numpy_options(node.size)})"

    def backward(self, node: ir.LayerNode, x: str, grad: str, grad_x: str | None) -> list[str]:
        assert isinstance(node, MaxPool2D)
        if grad_x is None:  # the first layer: nothing before it to train
            return []
        options = node.numpy_options(node.size)
        return [f"{grad_x} = max_pool2d_backward({x}, {node.size}, {grad}{options})"]


class MaxPool2DKind(LayerKind):
    word = Word(
        "MaxPool2D",
        "the largest value of each window: `MaxPool2D 2` for 2x2 windows, 2 apart",
        options=(
            Option("stride", "integer", "the stride", low=1, high=1024),
            Option("padding", "word", "the padding", default="valid", choices=PADDINGS),
        ),
        hints=(
            ("pool_size", "the window's size follows the layer's name: `MaxPool2D 2`"),
            ("strides", "the stride is `stride=2`"),
        ),
    )
    node = MaxPool2D
    prefix = "pool"
    activated = False
    spellings = {
        "torch": TorchMaxPool2D(),
        "tfgraph": GraphMaxPool2D(),
        "keras": KerasMaxPool2D(),
        "numpy": NumpyMaxPool2D(),
    }

    def check(self, layer: LayerCheck) -> MaxPool2D | None:
        stmt = layer.stmt
        given = layer.options()
        if stmt.size_in is not None:
            layer.error(
                "a pool keeps its channels: it takes the size of its window",
                stmt.size_in.span,
                "write `layer MaxPool2D 2`",
            )
            return None
        if stmt.number is None:
            layer.error(
                "MaxPool2D needs the size of its window",
                stmt.kind.span,
                "write `layer MaxPool2D 2` for 2x2 windows",
            )
            return None
        size = layer.size(stmt.number)
        sample = layer.sample
        if size is None or sample is None:
            if sample is None and layer.first and not layer.inputs_failed:
                layer.error(
                    "MaxPool2D takes images, and `x` is not given yet",
                    stmt.kind.span,
                    "define `x` before the layers, as images: "
                    "`data x = reshape(pixels, 8, 8, 1)`",
                )
            return None
        if len(sample) != 3:
            layer.error(
                f"MaxPool2D takes images (height, width, channels); these samples have "
                f"shape {shape_text(sample)}",
                stmt.kind.span,
                "a pool goes before Flatten",
            )
            return None
        stride = int(given.get("stride", size))  # type: ignore[call-overload]
        node = MaxPool2D.model_construct(
            name=layer.name,
            sample=sample,
            window=(size, size),
            stride=(stride, stride),
            padding=given.get("padding", "valid"),
        )
        if any(outputs < 1 for outputs, _, _ in node.windows):
            layer.error(
                f"a {size}x{size} window does not fit in {sample[0]}x{sample[1]} images",
                stmt.number.span,
                "use a smaller window, or `padding=same`",
            )
            return None
        return node

    def weights(self, node: ir.LayerNode) -> tuple[Declared, ...]:
        return ()

    def sample_in(self, node: ir.LayerNode) -> tuple[int, ...]:
        assert isinstance(node, MaxPool2D)
        return node.sample

    def sample_out(self, node: ir.LayerNode) -> tuple[int, ...]:
        assert isinstance(node, MaxPool2D)
        (rows, _, _), (columns, _, _) = node.windows
        return (rows, columns, node.sample[2])


KIND = MaxPool2DKind()
