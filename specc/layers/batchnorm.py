"""BatchNorm: each channel normalized by its batch's mean and variance, then scaled and shifted.

In training a layer normalizes by the batch's statistics and moves its running ones toward
them; in inference (the trained model's loss, `predict`) it normalizes by the running ones.
What the spec means is Keras's: `momentum` is the running statistics' own weight
(running = momentum * running + (1 - momentum) * batch), `eps` is added to the variance
under the square root, and the running variance is the batch's *biased* variance, the one
that normalized it (as TensorFlow's `tf.nn.moments` gives it). torch's `momentum` is the
batch's weight, and its running variance the unbiased one (n / (n - 1) times as large): no
setting changes that, so torch's script updates its running statistics itself.
"""

from __future__ import annotations

from typing import Literal

from .. import ir
from ..diagnostics import shape_text
from ..format import LINE_LENGTH
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

MOMENTUM, EPS = 0.99, 0.001  # Keras's defaults, passed explicitly to every framework


def py(value: float) -> str:
    """A hyper-parameter as Python writes it: `0.99`, `1e-05`."""
    return repr(float(value))


_ONES = ir.Init.model_construct(kind="ones")
_ZEROS = ir.Init.model_construct(kind="zeros")


class BatchNorm(ir.LayerNode):
    """Batch normalization over every axis but the channels (the last)."""

    kind: Literal["BatchNorm"] = "BatchNorm"
    sample: tuple[ir.PositiveInt, ...]
    momentum: float = MOMENTUM
    eps: float = EPS

    @property
    def channels(self) -> int:
        return self.sample[-1]

    @property
    def axes(self) -> tuple[int, ...]:
        """The axes its statistics are taken over, channels last: all but the channels."""
        return tuple(range(len(self.sample)))


def _axes(node: BatchNorm) -> str:
    """`axis=0`, or `axis=(0, 1, 2)` over images, for NumPy's reductions."""
    axes = node.axes
    return f"axis={axes[0] if len(axes) == 1 else axes}"


class TorchBatchNorm(TorchSpelling):
    channels_first = True  # nn.BatchNorm2d takes (N, C, H, W); rows are (N, C) already
    layout = ""

    def module(self, node: ir.LayerNode) -> str:
        assert isinstance(node, BatchNorm)
        return f"{_torch_class(node)}({node.channels}, {self._options(node)})"

    def _options(self, node: BatchNorm) -> str:
        # torch's momentum is the batch's weight in the running statistics: 1 - Keras's.
        return f"momentum={py(round(1 - node.momentum, 12))}, eps={py(node.eps)}"

    def definitions(self, node: ir.LayerNode) -> tuple[str, ...]:
        assert isinstance(node, BatchNorm)
        name = _torch_class(node)
        base = name.removeprefix("Biased")
        return (
            f"class {name}(nn.{base}):\n"
            f'    """nn.{base}, but its running variance moves toward the batch\'s biased\n'
            "    variance, the one that normalizes the batch, as Keras's and TensorFlow's do:\n"
            '    torch\'s own takes the unbiased one, n / (n - 1) times as large."""\n'
            "\n"
            "    def forward(self, x):\n"
            "        if not self.training:\n"
            "            return super().forward(x)  # normalized by the running statistics\n"
            "        axes = [0, *range(2, x.dim())]  # every axis but the channels\n"
            "        with torch.no_grad():\n"
            "            self.running_mean.lerp_(x.mean(dim=axes), self.momentum)\n"
            "            self.running_var.lerp_(x.var(dim=axes, correction=0), self.momentum)\n"
            "        return nn.functional.batch_norm(\n"
            "            x, None, None, self.weight, self.bias, training=True, eps=self.eps\n"
            "        )",
        )

    def call(self, node: ir.LayerNode, x: str, channels_first: bool) -> str:
        return f"self.{node.name}({x})"

    def load(self, weight: ir.Weight) -> str:
        return (
            f"model.{weight.layer}.{_TORCH[weight.role]}.copy_("
            f'torch.from_numpy(init["{weight.name}"]))'
        )

    def read(self, weight: ir.Weight) -> str:
        return f"model.{weight.layer}.{_TORCH[weight.role]}.detach().numpy()"

    def native_init(self, node: ir.LayerNode, role: str) -> ir.Init:
        return _INITS[role]


