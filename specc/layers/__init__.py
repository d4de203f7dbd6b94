"""The layer kinds, one module each (as openapi-python-client keeps one per property kind).

`KINDS` lists them in the order help texts name them; `kind_of(node)` is a node's kind, and
`LAYERS` their vocabulary entries (`vocabulary.LAYERS`). `specc/ir.py` makes its layer union
from `NODES`. See `specc/layers/base.py` for what a kind declares.
"""

from __future__ import annotations

# The kinds' modules, in the order help texts list them; each declares its `KINDS` (Conv1D
# and Conv2D are one module's: they differ only in their axes). Named before anything is
# imported: the IR makes its union of their nodes while this package may still import it.
MODULES = (
    "dense",
    "conv",
    "maxpool",
    "avgpool",
    "globalpool",
    "flatten",
    "batchnorm",
    "layernorm",
    "dropout",
    "normalize",
    "embedding",
    "recurrent",
)

import importlib  # noqa: E402
from typing import TypeVar  # noqa: E402

from .. import ir  # noqa: E402
from ..vocabulary import Words  # noqa: E402
from .base import (  # noqa: E402
    Declared,
    GraphSpelling,
    KerasSpelling,
    LayerCheck,
    LayerKind,
    NumpySpelling,
    Refused,
    Spelling,
    TorchSpelling,
)

S = TypeVar("S", bound=Spelling)

KINDS: dict[str, LayerKind] = {
    kind.word.name: kind
    for module in MODULES
    for kind in importlib.import_module(f"{__name__}.{module}").KINDS
}
NODES: tuple[type[ir.LayerNode], ...] = tuple(kind.node for kind in KINDS.values())
LAYERS = Words(
    "layer",
    "layers",
    tuple(kind.word for kind in KINDS.values()),
    hints=tuple(alias for kind in KINDS.values() for alias in kind.aliases),
)

__all__ = [
    "KINDS",
    "LAYERS",
    "MODULES",
    "NODES",
    "Declared",
    "GraphSpelling",
    "KerasSpelling",
    "LayerCheck",
    "LayerKind",
    "NumpySpelling",
    "Refused",
    "Spelling",
    "TorchSpelling",
    "kind_of",
    "spelling",
]


def kind_of(node: ir.LayerNode) -> LayerKind:
    """The kind a layer's node belongs to."""
    return KINDS[node.kind]


def spelling(of: ir.LayerNode | ir.Weight, target: str, cls: type[S] = Spelling) -> S:  # type: ignore[assignment]
    """How `target` spells a layer, or the layer a weight belongs to (a `cls`)."""
    kind = of.layer_kind if isinstance(of, ir.Weight) else of.kind
    found = KINDS[kind or ""].spellings[target]
    assert isinstance(found, cls), f"{kind} has no {cls.__name__} for {target}"
    return found
