"""Conv1D and Conv2D: a convolution over signals or images, outputs = activation(conv(inputs,
kernel) + bias).

The kernel is (window..., in, out) and samples are (steps, channels) or (height, width,
channels), as Keras and TensorFlow hold them; torch holds both channels first, so it loads and
reads the kernel transposed. `padding=same` pads as TensorFlow does, the odd row or column at
the end: torch's own `padding` is the same on both sides, so where that differs torch pads
first.
"""

from __future__ import annotations

import math
from typing import ClassVar, Literal

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
    does_not_fit,
    make_samples,
    other_axes,
    samples,
    square,
    torch_pad,
    torch_padding,
)


class Conv(Windowed):
    """Filters slid over samples of `sample`'s shape, channels last."""

    dims: ClassVar[int]  # the axes it slides along: 1 for signals, 2 for images
    filters: ir.PositiveInt  # the channels it gives
    kernel: tuple[ir.PositiveInt, ...]
    dilation: tuple[ir.PositiveInt, ...]  # the kernel's taps this far apart, along each axis
    kernel_init: ir.Init = ir.Init.model_construct(kind="glorot_uniform")
    bias_init: ir.Init = ir.Init.model_construct(kind="zeros")

    @property
    def size(self) -> tuple[int, ...]:
        return self.kernel

    @property
    def extent(self) -> tuple[int, ...]:
        return tuple((k - 1) * d + 1 for k, d in zip(self.kernel, self.dilation, strict=True))

    @property
    def dilated(self) -> bool:
        return any(d > 1 for d in self.dilation)

    def numpy_options(self, stride: tuple[int, ...] | None) -> str:
        text = super().numpy_options(stride)
        if self.dilated:
            text += f", dilation={self.dilation[0] if self.dims == 1 else self.dilation}"
        return text


class Conv1D(Conv):
    """Filters slid along signals (steps, channels)."""

    dims = 1
    kind: Literal["Conv1D"] = "Conv1D"
    sample: tuple[ir.PositiveInt, ir.PositiveInt]
    kernel: tuple[ir.PositiveInt]
    stride: tuple[ir.PositiveInt] = (1,)
    dilation: tuple[ir.PositiveInt] = (1,)


class Conv2D(Conv):
    """Filters slid over images (height, width, channels)."""

    dims = 2
    kind: Literal["Conv2D"] = "Conv2D"
    sample: tuple[ir.PositiveInt, ir.PositiveInt, ir.PositiveInt]
    kernel: tuple[ir.PositiveInt, ir.PositiveInt]
    stride: tuple[ir.PositiveInt, ir.PositiveInt] = (1, 1)
    dilation: tuple[ir.PositiveInt, ir.PositiveInt] = (1, 1)


_AXES = {1: "steps", 2: "height, width"}  # torch's kernel axes after (out, in)


class TorchConv(TorchSpelling):
    channels_first = True

    def __init__(self, dims: int) -> None:
        self.dims = dims
        self.layout = f"nn.Conv{dims}d as (out, in, {_AXES[dims]})"

    def module(self, node: ir.LayerNode) -> str | None:
        assert isinstance(node, Conv)
        stride, ones = node.stride, (1,) * node.dims
        text = (
            f"nn.Conv{node.dims}d({node.sample[-1]}, {node.filters}, "
            f"kernel_size={square(node.kernel)}"
        )
        if stride != ones:
            text += f", stride={square(stride)}"
        if node.dilated:
            text += f", dilation={square(node.dilation)}"
        padding = torch_padding(node.pads, stride)
        if padding and stride == ones:
            padding = ', padding="same"'  # as TensorFlow's, where the padding is even
        return text + (padding or "") + ")"

    def call(self, node: ir.LayerNode, x: str, channels_first: bool) -> str:
        assert isinstance(node, Conv)
        uneven = torch_padding(node.pads, node.stride) is None  # the odd row at the end
        return f"self.{node.name}({torch_pad(x, node.pads) if uneven else x})"

    def load(self, weight: ir.Weight) -> str:
        # (window..., in, out) -> (out, in, window...)
        axes = (self.dims + 1, self.dims, *range(self.dims))
        transpose = f".transpose({', '.join(map(str, axes))})" if weight.role == "kernel" else ""
        attribute = "weight" if weight.role == "kernel" else "bias"
        return (
            f"model.{weight.layer}.{attribute}.copy_("
            f'torch.from_numpy(init["{weight.name}"]{transpose}))'
        )

    def read(self, weight: ir.Weight) -> str:
        # (out, in, window...) -> (window..., in, out)
        axes = (*range(2, self.dims + 2), 1, 0)
        transpose = f".transpose({', '.join(map(str, axes))})" if weight.role == "kernel" else ""
        attribute = "weight" if weight.role == "kernel" else "bias"
        return f"model.{weight.layer}.{attribute}.detach().numpy(){transpose}"

    def native_init(self, node: ir.LayerNode, role: str) -> ir.Init:
        # nn.Conv1d and nn.Conv2d, as nn.Linear: uniform in +-1/sqrt(fan_in), fan_in = in * window.
        assert isinstance(node, Conv)
        bound = 1 / (node.sample[-1] * math.prod(node.kernel)) ** 0.5
        return ir.Init.model_construct(kind="uniform", args=(-bound, bound))