def _torch_class(node: BatchNorm) -> str:
    """The script's own class: `BiasedBatchNorm2d` over images, `BiasedBatchNorm1d` else."""
    return f"BiasedBatchNorm{2 if len(node.sample) == 3 else 1}d"


# torch's name for each of its weights; they are laid out as Keras lays them out.
_TORCH = {
    "gamma": "weight",
    "beta": "bias",
    "moving_mean": "running_mean",
    "moving_variance": "running_var",
}
_INITS = {"gamma": _ONES, "beta": _ZEROS, "moving_mean": _ZEROS, "moving_variance": _ONES}


class KerasBatchNorm(KerasSpelling):
    def layer(
        self, node: ir.LayerNode, activation: str | None, placeholder: bool, dtype: str
    ) -> str:
        assert isinstance(node, BatchNorm)
        options = f"momentum={py(node.momentum)}, epsilon={py(node.eps)}"
        layer = f'keras.layers.BatchNormalization({options}, name="{node.name}"),'
        return self.activated(layer, node, activation)

    def native_init(self, node: ir.LayerNode, role: str) -> ir.Init:
        return _INITS[role]


class GraphBatchNorm(GraphSpelling):
    def native(self, weight: ir.Weight, dtype: str) -> str:
        fill = "ones" if _INITS[weight.role].kind == "ones" else "zeros"
        return f"tf.{fill}({list(weight.shape)}, dtype={dtype})"

    def before(self, node: ir.LayerNode, x: str) -> tuple[str, ...]:
        assert isinstance(node, BatchNorm)
        name, axes = node.name, list(node.axes)
        return (
            f"{name}_batch_mean, {name}_batch_variance = tf.nn.moments({x}, axes={axes})",
            "# In training the batch's statistics, in inference the running ones.",
            f"{name}_mean, {name}_variance = tf.cond(",
            "    training,",
            f"    lambda: ({name}_batch_mean, {name}_batch_variance),",
            f"    lambda: ({name}_moving_mean, {name}_moving_variance),",
            ")",
        )

    def updates(self, node: ir.LayerNode) -> tuple[str, ...]:
        assert isinstance(node, BatchNorm)
        name, momentum = node.name, py(node.momentum)
        return tuple(
            f"{name}_moving_{stat}.assign("
            f"{momentum} * {name}_moving_{stat} + (1 - {momentum}) * {name}_batch_{stat})"
            for stat in ("mean", "variance")
        )

    def call(self, node: ir.LayerNode, x: str) -> str:
        assert isinstance(node, BatchNorm)
        n = node.name
        return (
            f"tf.nn.batch_normalization({x}, {n}_mean, {n}_variance, {n}_beta, {n}_gamma, "
            f"{py(node.eps)})"
        )

    def native_init(self, node: ir.LayerNode, role: str) -> ir.Init:
        return _INITS[role]


class NumpyBatchNorm(NumpySpelling):
    training = "normalize by the batch's statistics (and move the running ones)"

    def before(self, node: ir.LayerNode, x: str) -> tuple[str, ...]:
        assert isinstance(node, BatchNorm)
        n, momentum, axis = node.name, py(node.momentum), _axes(node)
        moved = (
            f"    {line}"
            for stat in ("mean", "variance")
            for line in _assigned(
                f"{n}_moving_{stat}[...]",
                f"{momentum} * {n}_moving_{stat} + (1 - {momentum}) * {n}_{stat}",
                indent=8,  # in forward, under `if training:`
            )
        )
        return (
            "if training:  # the batch's statistics, and the running ones moved toward them",
            f"    {n}_mean = {x}.mean({axis})",
            f"    {n}_variance = np.square({x} - {n}_mean).mean({axis})",
            *moved,
            "else:",
            f"    {n}_mean, {n}_variance = {n}_moving_mean, {n}_moving_variance",
            f"{n}_scale = 1 / np.sqrt({n}_variance + {py(node.eps)})",
            f"{n}_normal = ({x} - {n}_mean) * {n}_scale",
        )

    def forward(self, node: ir.LayerNode, x: str) -> str:
        n = node.name
        return f"{n}_gamma * {n}_normal + {n}_beta"

    def backward(self, node: ir.LayerNode, x: str, grad: str, grad_x: str | None) -> list[str]:
        assert isinstance(node, BatchNorm)
        n, axis = node.name, _axes(node)
        lines = [
            f"grad_{n}_gamma = ({grad} * {n}_normal).sum({axis})",
            f"grad_{n}_beta = {grad}.sum({axis})",
        ]
        if grad_x is not None:
            lines += [
                f"grad_{n}_normal = {grad} * {n}_gamma",
                "# The batch's mean and variance depend on every sample of it, too.",
                f"{grad_x} = {n}_scale * (",
                f"    grad_{n}_normal",
                f"    - grad_{n}_normal.mean({axis})",
                f"    - {n}_normal * (grad_{n}_normal * {n}_normal).mean({axis})",
                ")",
            ]
        return lines

    def native_init(self, node: ir.LayerNode, role: str) -> ir.Init:
        return _INITS[role]


