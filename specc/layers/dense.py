"""Dense: a fully connected layer, outputs = activation(inputs @ kernel + bias).

The kernel is (inputs, outputs), as Keras and TensorFlow store it; torch's `nn.Linear` stores
it transposed, so torch loads and reads it through `.T`.
"""

from __future__ import annotations

from typing import Literal

from .. import ir
from .. import syntax as s
from ..diagnostics import shape_text
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

# Where torch and Keras give a layer's sizes and activation as keywords, a spec writes them
# after the layer's name.
_FRAMEWORK_SIZES = ("units", "in_features", "out_features", "input_dim", "activation")
_SIZES = (
    "a Dense layer's sizes are `inputs->outputs` after its name, and its activation follows "
    "them: `layer Dense 16->32 relu`"
)


class Dense(ir.LayerNode):
    """A fully connected layer: outputs = activation(inputs @ kernel + bias)."""

    kind: Literal["Dense"] = "Dense"
    units_in: ir.PositiveInt
    units_out: ir.PositiveInt
    kernel_init: ir.Init = ir.Init.model_construct(kind="glorot_uniform")
    bias_init: ir.Init = ir.Init.model_construct(kind="zeros")


class TorchDense(TorchSpelling):
    layout = "nn.Linear stores its kernel as (out, in)"

    def module(self, node: ir.LayerNode) -> str:
        assert isinstance(node, Dense)
        return f"nn.Linear({node.units_in}, {node.units_out})"

    def call(self, node: ir.LayerNode, x: str, channels_first: bool) -> str:
        return f"self.{node.name}({x})"

    def load(self, weight: ir.Weight) -> str:
        attribute, transpose = _TORCH[weight.role]
        return (
            f"model.{weight.layer}.{attribute}.copy_("
            f'torch.from_numpy(init["{weight.name}"]{transpose}))'
        )

    def read(self, weight: ir.Weight) -> str:
        attribute, transpose = _TORCH[weight.role]
        return f"model.{weight.layer}.{attribute}.detach().numpy(){transpose}"

    def native_init(self, node: ir.LayerNode, role: str) -> ir.Init:
        # nn.Linear: kaiming_uniform_(a=sqrt(5)) for the weight, uniform in +-1/sqrt(fan_in),
        # and the bias uniform in the same bounds.
        assert isinstance(node, Dense)
        bound = 1 / node.units_in**0.5
        return ir.Init.model_construct(kind="uniform", args=(-bound, bound))


# nn.Linear's attribute for each weight, and how its layout turns into the canonical one.
_TORCH = {"kernel": ("weight", ".T"), "bias": ("bias", "")}


class KerasDense(KerasSpelling):
    def layer(
        self, node: ir.LayerNode, activation: str | None, placeholder: bool, dtype: str
    ) -> str:
        assert isinstance(node, Dense)
        argument = f", activation={activation}" if activation else ""
        if placeholder:
            argument += ', kernel_initializer="zeros"'
        return f'keras.layers.Dense({node.units_out}{argument}, name="{node.name}"),'


class GraphDense(GraphSpelling):
    def native(self, weight: ir.Weight, dtype: str) -> str:
        shape = list(weight.shape)
        if weight.role == "kernel":
            return f"tf.compat.v1.glorot_uniform_initializer()({shape}, dtype={dtype})"
        return f"tf.zeros({shape}, dtype={dtype})"

    def call(self, node: ir.LayerNode, x: str) -> str:
        return f"tf.matmul({x}, {node.name}_kernel) + {node.name}_bias"


class NumpyDense(NumpySpelling):
    def forward(self, node: ir.LayerNode, x: str) -> str:
        return f"{x} @ {node.name}_kernel + {node.name}_bias"

    def backward(self, node: ir.LayerNode, x: str, grad: str, grad_x: str | None) -> list[str]:
        lines = [
            f"grad_{node.name}_kernel = {x}.T @ {grad}",
            f"grad_{node.name}_bias = {grad}.sum(axis=0)",
        ]
        if grad_x is not None:
            lines.append(f"{grad_x} = {grad} @ {node.name}_kernel.T")
        return lines


