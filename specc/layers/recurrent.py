"""SimpleRNN: a recurrence over sequences (steps, features), h[t] = tanh(x[t] @ kernel +
h[t - 1] @ recurrent_kernel + bias) from h = 0, giving the last step's state (or, with
`sequences=true`, every step's).

The weights are Keras's: kernel (features, units), recurrent_kernel (units, units), one bias.
torch's `nn.RNN` stores both kernels transposed and has two biases, added alike (`b_ih` and
`b_hh`): loaded with the spec's bias and zero, both would get the same gradient and their sum
would move twice as far each step, so its script keeps the second at zero, untrained.
TensorFlow's graph has no RNN cell under Keras 3 (`tf.compat.v1.nn.rnn_cell` is gone), so its
script writes the step out and runs it with `tf.scan`.
"""

from __future__ import annotations

from typing import Literal

from .. import ir
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

_SEQUENCES = "`data x, y = windows(series, 10)`, or `data x = reshape(rows, 10, 1)`"


class SimpleRNN(ir.LayerNode):
    """A tanh recurrence over sequences of `steps` steps of `units_in` features."""

    kind: Literal["SimpleRNN"] = "SimpleRNN"
    steps: ir.PositiveInt
    units_in: ir.PositiveInt
    units_out: ir.PositiveInt
    sequences: bool = False  # every step's output, not the last one's
    kernel_init: ir.Init = ir.Init.model_construct(kind="glorot_uniform")
    recurrent_init: ir.Init = ir.Init.model_construct(kind="orthogonal")
    bias_init: ir.Init = ir.Init.model_construct(kind="zeros")


# torch's attribute for each weight, and how its layout turns into the canonical one.
_TORCH = {
    "kernel": ("weight_ih_l0", ".T"),
    "recurrent_kernel": ("weight_hh_l0", ".T"),
    "bias": ("bias_ih_l0", ""),
}


class TorchRNN(TorchSpelling):
    layout = "nn.RNN stores its kernels as (out, in)"

    def module(self, node: ir.LayerNode) -> str:
        assert isinstance(node, SimpleRNN)
        return f"nn.RNN({node.units_in}, {node.units_out}, batch_first=True)"

    def setup(self, node: ir.LayerNode) -> tuple[str, ...]:
        return (
            "# One bias, as Keras's: nn.RNN adds a second alike, kept at zero and untrained.",
            f"nn.init.zeros_(self.{node.name}.bias_hh_l0).requires_grad_(False)",
        )

    def comment(self, node: ir.LayerNode, channels_first: bool) -> tuple[str, ...]:
        assert isinstance(node, SimpleRNN)
        which = "the outputs" if node.sequences else "the last step's output"
        return (f"# nn.RNN gives (every step's output, the last state): {which}.",)

    def call(self, node: ir.LayerNode, x: str, channels_first: bool) -> str:
        assert isinstance(node, SimpleRNN)
        return f"self.{node.name}({x})[0]" + ("" if node.sequences else "[:, -1]")

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
        # nn.RNN: every weight uniform in +-1/sqrt(units); its second bias is kept at zero.
        assert isinstance(node, SimpleRNN)
        bound = 1 / node.units_out**0.5
        return ir.Init.model_construct(kind="uniform", args=(-bound, bound))


class KerasRNN(KerasSpelling):
    def attribute(self, weight: ir.Weight) -> str:
        return f"cell.{weight.role}"

    def layer(self, node: ir.LayerNode, activation: str | None, placeholder: bool) -> str:
        assert isinstance(node, SimpleRNN)
        options = ", return_sequences=True" if node.sequences else ""
        if placeholder:  # Keras's own orthogonal draw would compile a QR on JAX
            options += ', kernel_initializer="zeros", recurrent_initializer="zeros"'
        layer = f'keras.layers.SimpleRNN({node.units_out}{options}, name="{node.name}"),'
        if activation is None:
            return layer
        return (
            f'{layer}\nkeras.layers.Activation({activation}, name="{node.name}_{node.activation}"),'
        )

    def native_init(self, node: ir.LayerNode, role: str) -> ir.Init:
        return _INITS[role]


_INITS = {
    "kernel": ir.Init.model_construct(kind="glorot_uniform"),
    "recurrent_kernel": ir.Init.model_construct(kind="orthogonal"),
    "bias": ir.Init.model_construct(kind="zeros"),
}


class GraphRNN(GraphSpelling):
    def native(self, weight: ir.Weight, dtype: str) -> str:
        shape = list(weight.shape)
        if weight.role == "kernel":
            return f"tf.compat.v1.glorot_uniform_initializer()({shape}, dtype={dtype})"
        if weight.role == "recurrent_kernel":
            return f"tf.compat.v1.orthogonal_initializer()({shape}, dtype={dtype})"
        return f"tf.zeros({shape}, dtype={dtype})"

    def before(self, node: ir.LayerNode, x: str) -> tuple[str, ...]:
        assert isinstance(node, SimpleRNN)
        n = node.name
        return (
            "# SimpleRNN, its step written out (no RNN cell under Keras 3), run by tf.scan",
            "# over the steps, from a zero state.",
            f"{n}_states = tf.scan(",
            "    lambda state, step: tf.tanh(",
            f"        tf.matmul(step, {n}_kernel) + tf.matmul(state, {n}_recurrent_kernel) "
            f"+ {n}_bias",
            "    ),",
            f"    tf.transpose({x}, [1, 0, 2]),  # steps first",
            f"    initializer=tf.zeros([tf.shape({x})[0], {node.units_out}], dtype={x}.dtype),",
            ")",
        )

    def call(self, node: ir.LayerNode, x: str) -> str:
        assert isinstance(node, SimpleRNN)
        if node.sequences:
            return f"tf.transpose({node.name}_states, [1, 0, 2])"
        return f"{node.name}_states[-1]"

    def native_init(self, node: ir.LayerNode, role: str) -> ir.Init:
        return _INITS[role]


