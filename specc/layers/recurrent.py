"""SimpleRNN and LSTM: recurrences over sequences (steps, features) from zero states, giving
the last step's output (or, with `sequences=true`, every step's).

SimpleRNN: h[t] = tanh(x[t] @ kernel + h[t - 1] @ recurrent_kernel + bias). LSTM: the same sum,
4 units wide, split into Keras's gates in Keras's order (input, forget, cell, output), then
c[t] = sigmoid(f) * c[t - 1] + sigmoid(i) * tanh(g) and h[t] = sigmoid(o) * tanh(c[t]).

The weights are Keras's: kernel (features, gates x units), recurrent_kernel (units, gates x
units), one bias. torch's `nn.RNN` and `nn.LSTM` store both kernels transposed (in the same gate
order, torch's i, f, g, o) and have two biases, added alike (`b_ih` and `b_hh`): loaded with the
spec's bias and zero, both would get the same gradient and their sum would move twice as far
each step, so their scripts keep the second at zero, untrained. TensorFlow's graph has no RNN
cell under Keras 3 (`tf.compat.v1.nn.rnn_cell` is gone), so its script writes the step out and
runs it with `tf.scan`.

GRU: Keras's gates in Keras's order (update z, reset r, candidate), the reset applied after the
recurrent matmul (Keras's `reset_after=True`, the only form torch's `nn.GRU` computes):
c[t] = tanh(x[t] @ kernel_c + bias[0]_c + r * (h[t - 1] @ recurrent_kernel_c + bias[1]_c)) and
h[t] = z * h[t - 1] + (1 - z) * c[t]. Its two biases are both Keras's and both torch's (`b_ih`,
`b_hh`), both trained in every target: the reset makes the candidate's two differ. torch orders
its gates reset, update, new: its script swaps the first two blocks at load and read time.
"""

from __future__ import annotations

from typing import ClassVar, Literal

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


def _a(name: str) -> str:
    """The article before a kind's name, as it is said: an LSTM, a SimpleRNN, a GRU."""
    return "an" if name == "LSTM" else "a"


class Recurrent(ir.LayerNode):
    """A recurrence over sequences of `steps` steps of `units_in` features."""

    gates: ClassVar[int]  # the blocks of `units_out` its kernels' columns hold
    biases: ClassVar[int] = 1  # a GRU's two: the inputs' and the recurrent one
    steps: ir.PositiveInt
    units_in: ir.PositiveInt
    units_out: ir.PositiveInt
    sequences: bool = False  # every step's output, not the last one's
    kernel_init: ir.Init = ir.Init.model_construct(kind="glorot_uniform")
    recurrent_init: ir.Init = ir.Init.model_construct(kind="orthogonal")
    bias_init: ir.Init = ir.Init.model_construct(kind="zeros")

    @classmethod
    def bias_shape(cls, width: int) -> tuple[int, ...]:
        """Its bias's shape, for kernels `width` columns wide: Keras's, a GRU's two rows."""
        return (width,) if cls.biases == 1 else (cls.biases, width)


class SimpleRNN(Recurrent):
    """A tanh recurrence: h[t] = tanh(x[t] @ kernel + h[t - 1] @ recurrent_kernel + bias)."""

    gates = 1
    kind: Literal["SimpleRNN"] = "SimpleRNN"


class LSTM(Recurrent):
    """A long short-term memory: Keras's four gates, in Keras's order (i, f, c, o)."""

    gates = 4
    kind: Literal["LSTM"] = "LSTM"


class GRU(Recurrent):
    """A gated recurrent unit: Keras's gates in Keras's order (z, r, candidate), the reset
    after the recurrent matmul, two biases (inputs' and recurrent, Keras's (2, 3 x units))."""

    gates = 3
    biases = 2
    kind: Literal["GRU"] = "GRU"


# torch's attribute for each weight, and how its layout turns into the canonical one.
_TORCH = {
    "kernel": ("weight_ih_l0", ".T"),
    "recurrent_kernel": ("weight_hh_l0", ".T"),
    "bias": ("bias_ih_l0", ""),
}
_TORCH_CLASS = {"SimpleRNN": "RNN", "LSTM": "LSTM", "GRU": "GRU"}

