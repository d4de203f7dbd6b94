"""What every layer kind declares, and what each target's spelling of it provides.

A kind (`LayerKind`) is one module of `specc/layers/`: its IR node, its vocabulary entry, its
shape rule, its weights in their canonical (Keras) layout, and one spelling per target. The
checker, the IR's layer union, `Spec.weights`, every backend's model and the NumPy reference
read these, so a new kind is one new module listed in `specc/layers/__init__.py`.

The kinds import the IR's base types and the vocabulary only: the IR imports them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar, Literal, NamedTuple, Protocol

from .. import ir
from ..vocabulary import Word

if TYPE_CHECKING:
    from .. import syntax as s
    from ..backends.base import Unsupported
    from ..diagnostics import Span


class Declared(NamedTuple):
    """One weight of a layer, as its kind declares it: role, canonical shape, initializer."""

    role: str  # "kernel", "bias": the weight's name after the layer's (`fc1.kernel`)
    shape: tuple[int, ...]
    init: ir.Init
    trainable: bool = True  # else state that training updates otherwise (running statistics)


def window(size: int, kernel: int, stride: int, padding: str) -> tuple[int, int, int]:
    """A sliding window along one axis: (outputs, padding before, padding after).

    `same` pads as TensorFlow does: enough for ceil(size / stride) outputs, the odd one of
    the padding at the end; `valid` does not pad."""
    if padding == "valid":
        return (size - kernel) // stride + 1, 0, 0
    outputs = -(-size // stride)
    total = max((outputs - 1) * stride + kernel - size, 0)
    return outputs, total // 2, total - total // 2


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """A kernel's fan-in and fan-out as Keras counts them: (..., inputs, outputs), every
    position of a convolution's window counted."""
    window_size = math.prod(shape[:-2])
    return window_size * shape[-2], window_size * shape[-1]


class LayerCheck(Protocol):
    """What the checker lends a kind to check one `layer` statement with: its reports and
    readers, and what the layer takes."""

    stmt: s.LayerStmt

    @property
    def name(self) -> str:
        """The name specc gives the layer: its kind's prefix and number, `fc1`, `conv2`."""

    @property
    def first(self) -> bool:
        """It is the first layer: the data are its inputs."""

    @property
    def before(self) -> ir.LayerNode | None:
        """The layer before it, where that one checked out; None for the first."""

    @property
    def inputs_failed(self) -> bool:
        """`x`'s own statement failed: what the first layer takes is unknown, and said."""

    @property
    def data(self) -> Mapping[str, ir.Data]:
        """The data the spec defines before the layer, by name, where they checked out."""

    @property
    def sample(self) -> tuple[int, ...] | None:
        """The shape of each sample it takes, (height, width, channels) for an image: what
        the layer before gives, or what `x` holds for the first; None where that is unknown
        (a layer before failed, or `x` is drawn to fit the model)."""

    def size(self, word: s.Number) -> int | None:
        """A layer size (`32` in `1->32`), or None after reporting why it is not one."""

    def error(self, message: str, span: Span | None, help: str | None = None) -> None:
        """Report an error and go on checking the statement."""

    def warning(self, message: str, span: Span | None, help: str | None = None) -> None:
        """Report a warning."""

    def activation(self) -> dict[str, str]:
        """`{"activation": name}` for the activation given, if one is."""

    def inits(self, shapes: Mapping[str, tuple[int, ...]]) -> dict[str, ir.Init]:
        """The initializers `init=` and `bias=` give (or their defaults), as IR fields, for
        weights of these shapes by role; the other options checked."""

    def options(self) -> dict[str, object]:
        """The options, checked and converted (the `init`-typed ones only recognized)."""


class Spelling:
    """One layer kind in one target: what the target's backend asks of it.

    Each target's spelling class (TorchSpelling, ...) names the methods that backend calls;
    `refused` says where the target cannot compute a layer as the spec means it.
    """

    def refused(self, node: ir.LayerNode) -> Unsupported | None:
        """Why this target cannot compute the layer, or None."""
        return None

    def adapt(self, node: ir.LayerNode, x: str) -> tuple[str, ...]:
        """Lines fixing, once before training, what the layer computes from the training
        inputs, the NumPy array `x` (Normalize's statistics); none by default."""
        return ()

    def caveat(self, node: ir.LayerNode) -> Unsupported | None:
        """Where this target computes the layer, but not quite as the others do: a located
        warning, or None."""
        return None

    def native_init(self, node: ir.LayerNode, role: str) -> ir.Init:
        """The distribution this target draws a `native` weight from, as specc would draw it:
        Glorot-uniform kernels and zero biases (Keras's and TensorFlow's)."""
        kind = "glorot_uniform" if role == "kernel" else "zeros"
        return ir.Init.model_construct(kind=kind, args=())


