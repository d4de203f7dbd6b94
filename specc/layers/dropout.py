"""Dropout: in training, each value zeroed with probability `rate` and the others scaled by
1 / (1 - rate), so that every value keeps its mean; in inference, every value as it is.

Each framework draws its masks with its own generator (torch's, TensorFlow's, Keras's
SeedGenerator), seeded from the spec's seed, and no setting makes two of them draw the same
masks: the targets agree in distribution, not mask by mask. The NumPy reference draws its own
with NumPy, and the verdict is statistical (`specc.agreement.statistical_band`): each run is
held to NumPy runs that drew other masks.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field

from .. import ir
from ..vocabulary import Word
from .base import (
    Declared,
    GraphSpelling,
    KerasSpelling,
    LayerCheck,
    LayerKind,
    NumpySpelling,
    TorchSpelling,
)

_RATE = (
    "Dropout's rate, the fraction of values it drops, follows the layer's name: "
    "`layer Dropout 0.5`"
)


class Dropout(ir.LayerNode):
    """Each value of a sample of `sample`'s shape dropped with probability `rate` in training."""

    kind: Literal["Dropout"] = "Dropout"
    sample: tuple[ir.PositiveInt, ...]
    rate: Annotated[float, Field(ge=0, lt=1)]


def _rate(node: ir.LayerNode) -> str:
    assert isinstance(node, Dropout)
    return repr(node.rate)


class TorchDropout(TorchSpelling):
    def module(self, node: ir.LayerNode) -> str:
        return f"nn.Dropout({_rate(node)})"

    def call(self, node: ir.LayerNode, x: str, channels_first: bool) -> str:
        return f"self.{node.name}({x})"  # value by value: either layout


class KerasDropout(KerasSpelling):
    def layer(
        self, node: ir.LayerNode, activation: str | None, placeholder: bool, dtype: str
    ) -> str:
        return f'keras.layers.Dropout({_rate(node)}, name="{node.name}"),'


class GraphDropout(GraphSpelling):
    def before(self, node: ir.LayerNode, x: str) -> tuple[str, ...]:
        if _number(node) != 1:
            return ()
        return (
            "# Each Dropout its own op seed: a tf.cond branch is a graph of its own, where an",
            "# unseeded op would take op seed 0, the same mask in every Dropout layer.",
        )

    def call(self, node: ir.LayerNode, x: str) -> str:
        return _dropped(node, x, str(_number(node)))

    def replicated(self, node: ir.LayerNode, x: str, draws: int) -> tuple[tuple[str, ...], str]:
        # Tower 0 takes the one-process seeds, tower 1 the next `draws`, and so on.
        seed = f"{_number(node)} + {'' if draws == 1 else f'{draws} * '}tower"
        said = (
            "# Each Dropout of each tower its own op seed: a tf.cond branch is a graph of its",
            "# own, where an unseeded op would take op seed 0, the same mask in every Dropout",
            "# layer and every tower.",
        )
        return said if _number(node) == 1 else (), _dropped(node, x, seed)


def _dropped(node: ir.LayerNode, x: str, seed: str) -> str:
    """Dropout in training, its op seeded with `seed`; in inference, `x` as it is."""
    dropped = f"tf.nn.dropout({x}, rate={_rate(node)}, seed={seed})"
    return f"tf.cond(training, lambda: {dropped}, lambda: {x})"


def _number(node: ir.LayerNode) -> int:
    """Which Dropout layer of the model it is, from 1 (`drop2`: 2)."""
    return int(re.search(r"\d+$", node.name).group())  # type: ignore[union-attr]


class NumpyDropout(NumpySpelling):
    helpers = ("numpy/dropout.py.j2",)
    training = "drop values at random"

    def before(self, node: ir.LayerNode, x: str) -> tuple[str, ...]:
        return (f"{node.name}_mask = dropout_mask({x}, {_rate(node)}) if training else 1.0",)

    def forward(self, node: ir.LayerNode, x: str) -> str:
        return f"{x} * {node.name}_mask"

    def backward(self, node: ir.LayerNode, x: str, grad: str, grad_x: str | None) -> list[str]:
        return [] if grad_x is None else [f"{grad_x} = {grad} * {node.name}_mask"]


class DropoutKind(LayerKind):
    word = Word(
        "Dropout",
        "in training, each value dropped with the given probability: `Dropout 0.5`",
        hints=(
            ("rate", _RATE),
            ("p", _RATE),
            ("seed", "Dropout's masks come from each framework's generator, seeded by `seed 0`"),
        ),
    )
    node = Dropout
    prefix = "drop"
    activated = False
    modes = True
    draws = True
    training = "Dropout drops values at random"
    inference = "Dropout keeps every value"
    spellings = {
        "torch": TorchDropout(),
        "tfgraph": GraphDropout(),
        "keras": KerasDropout(),
        "numpy": NumpyDropout(),
    }

    def check(self, layer: LayerCheck) -> Dropout | None:
        stmt = layer.stmt
        layer.options()
        if stmt.size_in is not None:
            layer.error(
                "Dropout keeps the shape of what it takes: it takes no sizes, only its rate",
                stmt.size_in.span,
                "write `layer Dropout 0.5` to drop half the values",
            )
            return None
        if stmt.number is None:
            layer.error(
                "Dropout needs its rate, the fraction of values it drops in training",
                stmt.kind.span,
                "write `layer Dropout 0.5` to drop half the values",
            )
            return None
        rate = stmt.number.value
        if not 0 <= rate < 1:
            layer.error(
                f"a Dropout rate is the fraction of values dropped, from 0 up to 1 (not "
                f"included); this one is {stmt.number.text}",
                stmt.number.span,
                "`layer Dropout 0.5` drops half the values",
            )
            return None
        sample = layer.sample
        if sample is None:
            if layer.first and not layer.inputs_failed:
                layer.error(
                    "Dropout keeps the shape of what it takes, and `x` is not given yet",
                    stmt.kind.span,
                    "define `x` before the layers",
                )
            return None
        layer.warning(
            "each framework draws its own Dropout masks, and no setting makes them draw the "
            "same: the targets agree in distribution, not value by value",
            stmt.kind.span,
            "`specc compare` holds every run to NumPy runs that drew other masks",
        )
        return Dropout.model_construct(name=layer.name, sample=sample, rate=float(rate))

    def weights(self, node: ir.LayerNode) -> tuple[Declared, ...]:
        return ()

    def sample_in(self, node: ir.LayerNode) -> tuple[int, ...]:
        assert isinstance(node, Dropout)
        return node.sample

    def sample_out(self, node: ir.LayerNode) -> tuple[int, ...]:
        assert isinstance(node, Dropout)
        return node.sample


KINDS = (DropoutKind(),)