# torch's GRU orders its gates (reset, update, new), Keras's (update, reset, candidate).
_SWAP_GATES = '''\
def swap_gates(weight):
    """A GRU weight's gates, side by side along its last axis, in the other framework's
    order: Keras's (update, reset, candidate) as torch's (reset, update, new), and back.
    """
    update, reset, candidate = np.split(weight, 3, axis=-1)
    return np.concatenate([reset, update, candidate], axis=-1)'''


class TorchRecurrent(TorchSpelling):
    def __init__(self, kind: str) -> None:
        self.cls = f"nn.{_TORCH_CLASS[kind]}"
        self.layout = f"{self.cls} stores its kernels as (out, in)"
        if kind == "GRU":
            self.layout += ", its gates as (reset, update, new)"
        self.swapped = kind == "GRU"  # its gates in another order than Keras's

    def module(self, node: ir.LayerNode) -> str:
        assert isinstance(node, Recurrent)
        return f"{self.cls}({node.units_in}, {node.units_out}, batch_first=True)"

    def definitions(self, node: ir.LayerNode) -> tuple[str, ...]:
        return (_SWAP_GATES,) if self.swapped else ()

    def setup(self, node: ir.LayerNode) -> tuple[str, ...]:
        if self.swapped:  # two biases, as Keras's GRU has
            return ()
        return (
            f"# One bias, as Keras's: {self.cls} adds a second alike, kept at zero and untrained.",
            f"nn.init.zeros_(self.{node.name}.bias_hh_l0).requires_grad_(False)",
        )

    def comment(self, node: ir.LayerNode, channels_first: bool) -> tuple[str, ...]:
        assert isinstance(node, Recurrent)
        which = "the outputs" if node.sequences else "the last step's output"
        last = "its last states" if isinstance(node, LSTM) else "the last state"
        return (f"# {self.cls} gives (every step's output, {last}): {which}.",)

    def call(self, node: ir.LayerNode, x: str, channels_first: bool) -> str:
        assert isinstance(node, Recurrent)
        return f"self.{node.name}({x})[0]" + ("" if node.sequences else "[:, -1]")

    def _ordered(self, value: str) -> str:
        """A weight's value with its gates in the other framework's order, where they differ."""
        return f"swap_gates({value})" if self.swapped else value

    def loads(self, weight: ir.Weight) -> tuple[str, ...]:
        attribute, transpose = _TORCH[weight.role]
        model, value = f"model.{weight.layer}", f'init["{weight.name}"]'
        if weight.role == "bias" and self.swapped:  # the inputs' bias, then the recurrent one
            return tuple(
                f"{model}.bias_{which}_l0.copy_(torch.from_numpy({self._ordered(f'{value}[{i}]')}))"
                for i, which in enumerate(("ih", "hh"))
            )
        return (f"{model}.{attribute}.copy_(torch.from_numpy({self._ordered(value)}{transpose}))",)

    def read(self, weight: ir.Weight) -> str:
        attribute, transpose = _TORCH[weight.role]
        model = f"model.{weight.layer}"
        if weight.role == "bias" and self.swapped:
            biases = f"torch.stack([{model}.bias_ih_l0, {model}.bias_hh_l0])"
            return self._ordered(f"{biases}.detach().numpy()")
        return self._ordered(f"{model}.{attribute}.detach().numpy(){transpose}")

    def native_init(self, node: ir.LayerNode, role: str) -> ir.Init:
        # nn.RNN, nn.LSTM and nn.GRU: every weight uniform in +-1/sqrt(units), both biases.
        assert isinstance(node, Recurrent)
        bound = 1 / node.units_out**0.5
        return ir.Init.model_construct(kind="uniform", args=(-bound, bound))