class Refused(Spelling):
    """A kind that a target cannot compute as the spec means it: a located error at each
    layer of that kind, naming the target."""

    def __init__(self, message: str, help: str | None = None) -> None:
        self.message = message  # what is not supported, as a noun phrase
        self.help = help

    def refused(self, node: ir.LayerNode) -> Unsupported | None:
        from ..backends.base import Unsupported  # the backends build on the layers

        return Unsupported("layer", self.message, self.help, node.name)


class TorchSpelling(Spelling):
    """A layer as an `nn.Module` attribute: made in `__init__`, called in `forward`.

    torch's convolutions and pools take channels first (N, C, H, W): `forward` turns the
    canonical channels-last samples around once, before the first layer that says
    `channels_first`, and they stay so until a Flatten."""

    channels_first = False  # it takes (N, C, H, W) (or (N, C, L)) tensors
    flattens = False  # it gives rows, whatever the layout it took
    layout = ""  # how torch stores its weights, where it differs: "nn.Linear stores ..."

    def module(self, node: ir.LayerNode) -> str | None:
        """`nn.Linear(1, 32)`; None for a layer that is a function of its input alone."""
        raise NotImplementedError

    def definitions(self, node: ir.LayerNode) -> tuple[str, ...]:
        """Classes the script defines for its `module` (none by default)."""
        return ()

    def setup(self, node: ir.LayerNode) -> tuple[str, ...]:
        """Lines in the model's `__init__` after the layer is made (none by default)."""
        return ()

    def call(self, node: ir.LayerNode, x: str, channels_first: bool) -> str:
        """The layer applied to `x`, before its activation: `self.fc1(x)`; `channels_first`
        says how `x` is laid out."""
        raise NotImplementedError

    def comment(self, node: ir.LayerNode, channels_first: bool) -> tuple[str, ...]:
        """Comment lines over its call in `forward`, where it does something a reader would
        not expect (none by default)."""
        return ()

    def load(self, weight: ir.Weight) -> str:
        """The line copying a weight's canonical initial value (`init[name]`) in."""
        raise NotImplementedError

    def loads(self, weight: ir.Weight) -> tuple[str, ...]:
        """The lines copying it in: `load`'s, or more where torch holds it in parts (a
        GRU's two biases)."""
        return (self.load(weight),)

    def read(self, weight: ir.Weight) -> str:
        """Code for a weight's current value as a NumPy array in the canonical layout."""
        raise NotImplementedError


class KerasSpelling(Spelling):
    """A layer as an entry of a `keras.Sequential` list."""

    sparse = False  # on the TensorFlow backend, its weights' gradients are IndexedSlices

    def attribute(self, weight: ir.Weight) -> str:
        """The layer's attribute holding a weight: `kernel`, or `cell.kernel` for an RNN."""
        return weight.role

    def activated(self, layer: str, node: ir.LayerNode, activation: str | None) -> str:
        """`layer`, then an `Activation` layer of its own where one is given: for the layers
        whose own `activation` is not the spec's (BatchNorm has none; an RNN's is its step's)."""
        if activation is None:
            return layer
        name = f"{node.name}_{node.activation}"
        return f'{layer}\nkeras.layers.Activation({activation}, name="{name}"),'

    def layer(
        self, node: ir.LayerNode, activation: str | None, placeholder: bool, dtype: str
    ) -> str:
        """`keras.layers.Dense(32, activation="relu", name="fc1"),`; `placeholder`: its
        kernel starts as zeros, for the shared initial weights to replace; `dtype`: the
        model's, `float32` or `float64`."""
        raise NotImplementedError

    def definitions(self, node: ir.LayerNode, dtype: str) -> tuple[str, ...]:
        """Functions the script defines for its `layer`, in a model of `dtype` (none by
        default)."""
        return ()


