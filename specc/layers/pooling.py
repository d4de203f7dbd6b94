"""What the pools share (MaxPool and AvgPool, over signals or images): a window the size
that follows the layer's name, slid its own size apart unless a `stride` is given, over each
channel alone. Not a kind: `maxpool.py` and `avgpool.py` are."""

from __future__ import annotations

from typing import ClassVar

from .. import ir
from ..diagnostics import shape_text
from ..vocabulary import Option, Word
from .base import (
    PADDINGS,
    Declared,
    LayerCheck,
    LayerKind,
    Spelling,
    Windowed,
    does_not_fit,
    make_samples,
    other_axes,
    samples,
)


class Pool(Windowed):
    """One value of each window of samples of `sample`'s shape, channel by channel."""

    dims: ClassVar[int]  # the axes it slides along: 1 for signals, 2 for images
    window: tuple[ir.PositiveInt, ...]

    @property
    def size(self) -> tuple[int, ...]:
        return self.window


def numpy_size(node: Pool) -> str:
    """The window as the NumPy helpers take it: `(2, 2)` over images, `2` along signals."""
    return str(node.size[0]) if node.dims == 1 else str(node.size)


class PoolKind(LayerKind):
    """A pool over signals or images: its node class says which, and its spellings how."""

    prefix = "pool"
    activated = False

    def __init__(self, node: type[Pool], doc: str, spellings: dict[str, Spelling]) -> None:
        name = node.__name__
        self.node = node
        self.spellings = spellings
        self.word = Word(
            name,
            doc,
            options=(
                Option("stride", "integer", "the stride", low=1, high=1024),
                Option("padding", "word", "the padding", default="valid", choices=PADDINGS),
            ),
            hints=(
                ("pool_size", f"the window's size follows the layer's name: `{name} 2`"),
                ("strides", "the stride is `stride=2`"),
            ),
        )

    def check(self, layer: LayerCheck) -> Pool | None:
        stmt, name, dims = layer.stmt, self.word.name, self.node.dims
        given = layer.options()
        windows = "2x2 windows" if dims == 2 else "windows of 2 steps"
        if stmt.size_in is not None:
            layer.error(
                "a pool keeps its channels: it takes the size of its window",
                stmt.size_in.span,
                f"write `layer {name} 2`",
            )
            return None
        if stmt.number is None:
            layer.error(
                f"{name} needs the size of its window",
                stmt.kind.span,
                f"write `layer {name} 2` for {windows}",
            )
            return None
        size = layer.size(stmt.number)
        sample = layer.sample
        if size is None or sample is None:
            if sample is None and layer.first and not layer.inputs_failed:
                layer.error(
                    f"{name} takes {samples(dims)}, and `x` is not given yet",
                    stmt.kind.span,
                    f"define `x` before the layers, as {samples(dims)}: {make_samples(dims)}",
                )
            return None
        if len(sample) != dims + 1:
            layer.error(
                f"{name} takes {samples(dims, shaped=True)}; these samples have "
                f"shape {shape_text(sample)}",
                stmt.kind.span,
                other_axes(name, dims, sample) or "a pool goes before Flatten",
            )
            return None
        stride = int(given.get("stride", size))  # type: ignore[call-overload]
        node = self.node.model_construct(
            name=layer.name,
            sample=sample,
            window=(size,) * dims,
            stride=(stride,) * dims,
            padding=given.get("padding", "valid"),
        )
        if any(outputs < 1 for outputs in node.outputs):
            layer.error(
                does_not_fit(size, sample),
                stmt.number.span,
                "use a smaller window, or `padding=same`",
            )
            return None
        return node

    def weights(self, node: ir.LayerNode) -> tuple[Declared, ...]:
        return ()

    def sample_in(self, node: ir.LayerNode) -> tuple[int, ...]:
        assert isinstance(node, Pool)
        return node.sample

    def sample_out(self, node: ir.LayerNode) -> tuple[int, ...]:
        assert isinstance(node, Pool)
        return (*node.outputs, node.sample[-1])