# Keras 3.15's JAX backend computes tanh in float32 whatever its input's dtype (its ops round
# 64-bit result types to 32 bits, as JAX does without x64): a float64 SimpleRNN's scan then
# stops, its state's dtype changed by a step. LSTM and GRU multiply the tanh by a float64 gate,
# which promotes it back (to float32 precision, as the float64 warning says).
_TANH_IN_DTYPE = '''\
def tanh_in_dtype(x):
    """tanh in x's own dtype: on JAX, Keras 3.15 gives float32 for float64 inputs, which
    SimpleRNN's scan refuses (its state would change dtype)."""
    return keras.ops.cast(keras.ops.tanh(x), x.dtype)'''


class KerasRecurrent(KerasSpelling):
    def attribute(self, weight: ir.Weight) -> str:
        return f"cell.{weight.role}"

    def definitions(self, node: ir.LayerNode, dtype: str) -> tuple[str, ...]:
        return (_TANH_IN_DTYPE,) if isinstance(node, SimpleRNN) and dtype == "float64" else ()

    def layer(
        self, node: ir.LayerNode, activation: str | None, placeholder: bool, dtype: str
    ) -> str:
        assert isinstance(node, Recurrent)
        options = ", return_sequences=True" if node.sequences else ""
        if self.definitions(node, dtype):
            options += ", activation=tanh_in_dtype"
        if isinstance(node, GRU):
            options += ", reset_after=True"  # Keras's default and torch's GRU, said aloud
        if isinstance(node, LSTM) and node.bias_init.kind == "native":
            options += ", unit_forget_bias=False"  # Keras's own bias: zeros, as the spec's
        if placeholder:  # Keras's own orthogonal draw would compile a QR on JAX
            options += ', kernel_initializer="zeros", recurrent_initializer="zeros"'
        layer = f'keras.layers.{node.kind}({node.units_out}{options}, name="{node.name}"),'
        return self.activated(layer, node, activation)

    def native_init(self, node: ir.LayerNode, role: str) -> ir.Init:
        return _INITS[role]


_INITS = {
    "kernel": ir.Init.model_construct(kind="glorot_uniform"),
    "recurrent_kernel": ir.Init.model_construct(kind="orthogonal"),
    "bias": ir.Init.model_construct(kind="zeros"),
}


# TensorFlow's graph has no LSTM or GRU cell under Keras 3: one step, written out for tf.scan.
_LSTM_STEP = '''\
def lstm_step(state, step, kernel, recurrent_kernel, bias):
    """One LSTM step, Keras's gates in Keras's order (input, forget, cell, output): the
    next (output, cell), from the state before and the step's inputs."""
    output, cell = state
    gates = tf.matmul(step, kernel) + tf.matmul(output, recurrent_kernel) + bias
    i, f, c, o = tf.split(gates, 4, axis=1)
    cell = tf.sigmoid(f) * cell + tf.sigmoid(i) * tf.tanh(c)
    return tf.sigmoid(o) * tf.tanh(cell), cell'''

_GRU_STEP = '''\
def gru_step(output, step, kernel, recurrent_kernel, bias):
    """One GRU step, Keras's gates in Keras's order (update, reset, candidate), the
    reset applied after the recurrent matmul (Keras's reset_after=True, torch's GRU):
    the next output, from the one before and the step's inputs."""
    z_x, r_x, c_x = tf.split(tf.matmul(step, kernel) + bias[0], 3, axis=1)
    z_h, r_h, c_h = tf.split(tf.matmul(output, recurrent_kernel) + bias[1], 3, axis=1)
    z, r = tf.sigmoid(z_x + z_h), tf.sigmoid(r_x + r_h)
    return z * output + (1 - z) * tf.tanh(c_x + r * c_h)'''