class KerasConv(KerasSpelling):
    def layer(
        self, node: ir.LayerNode, activation: str | None, placeholder: bool, dtype: str
    ) -> str:
        assert isinstance(node, Conv)
        text = f"keras.layers.Conv{node.dims}D({node.filters}, {square(node.kernel)}"
        if node.stride != (1,) * node.dims:
            text += f", strides={square(node.stride)}"
        if node.dilated:
            text += f", dilation_rate={square(node.dilation)}"
        if node.padding != "valid":
            text += f', padding="{node.padding}"'
        if activation:
            text += f", activation={activation}"
        if placeholder:
            text += ', kernel_initializer="zeros"'
        return text + f', name="{node.name}"),'


class GraphConv(GraphSpelling):
    def native(self, weight: ir.Weight, dtype: str) -> str:
        shape = list(weight.shape)
        if weight.role == "kernel":
            return f"tf.compat.v1.glorot_uniform_initializer()({shape}, dtype={dtype})"
        return f"tf.zeros({shape}, dtype={dtype})"

    def before(self, node: ir.LayerNode, x: str) -> tuple[str, ...]:
        if not (isinstance(node, Conv) and node.dilated):
            return ()
        return ("# tf.nn.convolution: TensorFlow's CPU conv2d takes no dilation.",)

    def call(self, node: ir.LayerNode, x: str) -> str:
        assert isinstance(node, Conv)
        if node.dilated:  # the checker holds the stride at 1
            return (
                f"tf.nn.convolution({x}, {node.name}_kernel, "
                f'padding="{node.padding.upper()}", dilations={square(node.dilation)}) '
                f"+ {node.name}_bias"
            )
        stride = "stride" if node.dims == 1 else "strides"  # tf.nn.conv1d's is `stride`
        return (
            f"tf.nn.conv{node.dims}d({x}, {node.name}_kernel, {stride}={square(node.stride)}, "
            f'padding="{node.padding.upper()}") + {node.name}_bias'
        )


class NumpyConv(NumpySpelling):
    def __init__(self, dims: int) -> None:
        self.dims = dims
        self.helpers = ("numpy/windows.py.j2", "numpy/conv2d.py.j2")
        if dims == 1:
            self.helpers += ("numpy/conv1d.py.j2",)

    def forward(self, node: ir.LayerNode, x: str) -> str:
        assert isinstance(node, Conv)
        options = node.numpy_options((1,) * node.dims)
        return f"conv{node.dims}d({x}, {node.name}_kernel{options}) + {node.name}_bias"

    def backward(self, node: ir.LayerNode, x: str, grad: str, grad_x: str | None) -> list[str]:
        assert isinstance(node, Conv)
        options = node.numpy_options((1,) * node.dims)
        call = f"conv{node.dims}d_backward({x}, {node.name}_kernel, {grad}{options})"
        axes = tuple(range(node.dims + 1))  # the samples and every position
        return [
            f"grad_{node.name}_kernel, {grad_x or '_'} = {call}",
            f"grad_{node.name}_bias = {grad}.sum(axis={axes})",
        ]