class GraphSpelling(Spelling):
    """A layer as TensorFlow ops on Variables (`tf.compat.v1`, no `tf.layers` under Keras 3)."""

    sparse = False  # its weights' gradients are IndexedSlices (a lookup's, tf.gather's)

    def native(self, weight: ir.Weight, dtype: str) -> str:
        """A `native` weight's initial value: TensorFlow's own initializer."""
        raise NotImplementedError

    def before(self, node: ir.LayerNode, x: str) -> tuple[str, ...]:
        """Lines its `call` needs first, computed from the tensor `x` (none by default)."""
        return ()

    def definitions(self, node: ir.LayerNode) -> tuple[str, ...]:
        """Functions the script defines for its `call` (none by default)."""
        return ()

    def call(self, node: ir.LayerNode, x: str) -> str:
        """The layer applied to the tensor `x`, before its activation."""
        raise NotImplementedError

    def updates(self, node: ir.LayerNode) -> tuple[str, ...]:
        """Ops updating its state, run with every training update (none by default)."""
        return ()

    def replicated(self, node: ir.LayerNode, x: str, draws: int) -> tuple[tuple[str, ...], str]:
        """Its `before` lines and `call` in one tower of a model replicated by `distribute`
        (`model(inputs, tower)`), where `draws` of the model's layers draw random numbers:
        as in one process, unless its random op needs a seed of its own in each tower."""
        return self.before(node, x), self.call(node, x)


class NumpySpelling(Spelling):
    """A layer written out: its forward pass and the chain rule back through it."""

    helpers: tuple[str, ...] = ()  # the templates of functions it calls (numpy/conv2d.py.j2)
    training: str = ""  # what its forward does for an update, where it has modes

    def before(self, node: ir.LayerNode, x: str) -> tuple[str, ...]:
        """Lines its `forward` needs first, computed from the array `x`; `training` says
        whether forward is called for an update (none by default)."""
        return ()

    def forward(self, node: ir.LayerNode, x: str) -> str:
        """The layer applied to the array `x`, before its activation."""
        raise NotImplementedError

    def backward(self, node: ir.LayerNode, x: str, grad: str, grad_x: str | None) -> list[str]:
        """Lines computing each weight's gradient (`grad_fc1_kernel`) from `grad`, the
        gradient of the layer's output before its activation, and `grad_x`, the gradient of
        its input `x` (None for the first layer, whose input is the data)."""
        raise NotImplementedError


class LayerKind:
    """A kind of layer (`layer Dense 1->32 relu`): subclasses declare it whole."""

    word: ClassVar[Word]  # the vocabulary entry: name, doc, options, hints
    # The frameworks' names for the kind, with how the language says it (`Normalization`).
    aliases: ClassVar[tuple[tuple[str, str], ...]] = ()
    prefix: ClassVar[str]  # its layers' names: `fc` for fc1, fc2, ...
    activated: ClassVar[bool] = True  # it takes an activation (a pool or Flatten does not)
    modes: ClassVar[bool] = False  # it computes otherwise in training than in inference
    # What it does in each mode, for the scripts' comments: "BatchNorm normalizes by ...".
    training: ClassVar[str] = ""
    inference: ClassVar[str] = ""
    draws: ClassVar[bool] = False  # training draws random numbers (Dropout's masks)
    node: ClassVar[type[ir.LayerNode]]  # its IR node
    # Each `init`-typed option: (the IR field it sets, the role of the weight it sets).
    inits: ClassVar[Mapping[str, tuple[str, str]]] = {}
    spellings: ClassVar[Mapping[str, Spelling]]  # target -> its spelling

    def check(self, layer: LayerCheck) -> ir.LayerNode | None:
        """The layer's node, its shapes checked against the layer before it; None when an
        error leaves it unknown (reported through `layer`)."""
        raise NotImplementedError

    def weights(self, node: ir.LayerNode) -> tuple[Declared, ...]:
        """Its weights in the order their initial values are drawn, canonical shapes."""
        raise NotImplementedError

    def sample_in(self, node: ir.LayerNode) -> tuple[int, ...]:
        """The shape of each sample it takes: (features,), or (height, width, channels)."""
        raise NotImplementedError

    def ids(self, node: ir.LayerNode) -> int | None:
        """How many integer ids it looks up (0 to ids - 1), as an Embedding first does: `x`
        then stays integer; None for a layer that takes numbers."""
        return None

    def sample_out(self, node: ir.LayerNode) -> tuple[int, ...]:
        """The shape of each sample it gives."""
        raise NotImplementedError

    def spelling(self, target: str) -> Spelling:
        """Its spelling in `target` (KeyError for a target it has none in)."""
        return self.spellings[target]


PADDINGS = ("valid", "same")