def _assigned(target: str, value: str, indent: int) -> tuple[str, ...]:
    """`target = value` as black lays it out at `indent`: on one line, or else the value in
    parentheses on a line of its own; wider still, on one line for black to break."""
    line = f"{target} = {value}"
    if indent + len(line) <= LINE_LENGTH or indent + 4 + len(value) > LINE_LENGTH:
        return (line,)
    return (f"{target} = (", f"    {value}", ")")


class BatchNormKind(LayerKind):
    word = Word(
        "BatchNorm",
        "batch normalization of each channel, with running statistics for inference",
        options=(
            Option(
                "momentum",
                "number",
                "the running statistics' momentum",
                default=MOMENTUM,
                low=0,
                high=1,
                high_open=True,
            ),
            Option("eps", "number", "eps", default=EPS, low=0, low_open=True),
        ),
        hints=(
            ("epsilon", "BatchNorm's epsilon is `eps=0.001`"),
            ("axis", "BatchNorm normalizes each channel, the last axis, as Keras's default does"),
        ),
    )
    node = BatchNorm
    prefix = "bn"
    modes = True
    training = "BatchNorm normalizes by the batch's statistics"
    inference = "BatchNorm normalizes by its running statistics"
    spellings = {
        "torch": TorchBatchNorm(),
        "tfgraph": GraphBatchNorm(),
        "keras": KerasBatchNorm(),
        "numpy": NumpyBatchNorm(),
    }

    def check(self, layer: LayerCheck) -> BatchNorm | None:
        stmt = layer.stmt
        if (word := stmt.size_in or stmt.number) is not None:
            layer.error(
                "BatchNorm normalizes each channel of what the layer before gives: it takes "
                "no size",
                word.span,
                "write `layer BatchNorm`",
            )
            layer.options()
            return None
        fields: dict[str, object] = dict(layer.activation())
        given = layer.options()
        sample = layer.sample
        if sample is None:
            if layer.first and not layer.inputs_failed:
                layer.error(
                    "BatchNorm normalizes what it takes, and `x` is not given yet",
                    stmt.kind.span,
                    "define `x` before the layers",
                )
            return None
        if len(sample) > 3:
            layer.error(
                f"BatchNorm takes rows, signals or images; these samples have shape "
                f"{shape_text(sample)}",
                stmt.kind.span,
            )
            return None
        return BatchNorm.model_construct(
            name=layer.name,
            sample=sample,
            momentum=float(given.get("momentum", MOMENTUM)),  # type: ignore[arg-type]
            eps=float(given.get("eps", EPS)),  # type: ignore[arg-type]
            **fields,
        )

    def weights(self, node: ir.LayerNode) -> tuple[Declared, ...]:
        assert isinstance(node, BatchNorm)
        shape = (node.channels,)
        return (
            Declared("gamma", shape, _ONES),
            Declared("beta", shape, _ZEROS),
            Declared("moving_mean", shape, _ZEROS, trainable=False),
            Declared("moving_variance", shape, _ONES, trainable=False),
        )

    def sample_in(self, node: ir.LayerNode) -> tuple[int, ...]:
        assert isinstance(node, BatchNorm)
        return node.sample

    def sample_out(self, node: ir.LayerNode) -> tuple[int, ...]:
        assert isinstance(node, BatchNorm)
        return node.sample


KINDS = (BatchNormKind(),)