class ConvKind(LayerKind):
    prefix = "conv"
    inits = {"init": ("kernel_init", "kernel"), "bias": ("bias_init", "bias")}

    def __init__(self, node: type[Conv], doc: str) -> None:
        name, dims = node.__name__, node.dims
        self.node = node
        self.word = Word(
            name,
            doc,
            options=(
                Option("kernel", "integer", "the window's size", low=1, high=1024),
                Option("stride", "integer", "the stride", default=1, low=1, high=1024),
                Option("dilation", "integer", "the kernel's dilation", default=1, low=1, high=1024),
                Option("padding", "word", "the padding", default="valid", choices=PADDINGS),
                Option("init", "init", "the kernel's initializer", default="glorot_uniform"),
                Option("bias", "init", "the bias's initializer", default="zeros"),
            ),
            hints=(
                ("kernel_size", "the window is `kernel=3`"),
                ("strides", "the stride is `stride=2`"),
                ("dilation_rate", "the dilation is `dilation=2`"),
                (
                    "filters",
                    f"a {name} layer's channels are `in->out` after its name: `{name} 1->8`",
                ),
            ),
        )
        self.spellings = {
            "torch": TorchConv(dims),
            "tfgraph": GraphConv(),
            "keras": KerasConv(),
            "numpy": NumpyConv(dims),
        }

    def check(self, layer: LayerCheck) -> Conv | None:
        stmt, name, dims = layer.stmt, self.word.name, self.node.dims
        filters = self._filters(layer, stmt)
        fields: dict[str, object] = dict(layer.activation())
        given = layer.options()
        sample = layer.sample
        if "kernel" not in given:
            if not any(o.key.text == "kernel" for o in stmt.options):
                layer.error(
                    f"a {name} layer needs its window's size",
                    stmt.kind.span,
                    "give it as `kernel=3`",
                )
            return None
        if sample is None:
            if layer.first and not layer.inputs_failed:
                layer.error(
                    f"{name} takes {samples(dims)}, and `x` is not given yet",
                    stmt.kind.span,
                    f"define `x` before the layers, as {samples(dims)}: " f"{make_samples(dims)}",
                )
            return None
        if len(sample) != dims + 1:
            layer.error(
                f"{name} takes {samples(dims, shaped=True)}; these samples have shape "
                f"{shape_text(sample)}",
                stmt.kind.span,
                other_axes(name, dims, sample)
                or (
                    f"make the data {samples(dims)} with `reshape`: "
                    f"{make_samples(dims, sample[0])}"
                    if layer.first
                    else f"a {name} layer goes before Flatten"
                ),
            )
            return None
        if stmt.size_in is not None and (channels := layer.size(stmt.size_in)) is not None:
            if channels != sample[-1]:
                layer.error(
                    f"this layer takes {channels} channel(s), but its inputs have {sample[-1]}",
                    stmt.size_in.span,
                    f"write `{name} {sample[-1]}->{filters or '...'}`",
                )
                return None
        if filters is None:
            return None
        kernel, stride = int(given["kernel"]), int(given.get("stride", 1))  # type: ignore[call-overload]
        dilation = int(given.get("dilation", 1))  # type: ignore[call-overload]
        if dilation > 1 and stride > 1:
            layer.error(
                "a convolution with both a stride and a dilation above 1: Keras and TensorFlow "
                "compute one or the other",
                next(o for o in stmt.options if o.key.text == "dilation").span,
                "use `stride=1` with `dilation`, or leave the dilation out",
            )
            return None
        node = self.node.model_construct(
            name=layer.name,
            sample=sample,
            filters=filters,
            kernel=(kernel,) * dims,
            stride=(stride,) * dims,
            dilation=(dilation,) * dims,
            padding=given.get("padding", "valid"),
            **fields,
        )
        if any(outputs < 1 for outputs in node.outputs):
            dilated = f" (kernel={kernel} dilated by {dilation})" if dilation > 1 else ""
            layer.error(
                does_not_fit(node.extent[0], sample) + dilated,
                next(o for o in stmt.options if o.key.text == "kernel").span,
                "use a smaller `kernel`"
                + (" or `dilation`" if dilation > 1 else "")
                + ", or `padding=same`",
            )
            return None
        kernel_shape = (*node.kernel, sample[-1], filters)
        inits = layer.inits({"kernel": kernel_shape, "bias": (filters,)})
        return node.model_copy(update=inits)

    def _filters(self, layer: LayerCheck, stmt: s.LayerStmt) -> int | None:
        if stmt.number is not None:
            return layer.size(stmt.number)
        if stmt.size_out is not None:
            return layer.size(stmt.size_out)
        name = self.word.name
        layer.error(
            f"a {name} layer needs its channels: out, or `in->out`",
            stmt.kind.span,
            f"write `layer {name} 8 kernel=3`, or `layer {name} 1->8 kernel=3`",
        )
        return None

    def weights(self, node: ir.LayerNode) -> tuple[Declared, ...]:
        assert isinstance(node, Conv)
        kernel = (*node.kernel, node.sample[-1], node.filters)
        return (
            Declared("kernel", kernel, node.kernel_init),
            Declared("bias", (node.filters,), node.bias_init),
        )

    def sample_in(self, node: ir.LayerNode) -> tuple[int, ...]:
        assert isinstance(node, Conv)
        return node.sample

    def sample_out(self, node: ir.LayerNode) -> tuple[int, ...]:
        assert isinstance(node, Conv)
        return (*node.outputs, node.filters)


KINDS = (
    ConvKind(
        Conv1D, "a 1-D convolution: `in->out` channels, a `kernel` window slid `stride` apart"
    ),
    ConvKind(
        Conv2D, "a 2-D convolution: `in->out` channels, a `kernel` window slid `stride` apart"
    ),
)