class GraphRecurrent(GraphSpelling):
    def native(self, weight: ir.Weight, dtype: str) -> str:
        shape = list(weight.shape)
        if weight.role == "kernel":
            return f"tf.compat.v1.glorot_uniform_initializer()({shape}, dtype={dtype})"
        if weight.role == "recurrent_kernel":
            return f"tf.compat.v1.orthogonal_initializer()({shape}, dtype={dtype})"
        return f"tf.zeros({shape}, dtype={dtype})"

    def before(self, node: ir.LayerNode, x: str) -> tuple[str, ...]:
        assert isinstance(node, Recurrent)
        n = node.name
        zeros = f"tf.zeros([tf.shape({x})[0], {node.units_out}], dtype={x}.dtype)"
        weights = f"{n}_kernel, {n}_recurrent_kernel, {n}_bias"
        steps = f"    tf.transpose({x}, [1, 0, 2]),  # steps first"
        if isinstance(node, SimpleRNN):
            return (
                "# SimpleRNN, its step written out (no RNN cell under Keras 3), run by tf.scan",
                "# over the steps, from a zero state.",
                f"{n}_states = tf.scan(",
                "    lambda state, step: tf.tanh(",
                f"        tf.matmul(step, {n}_kernel) + tf.matmul(state, {n}_recurrent_kernel) "
                f"+ {n}_bias",
                "    ),",
                steps,
                f"    initializer={zeros},",
                ")",
            )
        if isinstance(node, GRU):
            return (
                "# GRU, its step written out (no GRU cell under Keras 3), run by tf.scan over the",
                "# steps, from a zero state.",
                f"{n}_states = tf.scan(",
                f"    lambda output, step: gru_step(output, step, {weights}),",
                steps,
                f"    initializer={zeros},",
                ")",
            )
        return (
            "# LSTM, its step written out (no RNN cell under Keras 3), run by tf.scan over the",
            "# steps, from zero states: every step's (output, cell).",
            f"{n}_states, _ = tf.scan(",
            f"    lambda state, step: lstm_step(state, step, {weights}),",
            steps,
            f"    initializer=({zeros}, {zeros}),",
            ")",
        )

    def definitions(self, node: ir.LayerNode) -> tuple[str, ...]:
        return {LSTM: (_LSTM_STEP,), GRU: (_GRU_STEP,)}.get(type(node), ())

    def call(self, node: ir.LayerNode, x: str) -> str:
        assert isinstance(node, Recurrent)
        if node.sequences:
            return f"tf.transpose({node.name}_states, [1, 0, 2])"
        return f"{node.name}_states[-1]"

    def native_init(self, node: ir.LayerNode, role: str) -> ir.Init:
        return _INITS[role]


_NUMPY_HELPERS = {
    "SimpleRNN": ("numpy/simple_rnn.py.j2",),
    "LSTM": ("numpy/sigmoid.py.j2", "numpy/lstm.py.j2"),
    "GRU": ("numpy/sigmoid.py.j2", "numpy/gru.py.j2"),
}
# What each forward helper gives, after every step's output, for the backward one.
_SAVED = {"SimpleRNN": (), "LSTM": ("cells", "gates"), "GRU": ("gates", "recurrent")}


class NumpyRecurrent(NumpySpelling):
    def __init__(self, kind: str) -> None:
        self.helper = {"SimpleRNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru"}[kind]
        self.helpers = _NUMPY_HELPERS[kind]
        self.saved = ("states", *_SAVED[kind])

    def _saved(self, node: Recurrent) -> str:
        """What the forward helper gives, by name: every step's states (and an LSTM's cells
        and gates, a GRU's gates and reset parts), for the backward one."""
        return ", ".join(f"{node.name}_{name}" for name in self.saved)

    def before(self, node: ir.LayerNode, x: str) -> tuple[str, ...]:
        assert isinstance(node, Recurrent)
        n = node.name
        call = f"{self.helper}({x}, {n}_kernel, {n}_recurrent_kernel, {n}_bias)"
        return (f"{self._saved(node)} = {call}",)

    def forward(self, node: ir.LayerNode, x: str) -> str:
        assert isinstance(node, Recurrent)
        return f"{node.name}_states[:, 1:]" if node.sequences else f"{node.name}_states[:, -1]"

    def backward(self, node: ir.LayerNode, x: str, grad: str, grad_x: str | None) -> list[str]:
        assert isinstance(node, Recurrent)
        n = node.name
        lines = []
        steps = grad
        if not node.sequences:
            steps = f"grad_{n}_steps"
            lines += [
                "# The layer gives its last step's output alone: the others get no gradient.",
                f"{steps} = np.zeros_like({n}_states[:, 1:])",
                f"{steps}[:, -1] = {grad}",
            ]
        saved = self._saved(node)
        call = f"{self.helper}_backward({x}, {saved}, {n}_kernel, {n}_recurrent_kernel, {steps})"
        names = f"grad_{n}_kernel, grad_{n}_recurrent_kernel, grad_{n}_bias, {grad_x or '_'}"
        return [*lines, f"{names} = {call}"]