class DenseKind(LayerKind):
    word = Word(
        "Dense",
        "a fully connected layer: activation(inputs @ kernel + bias)",
        options=(
            Option("init", "init", "the kernel's initializer", default="glorot_uniform"),
            Option("bias", "init", "the bias's initializer", default="zeros"),
        ),
        hints=tuple((name, _SIZES) for name in _FRAMEWORK_SIZES),
    )
    node = Dense
    prefix = "fc"
    inits = {"init": ("kernel_init", "kernel"), "bias": ("bias_init", "bias")}
    spellings = {
        "torch": TorchDense(),
        "tfgraph": GraphDense(),
        "keras": KerasDense(),
        "numpy": NumpyDense(),
    }

    def check(self, layer: LayerCheck) -> Dense | None:
        stmt = layer.stmt
        if stmt.number is not None:  # `Dense 10`: its inputs are what the layer before gives
            return self._inputs_left_out(layer, stmt.number)
        if stmt.size_in is None or stmt.size_out is None:
            layer.error(
                "a Dense layer needs its size: its outputs, or inputs and outputs",
                stmt.kind.span,
                "write `layer Dense 10`, or `layer Dense 64->10`",
            )
            layer.options()
            return None
        size_in, size_out = layer.size(stmt.size_in), layer.size(stmt.size_out)
        fields: dict[str, object] = dict(layer.activation())
        sample = layer.sample
        if not layer.first and sample is not None and size_in is not None:
            if len(sample) > 1:
                self._flat(layer, sample)
            elif sample != (size_in,):
                layer.error(
                    f"this layer takes {size_in} inputs, but the layer before it gives "
                    f"{sample[0]}",
                    stmt.size_in.span,
                    f"write `Dense {sample[0]}->{size_out or '...'}`",
                )
        if size_in is None or size_out is None:  # the options are still checked, not the inits
            layer.options()
            return None
        return self._node(layer, size_in, size_out, fields)

    def _inputs_left_out(self, layer: LayerCheck, number: s.Number) -> Dense | None:
        size_out = layer.size(number)
        fields: dict[str, object] = dict(layer.activation())
        sample = layer.sample
        if sample is None:
            if layer.first and not layer.inputs_failed:
                layer.error(
                    "the first layer's inputs are unknown: `x` is not given yet",
                    number.span,
                    f"give its inputs too, as in `Dense 1->{size_out or 10}`, or define `x` "
                    "before the layers",
                )
            layer.options()
            return None  # a layer before it failed: its error is reported
        if len(sample) > 1:
            self._flat(layer, sample)
            layer.options()
            return None
        if size_out is None:
            layer.options()
            return None
        return self._node(layer, sample[0], size_out, fields)

    def _flat(self, layer: LayerCheck, sample: tuple[int, ...]) -> None:
        before = layer.before
        help = "put `layer Flatten` before it"
        if getattr(before, "sequences", False):  # a recurrent layer's every step
            help = (
                f"`{before.kind}` gives every step's output (`sequences=true`): leave that out "
                "for its last step's, or put `layer Flatten` before this layer"
            )
        layer.error(
            f"a Dense layer takes a row of numbers per sample, and these have shape "
            f"{shape_text(sample)}",
            layer.stmt.kind.span,
            help,
        )

    def _node(
        self, layer: LayerCheck, size_in: int, size_out: int, fields: dict[str, object]
    ) -> Dense:
        fields |= layer.inits({"kernel": (size_in, size_out), "bias": (size_out,)})
        return Dense.model_construct(
            name=layer.name, units_in=size_in, units_out=size_out, **fields
        )

    def weights(self, node: ir.LayerNode) -> tuple[Declared, ...]:
        assert isinstance(node, Dense)
        return (
            Declared("kernel", (node.units_in, node.units_out), node.kernel_init),
            Declared("bias", (node.units_out,), node.bias_init),
        )

    def sample_in(self, node: ir.LayerNode) -> tuple[int, ...]:
        assert isinstance(node, Dense)
        return (node.units_in,)

    def sample_out(self, node: ir.LayerNode) -> tuple[int, ...]:
        assert isinstance(node, Dense)
        return (node.units_out,)


KINDS = (DenseKind(),)