class Windowed(ir.LayerNode):
    """A layer that slides a window over samples of `sample`'s shape, channels last: over
    signals (steps, channels) or images (height, width, channels). A convolution, a pool."""

    sample: tuple[ir.PositiveInt, ...]
    stride: tuple[ir.PositiveInt, ...]  # along each axis but the channels
    padding: Literal[PADDINGS] = "valid"  # type: ignore[valid-type]

    @property
    def size(self) -> tuple[int, ...]:
        """The window's size along each axis but the channels."""
        raise NotImplementedError

    @property
    def extent(self) -> tuple[int, ...]:
        """The inputs the window spans along each axis: its size, or more where it is dilated."""
        return self.size

    @property
    def windows(self) -> tuple[tuple[int, int, int], ...]:
        """Along each axis but the channels: (outputs, padding before, padding after)."""
        return tuple(
            window(length, extent, stride, self.padding)
            for length, extent, stride in zip(
                self.sample[:-1], self.extent, self.stride, strict=True
            )
        )

    @property
    def pads(self) -> tuple[tuple[int, int], ...]:
        return tuple((before, after) for _, before, after in self.windows)

    @property
    def outputs(self) -> tuple[int, ...]:
        """The outputs along each axis but the channels."""
        return tuple(outputs for outputs, _, _ in self.windows)

    def numpy_options(self, stride: tuple[int, ...] | None) -> str:
        """`, stride=(2, 2), padding=((0, 1), (0, 1))` for the NumPy helpers (`, stride=2,
        padding=(0, 1)` over signals), each where it is not their default: `stride` (None:
        the window's size), and no padding."""
        one = len(self.size) == 1
        text = ""
        if self.stride != (stride or self.size):
            text += f", stride={self.stride[0] if one else self.stride}"
        if any(before or after for before, after in self.pads):
            text += f", padding={self.pads[0] if one else self.pads}"
        return text


def samples(dims: int, shaped: bool = False) -> str:
    """What a layer sliding along `dims` axes takes, in messages: `images`, or `images
    (height, width, channels)` where `shaped`."""
    noun, shape = (
        ("signals", "(steps, channels)") if dims == 1 else ("images", "(height, width, channels)")
    )
    return f"{noun} {shape}" if shaped else noun


def make_samples(dims: int, values: int | None = None) -> str:
    """How to make the data what a layer sliding along `dims` axes takes, from rows of
    `values` numbers where that is known."""
    if dims == 1:
        return f"`data x = reshape(signals, {values or 64}, 1)`"
    side = math.isqrt(values or 64)
    side = side if side * side == values else 8
    return f"`data x = reshape(pixels, {side}, {side}, 1)`"


def other_axes(name: str, dims: int, sample: tuple[int, ...]) -> str | None:
    """Help for a layer of `dims` axes that meets samples of another number of axes: the
    same kind over those, `use Conv2D`; None for flat samples."""
    other = len(sample) - 1
    if other not in (1, 2) or other == dims:
        return None
    return f"for {samples(other, shaped=True)}, use `{name.replace(f'{dims}D', f'{other}D')}`"


def does_not_fit(size: int, sample: tuple[int, ...]) -> str:
    """`a 5x5 window does not fit in 4x4 images`, or in signals of 4 steps."""
    if len(sample) == 2:
        return f"a window of {size} steps does not fit in signals of {sample[0]} steps"
    return f"a {size}x{size} window does not fit in {sample[0]}x{sample[1]} images"


def square(sizes: tuple[int, ...]) -> str:
    """`2` for (2, 2) or (2,), as the frameworks take a square window's size or stride."""
    return str(sizes[0]) if len(set(sizes)) == 1 else str(sizes)


def torch_padding(pads: tuple[tuple[int, int], ...], stride: tuple[int, ...]) -> str | None:
    """`padding=...` for a torch conv or pool layer that pads as the spec means, or None
    where torch cannot (its own padding is the same on both sides)."""
    if not any(before or after for before, after in pads):
        return ""
    if any(before != after for before, after in pads):
        return None  # TensorFlow's `same`: the odd row or column at the end
    sizes = [before for before, _ in pads]
    return f", padding={sizes[0] if len(set(sizes)) == 1 else tuple(sizes)}"


def torch_pad(x: str, pads: tuple[tuple[int, int], ...], fill: str = "") -> str:
    """`x` padded as TensorFlow pads `same`, in torch's own words: the last axis first."""
    widths = ", ".join(f"{before}, {after}" for before, after in reversed(pads))
    value = f", value={fill}" if fill else ""
    return f"nn.functional.pad({x}, ({widths}){value})"