_GRU_HINTS = (
    (
        "reset_after",
        "a GRU applies its reset after the recurrent matmul, as Keras's `reset_after=True` "
        "and torch's GRU do; torch has no other form",
    ),
)


class RecurrentKind(LayerKind):
    prefix = "rnn"
    inits = {
        "init": ("kernel_init", "kernel"),
        "recurrent": ("recurrent_init", "recurrent_kernel"),
        "bias": ("bias_init", "bias"),
    }

    def __init__(self, node: type[Recurrent], prefix: str, doc: str) -> None:
        name = node.__name__
        self.node, self.prefix = node, prefix
        self.word = Word(
            name,
            doc,
            options=(
                Option("sequences", "bool", "every step's output", default=False),
                Option("init", "init", "the kernel's initializer", default="glorot_uniform"),
                Option(
                    "recurrent",
                    "init",
                    "the recurrent kernel's initializer",
                    default="orthogonal",
                ),
                Option("bias", "init", "the bias's initializer", default="zeros"),
            ),
            hints=(
                ("units", f"{_a(name)} {name}'s sizes follow its name: `layer {name} 16->32`"),
                ("return_sequences", "every step's output is `sequences=true`"),
                ("recurrent_initializer", "the recurrent kernel's initializer is `recurrent=`"),
                (
                    "activation",
                    f"{name}'s step is Keras's; an activation after the sizes applies to its "
                    "output",
                ),
                *(_GRU_HINTS if node is GRU else ()),
            ),
        )
        self.spellings = {
            "torch": TorchRecurrent(name),
            "tfgraph": GraphRecurrent(),
            "keras": KerasRecurrent(),
            "numpy": NumpyRecurrent(name),
        }

    def check(self, layer: LayerCheck) -> Recurrent | None:
        stmt, name = layer.stmt, self.word.name
        fields: dict[str, object] = dict(layer.activation())
        units_word = stmt.number or stmt.size_out
        if units_word is None:
            layer.error(
                f"{_a(name)} {name} layer needs its size: its units, or features and units",
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
        width = self.node.gates * units  # the gates side by side
        shapes = {
            "kernel": (features, width),
            "recurrent_kernel": (units, width),
            "bias": self.node.bias_shape(width),
        }
        fields |= layer.inits(shapes)
        given_options = layer.options()
        return self.node.model_construct(
            name=layer.name,
            steps=steps,
            units_in=features,
            units_out=units,
            sequences=bool(given_options.get("sequences", False)),
            **fields,
        )

    def weights(self, node: ir.LayerNode) -> tuple[Declared, ...]:
        assert isinstance(node, Recurrent)
        units, width = node.units_out, node.gates * node.units_out
        return (
            Declared("kernel", (node.units_in, width), node.kernel_init),
            Declared("recurrent_kernel", (units, width), node.recurrent_init),
            Declared("bias", node.bias_shape(width), node.bias_init),
        )

    def sample_in(self, node: ir.LayerNode) -> tuple[int, ...]:
        assert isinstance(node, Recurrent)
        return (node.steps, node.units_in)

    def sample_out(self, node: ir.LayerNode) -> tuple[int, ...]:
        assert isinstance(node, Recurrent)
        return (node.steps, node.units_out) if node.sequences else (node.units_out,)


KINDS = (
    RecurrentKind(
        SimpleRNN,
        "rnn",
        "a tanh recurrence over sequences: `SimpleRNN 16->32` gives the last step's state",
    ),
    RecurrentKind(
        LSTM,
        "lstm",
        "a long short-term memory over sequences: `LSTM 16->32` gives the last step's output",
    ),
    RecurrentKind(
        GRU,
        "gru",
        "a gated recurrent unit over sequences, Keras's and torch's (the reset after the "
        "recurrent matmul): `GRU 16->32` gives the last step's output",
    ),
)
