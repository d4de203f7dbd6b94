"""Embedding: each integer token id of a sample looked up as a row of numbers.

`x` holds the ids, a row of `steps` of them per sample, and stays integer in every script;
the layer gives (steps, numbers) per sample: row `id` of its `embeddings` (ids, numbers), the
layout Keras and torch's `nn.Embedding` both store. No gradient flows into ids, so it is only
the first layer. Its gradient is each row's sum over the places its id was looked up: a
scatter-add (`np.add.at`). TensorFlow's graph gets it as IndexedSlices, which TF1's momentum
and RMSprop apply lazily (the rows not looked up keep their momentum): its script makes them
dense first (`specc/backends/tfgraph.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from .. import ir
from ..diagnostics import shape_text
from ..vocabulary import DATASET_SHAPES, Option, Word
from .base import (
    Declared,
    GraphSpelling,
    KerasSpelling,
    LayerCheck,
    LayerKind,
    NumpySpelling,
    TorchSpelling,
)

# Where Keras and torch give an embedding's sizes as keywords, a spec writes them after its name.
_FRAMEWORK_SIZES = ("input_dim", "output_dim", "num_embeddings", "embedding_dim")
_SIZES = (
    "an Embedding's sizes are `ids->numbers` after its name: `layer Embedding 50->16` holds "
    "16 numbers for each of the ids 0 to 49"
)
# Keras's own initializer: uniform in [-0.05, 0.05].
_UNIFORM = ir.Init.model_construct(kind="uniform", args=(-0.05, 0.05))


def _tokens(ids: int = 50) -> str:
    """How to make `x` rows of token ids below `ids`."""
    return f"`data x = randint(0, {ids}, 300, 12)` draws 300 samples of 12 ids"


class Embedding(ir.LayerNode):
    """A lookup table: each of a sample's `steps` ids, 0 to `ids` - 1, as `units_out` numbers."""

    kind: Literal["Embedding"] = "Embedding"
    ids: ir.PositiveInt
    units_out: ir.PositiveInt
    steps: ir.PositiveInt
    embeddings_init: ir.Init = _UNIFORM


class TorchEmbedding(TorchSpelling):
    def module(self, node: ir.LayerNode) -> str:
        assert isinstance(node, Embedding)
        return f"nn.Embedding({node.ids}, {node.units_out})"

    def call(self, node: ir.LayerNode, x: str, channels_first: bool) -> str:
        return f"self.{node.name}({x})"

    def load(self, weight: ir.Weight) -> str:
        return f'model.{weight.layer}.weight.copy_(torch.from_numpy(init["{weight.name}"]))'

    def read(self, weight: ir.Weight) -> str:
        return f"model.{weight.layer}.weight.detach().numpy()"

    def native_init(self, node: ir.LayerNode, role: str) -> ir.Init:
        return ir.Init.model_construct(kind="normal", args=(0.0, 1.0))  # nn.Embedding's


class KerasEmbedding(KerasSpelling):
    sparse = True

    def layer(
        self, node: ir.LayerNode, activation: str | None, placeholder: bool, dtype: str
    ) -> str:
        assert isinstance(node, Embedding)
        return f'keras.layers.Embedding({node.ids}, {node.units_out}, name="{node.name}"),'

    def native_init(self, node: ir.LayerNode, role: str) -> ir.Init:
        return _UNIFORM


class GraphEmbedding(GraphSpelling):
    sparse = True

    def native(self, weight: ir.Weight, dtype: str) -> str:
        shape = list(weight.shape)
        return f"tf.compat.v1.random_uniform_initializer(-0.05, 0.05)({shape}, dtype={dtype})"

    def call(self, node: ir.LayerNode, x: str) -> str:
        return f"tf.nn.embedding_lookup({node.name}_embeddings, {x})"

    def native_init(self, node: ir.LayerNode, role: str) -> ir.Init:
        return _UNIFORM


class NumpyEmbedding(NumpySpelling):
    def forward(self, node: ir.LayerNode, x: str) -> str:
        return f"{node.name}_embeddings[{x}]"

    def backward(self, node: ir.LayerNode, x: str, grad: str, grad_x: str | None) -> list[str]:
        assert grad_x is None  # the first layer: ids have no gradient
        table = f"grad_{node.name}_embeddings"
        return [
            "# Each id's row gathers the gradient of every place it was looked up.",
            f"{table} = np.zeros_like({node.name}_embeddings)",
            f"np.add.at({table}, {x}, {grad})",
        ]


