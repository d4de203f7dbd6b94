"""Conv2D: a 2-D convolution over images, outputs = activation(conv(inputs, kernel) + bias).

The kernel is (window rows, window columns, in, out) and images are (height, width, channels),
as Keras and TensorFlow hold them; torch holds both channels first, so it loads and reads the
kernel transposed. `padding=same` pads as TensorFlow does, the odd row or column at the end:
torch's own `padding` is the same on both sides, so where that differs torch pads first.
"""

from __future__ import annotations

from typing import Literal

from .. import ir
from .. import syntax as s
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

_IMAGES = "`data x = reshape(pixels, 8, 8, 1)`"


class Conv2D(Windowed):
    """Filters slid over images of `sample`'s shape (height, width, channels)."""

    kind: Literal["Conv2D"] = "Conv2D"
    filters: ir.PositiveInt  # the channels it gives
    kernel: tuple[ir.PositiveInt, ir.PositiveInt]
    kernel_init: ir.Init = ir.Init.model_construct(kind="glorot_uniform")
    bias_init: ir.Init = ir.Init.model_construct(kind="zeros")

    @property
    def size(self) -> tuple[int, int]:
        return self.kernel


class TorchConv2D(TorchSpelling):
    channels_first = True
    layout = "nn.Conv2d as (out, in, height, width)"

    def module(self, node: ir.LayerNode) -> str | None:
        assert isinstance(node, Conv2D)
        stride = node.stride
        text = f"nn.Conv2d({node.sample[2]}, {node.filters}, kernel_size={square(node.kernel)}"
        if stride != (1, 1):
            text += f", stride={square(stride)}"
        padding = torch_padding(node.pads, stride)
        if padding and stride == (1, 1):
            padding = ', padding="same"'  # as TensorFlow's, where the padding is even
        return text + (padding or "") + ")"

    def call(self, node: ir.LayerNode, x: str, channels_first: bool) -> str:
        assert isinstance(node, Conv2D)
        uneven = torch_padding(node.pads, node.stride) is None  # the odd row at the end
        return f"self.{node.name}({torch_pad(x, node.pads) if uneven else x})"

    def load(self, weight: ir.Weight) -> str:
        transpose = ".transpose(3, 2, 0, 1)" if weight.role == "kernel" else ""
        attribute = "weight" if weight.role == "kernel" else "bias"
        return (
            f"model.{weight.layer}.{attribute}.copy_("
            f'torch.from_numpy(init["{weight.name}"]{transpose}))'
        )

    def read(self, weight: ir.Weight) -> str:
        transpose = ".transpose(2, 3, 1, 0)" if weight.role == "kernel" else ""
        attribute = "weight" if weight.role == "kernel" else "bias"
        return f"model.{weight.layer}.{attribute}.detach().numpy(){transpose}"

    def native_init(self, node: ir.LayerNode, role: str) -> ir.Init:
        # nn.Conv2d, as nn.Linear: uniform in +-1/sqrt(fan_in), fan_in = in * window.
        assert isinstance(node, Conv2D)
        bound = 1 / (node.sample[2] * node.kernel[0] * node.kernel[1]) ** 0.5
        return ir.Init.model_construct(kind="uniform", args=(-bound, bound))


class KerasConv2D(KerasSpelling):
    def layer(self, node: ir.LayerNode, activation: str | None, placeholder: bool) -> str:
        assert isinstance(node, Conv2D)
        text = f"keras.layers.Conv2D({node.filters}, {square(node.kernel)}"
        if node.stride != (1, 1):
            text += f", strides={square(node.stride)}"
        if node.padding != "valid":
            text += f', padding="{node.padding}"'
        if activation:
            text += f", activation={activation}"
        if placeholder:
            text += ', kernel_initializer="zeros"'
        return text + f', name="{node.name}"),'


class GraphConv2D(GraphSpelling):
    def native(self, weight: ir.Weight, dtype: str) -> str:
        shape = list(weight.shape)
        if weight.role == "kernel":
            return f"tf.compat.v1.glorot_uniform_initializer()({shape}, dtype={dtype})"
        return f"tf.zeros({shape}, dtype={dtype})"

    def call(self, node: ir.LayerNode, x: str) -> str:
        assert isinstance(node, Conv2D)
        return (
            f"tf.nn.conv2d({x}, {node.name}_kernel, strides={square(node.stride)}, "
            f'padding="{node.padding.upper()}") + {node.name}_bias'
        )


class NumpyConv2D(NumpySpelling):
    helpers = ("numpy/windows.py.j2", "numpy/conv2d.py.j2")

    def forward(self, node: ir.LayerNode, x: str) -> str:
        assert isinstance(node, Conv2D)
        return f"conv2d({x}, {node.name}_kernel{node.numpy_options((1, 1))}) + {node.name}_bias"

    def backward(self, node: ir.LayerNode, x: str, grad: str, grad_x: str | None) -> list[str]:
        assert isinstance(node, Conv2D)
        call = f"conv2d_backward({x}, {node.name}_kernel, {grad}{node.numpy_options((1, 1))})"
        return [
            f"grad_{node.name}_kernel, {grad_x or '_'} = {call}",
            f"grad_{node.name}_bias = {grad}.sum(axis=(0, 1, 2))",
        ]