class NumpyRNN(NumpySpelling):
    helpers = ("numpy/simple_rnn.py.j2",)

    def before(self, node: ir.LayerNode, x: str) -> tuple[str, ...]:
        n = node.name
        return (f"{n}_states = simple_rnn({x}, {n}_kernel, {n}_recurrent_kernel, {n}_bias)",)

    def forward(self, node: ir.LayerNode, x: str) -> str:
        assert isinstance(node, SimpleRNN)
        return f"{node.name}_states[:, 1:]" if node.sequences else f"{node.name}_states[:, -1]"

    def backward(self, node: ir.LayerNode, x: str, grad: str, grad_x: str | None) -> list[str]:
        assert isinstance(node, SimpleRNN)
        n = node.name
        lines = []
        steps = grad
        if not node.sequences:
            steps = f"grad_{n}_steps"
            lines += [
                f"{steps} = np.zeros_like({n}_states[:, 1:])  # the last step's output alone",
                f"{steps}[:, -1] = {grad}",
            ]
        call = f"simple_rnn_backward({x}, {n}_states, {n}_kernel, {n}_recurrent_kernel, {steps})"
        names = f"grad_{n}_kernel, grad_{n}_recurrent_kernel, grad_{n}_bias, {grad_x or '_'}"
        return [*lines, f"{names} = {call}"]


class SimpleRNNKind(LayerKind):
    word = Word(
        "SimpleRNN",
        "a tanh recurrence over sequences: `SimpleRNN 16->32` gives the last step's state",
        options=(
            Option("sequences", "bool", "every step's output", default=False),
            Option("init", "init", "the kernel's initializer", default="glorot_uniform"),
            Option("recurrent", "init", "the recurrent kernel's initializer", default="orthogonal"),
            Option("bias", "init", "the bias's initializer", default="zeros"),
        ),
        hints=(
            ("units", "a SimpleRNN's sizes follow its name: `layer SimpleRNN 16->32`"),
            ("return_sequences", "every step's output is `sequences=true`"),
            ("recurrent_initializer", "the recurrent kernel's initializer is `recurrent=`"),
            (
                "activation",
                "SimpleRNN's step is tanh; an activation after the sizes applies to its output",
            ),
        ),
    )
    node = SimpleRNN
    prefix = "rnn"
    inits = {
        "init": ("kernel_init", "kernel"),
        "recurrent": ("recurrent_init", "recurrent_kernel"),
        "bias": ("bias_init", "bias"),
    }
    spellings = {
        "torch": TorchRNN(),
        "tfgraph": GraphRNN(),
        "keras": KerasRNN(),
        "numpy": NumpyRNN(),
    }

    def check(self, layer: LayerCheck) -> SimpleRNN | None:
        stmt, name = layer.stmt, self.word.name
        fields: dict[str, object] = dict(layer.activation())
        units_word = stmt.number or stmt.size_out
        if units_word is None:
            layer.error(
                f"a {name} layer needs its size: its units, or features and units",
                stmt.kind.span,
                f"write `layer {name} 32`, or `layer {name} 1->32`",
            )
            layer.options()
            return None
        units = layer.size(units_word)
        sample = layer.sample
        if sample is None:
            if layer.first and not layer.inputs_failed:
                layer.error(
                    f"{name} takes sequences (steps, features), and `x` is not given yet",
                    stmt.kind.span,
                    f"define `x` before the layers, as sequences: {_SEQUENCES}",
                )
            layer.options()
            return None
        if len(sample) != 2:
            layer.error(
                f"{name} takes sequences (steps, features); these samples have shape "
                f"{shape_text(sample)}",
                stmt.kind.span,
                (
                    f"make the data sequences: {_SEQUENCES}"
                    if layer.first or len(sample) == 1
                    else "a recurrent layer takes a sequence of rows"
                ),
            )
            layer.options()
            return None
        steps, features = sample
        if stmt.size_in is not None and (given := layer.size(stmt.size_in)) is not None:
            if given != features:
                layer.error(
                    f"this layer takes {given} feature(s) per step, but its inputs have "
                    f"{features}",
                    stmt.size_in.span,
                    f"write `{name} {features}->{units or '...'}`",
                )
                layer.options()
                return None
        if units is None:
            layer.options()
            return None
        shapes = {
            "kernel": (features, units),
            "recurrent_kernel": (units, units),
            "bias": (units,),
        }
        fields |= layer.inits(shapes)
        given_options = layer.options()
        return SimpleRNN.model_construct(
            name=layer.name,
            steps=steps,
            units_in=features,
            units_out=units,
            sequences=bool(given_options.get("sequences", False)),
            **fields,
        )

    def weights(self, node: ir.LayerNode) -> tuple[Declared, ...]:
        assert isinstance(node, SimpleRNN)
        units = node.units_out
        return (
            Declared("kernel", (node.units_in, units), node.kernel_init),
            Declared("recurrent_kernel", (units, units), node.recurrent_init),
            Declared("bias", (units,), node.bias_init),
        )

    def sample_in(self, node: ir.LayerNode) -> tuple[int, ...]:
        assert isinstance(node, SimpleRNN)
        return (node.steps, node.units_in)

    def sample_out(self, node: ir.LayerNode) -> tuple[int, ...]:
        assert isinstance(node, SimpleRNN)
        return (node.steps, node.units_out) if node.sequences else (node.units_out,)


KINDS = (SimpleRNNKind(),)