def id_range(expr: ir.Expr, data: Mapping[str, ir.Data]) -> tuple[int, int] | None:
    """The least and the greatest id that the integer data `expr` may hold, where the spec
    says them (`randint`'s bounds, a list's values, labels); None where they are known only
    when the script runs."""
    if isinstance(expr, ir.Draw) and expr.fn == "randint":
        low, high = expr.params
        return int(low), int(high) - 1
    if isinstance(expr, ir.ArrayLiteral):
        values = [int(n) for row in expr.rows for n in row]
        return min(values), max(values)
    if isinstance(expr, ir.Const) and isinstance(expr.value, int):
        return expr.value, expr.value
    if isinstance(expr, ir.Argmax):
        return 0, expr.classes - 1
    if isinstance(expr, ir.Dataset) and expr.part == "labels":
        classes = DATASET_SHAPES[expr.name][2]
        return None if classes is None else (0, classes - 1)
    if isinstance(expr, ir.Ref) and expr.name in data:
        return id_range(data[expr.name].expr, data)
    if isinstance(expr, ir.Reshape | ir.Rows | ir.Windows):
        return id_range(expr.arg, data)
    return None


class EmbeddingKind(LayerKind):
    word = Word(
        "Embedding",
        "a lookup table over integer token ids: `Embedding 50->16` gives 16 numbers for each "
        "id, 0 to 49",
        options=(Option("init", "init", "the embeddings' initializer", default=_UNIFORM),),
        hints=(
            *((name, _SIZES) for name in _FRAMEWORK_SIZES),
            ("embeddings_initializer", "the embeddings' initializer is `init=`"),
            ("mask_zero", "masking is not supported: every id, 0 among them, is looked up"),
        ),
    )
    node = Embedding
    prefix = "emb"
    activated = False
    inits = {"init": ("embeddings_init", "embeddings")}
    spellings = {
        "torch": TorchEmbedding(),
        "tfgraph": GraphEmbedding(),
        "keras": KerasEmbedding(),
        "numpy": NumpyEmbedding(),
    }

    def check(self, layer: LayerCheck) -> Embedding | None:
        stmt = layer.stmt
        if stmt.size_in is None or stmt.size_out is None:
            x = layer.data.get("x")
            found = id_range(x.expr, layer.data) if x is not None and layer.first else None
            ids = found[1] + 1 if found is not None and found[1] >= 0 else 50
            units = stmt.number.text if stmt.number is not None else "16"
            layer.error(
                "an Embedding needs its sizes: how many token ids, and numbers for each",
                (stmt.number or stmt.kind).span,
                f"write `layer Embedding {ids}->{units}`: {units} numbers for each of the ids "
                f"0 to {ids - 1}",
            )
            layer.options()
            return None
        ids, units = layer.size(stmt.size_in), layer.size(stmt.size_out)
        if not layer.first:
            layer.error(
                "an Embedding takes token ids: it is the first layer",
                stmt.kind.span,
                "put it first, over `x`'s integer ids; no gradient flows into ids",
            )
            layer.options()
            return None
        sample, data = layer.sample, layer.data
        if sample is None:
            if not layer.inputs_failed:
                layer.error(
                    "an Embedding takes rows of token ids, and `x` is not given yet",
                    stmt.kind.span,
                    f"define `x` before the layers: {_tokens(ids or 50)}",
                )
            layer.options()
            return None
        if len(sample) != 1:
            layer.error(
                f"an Embedding takes a row of token ids per sample; these samples have shape "
                f"{shape_text(sample)}",
                stmt.kind.span,
                f"make each sample a row of ids: {_tokens(ids or 50)}",
            )
            layer.options()
            return None
        x = data["x"]
        if not ir.integral(x.expr, {name: d.expr for name, d in data.items()}):
            layer.error(
                "an Embedding looks up token ids, whole numbers, and `x` holds other numbers",
                stmt.kind.span,
                f"draw whole numbers: {_tokens(ids or 50)}",
            )
            layer.options()
            return None
        if ids is not None and (found := id_range(x.expr, data)) is not None:
            low, high = found
            if high >= ids:
                layer.error(
                    f"`x` holds token ids up to {high}, but this Embedding holds {ids} "
                    f"(ids 0 to {ids - 1})",
                    stmt.size_in.span,
                    f"write `Embedding {high + 1}->{units or '...'}`, or make the ids smaller",
                )
            elif low < 0:
                layer.error(
                    f"`x` holds token ids down to {low}, but an Embedding's ids start at 0",
                    stmt.size_in.span,
                    f"make the ids 0 and up, as `randint(0, {ids}, ...)` draws them",
                )
        if ids is None or units is None:
            layer.options()
            return None
        fields = layer.inits({"embeddings": (ids, units)})
        return Embedding.model_construct(
            name=layer.name, ids=ids, units_out=units, steps=sample[0], **fields
        )

    def weights(self, node: ir.LayerNode) -> tuple[Declared, ...]:
        assert isinstance(node, Embedding)
        return (Declared("embeddings", (node.ids, node.units_out), node.embeddings_init),)

    def ids(self, node: ir.LayerNode) -> int | None:
        assert isinstance(node, Embedding)
        return node.ids

    def sample_in(self, node: ir.LayerNode) -> tuple[int, ...]:
        assert isinstance(node, Embedding)
        return (node.steps,)

    def sample_out(self, node: ir.LayerNode) -> tuple[int, ...]:
        assert isinstance(node, Embedding)
        return (node.steps, node.units_out)


KINDS = (EmbeddingKind(),)