class Conv2DKind(LayerKind):
    word = Word(
        "Conv2D",
        "a 2-D convolution: `in->out` channels, a `kernel` window slid `stride` apart",
        options=(
            Option("kernel", "integer", "the window's size", low=1, high=1024),
            Option("stride", "integer", "the stride", default=1, low=1, high=1024),
            Option("padding", "word", "the padding", default="valid", choices=PADDINGS),
            Option("init", "init", "the kernel's initializer", default="glorot_uniform"),
            Option("bias", "init", "the bias's initializer", default="zeros"),
        ),
        hints=(
            ("kernel_size", "the window is `kernel=3`"),
            ("strides", "the stride is `stride=2`"),
            ("filters", "a Conv2D layer's channels are `in->out` after its name: `Conv2D 1->8`"),
        ),
    )
    node = Conv2D
    prefix = "conv"
    inits = {"init": ("kernel_init", "kernel"), "bias": ("bias_init", "bias")}
    spellings = {
        "torch": TorchConv2D(),
        "tfgraph": GraphConv2D(),
        "keras": KerasConv2D(),
        "numpy": NumpyConv2D(),
    }

    def check(self, layer: LayerCheck) -> Conv2D | None:
        stmt = layer.stmt
        filters = self._filters(layer, stmt)
        fields: dict[str, object] = dict(layer.activation())
        given = layer.options()
        sample = layer.sample
        if "kernel" not in given:
            if not any(o.key.text == "kernel" for o in stmt.options):
                layer.error(
                    "a Conv2D layer needs its window's size",
                    stmt.kind.span,
                    "give it as `kernel=3`",
                )
            return None
        if sample is None:
            if layer.first and not layer.inputs_failed:
                layer.error(
                    "Conv2D takes images, and `x` is not given yet",
                    stmt.kind.span,
                    f"define `x` before the layers, as images: {_IMAGES}",
                )
            return None
        if len(sample) != 3:
            layer.error(
                f"Conv2D takes images (height, width, channels); these samples have shape "
                f"{shape_text(sample)}",
                stmt.kind.span,
                (
                    f"make the data images with `reshape`: {_IMAGES}"
                    if len(sample) == 1 and layer.first
                    else "a Conv2D layer goes before Flatten"
                ),
            )
            return None
        if stmt.size_in is not None and (channels := layer.size(stmt.size_in)) is not None:
            if channels != sample[2]:
                layer.error(
                    f"this layer takes {channels} channel(s), but its inputs have {sample[2]}",
                    stmt.size_in.span,
                    f"write `Conv2D {sample[2]}->{filters or '...'}`",
                )
                return None
        if filters is None:
            return None
        kernel, stride = int(given["kernel"]), int(given.get("stride", 1))  # type: ignore[call-overload]
        node = Conv2D.model_construct(
            name=layer.name,
            sample=sample,
            filters=filters,
            kernel=(kernel, kernel),
            stride=(stride, stride),
            padding=given.get("padding", "valid"),
            **fields,
        )
        if any(outputs < 1 for outputs, _, _ in node.windows):
            layer.error(
                f"a {kernel}x{kernel} window does not fit in {sample[0]}x{sample[1]} images",
                next(o for o in stmt.options if o.key.text == "kernel").span,
                "use a smaller `kernel`, or `padding=same`",
            )
            return None
        inits = layer.inits({"kernel": (kernel, kernel, sample[2], filters), "bias": (filters,)})
        return node.model_copy(update=inits)

    def _filters(self, layer: LayerCheck, stmt: s.LayerStmt) -> int | None:
        if stmt.number is not None:
            return layer.size(stmt.number)
        if stmt.size_out is not None:
            return layer.size(stmt.size_out)
        layer.error(
            "a Conv2D layer needs its channels: out, or `in->out`",
            stmt.kind.span,
            "write `layer Conv2D 8 kernel=3`, or `layer Conv2D 1->8 kernel=3`",
        )
        return None

    def weights(self, node: ir.LayerNode) -> tuple[Declared, ...]:
        assert isinstance(node, Conv2D)
        kernel = (*node.kernel, node.sample[2], node.filters)
        return (
            Declared("kernel", kernel, node.kernel_init),
            Declared("bias", (node.filters,), node.bias_init),
        )

    def sample_in(self, node: ir.LayerNode) -> tuple[int, ...]:
        assert isinstance(node, Conv2D)
        return node.sample

    def sample_out(self, node: ir.LayerNode) -> tuple[int, ...]:
        assert isinstance(node, Conv2D)
        (rows, _, _), (columns, _, _) = node.windows
        return (rows, columns, node.filters)


KIND = Conv2DKind()
