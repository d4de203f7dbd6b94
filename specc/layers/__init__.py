"""The layer kinds, one module each (as openapi-python-client keeps one per property kind).

`INDEX` lists every kind's word, module and name prefix without importing any: a build
imports only the modules of the kinds its spec uses, so that kinds added to the language
cost nothing to a build that does not use them. `KINDS` maps a word to its kind (importing
its module on first use); `kind_of(node)` is a node's kind; `NODES` and `LAYERS` (every
kind's node and vocabulary entry, `vocabulary.LAYERS`) import them all, for validation, help
texts and the lexer. `specc/ir.py` makes its layer union from `NODES` when it first
validates. See `specc/layers/base.py` for what a kind declares.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

from .. import ir
from ..vocabulary import Words
from .base import (
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

# Every kind's word: the module declaring it (one per kind, or per family: Conv1D and Conv2D
# differ only in their axes) and its layers' name prefix (`fc` for fc1, which a spec's names
# may not take), in the order help texts list them. tests/test_layers.py holds each module's
# declarations to it.
INDEX: dict[str, tuple[str, str]] = {
    "Dense": ("dense", "fc"),
    "Conv1D": ("conv", "conv"),
    "Conv2D": ("conv", "conv"),
    "MaxPool1D": ("maxpool", "pool"),
    "MaxPool2D": ("maxpool", "pool"),
    "AvgPool1D": ("avgpool", "pool"),
    "AvgPool2D": ("avgpool", "pool"),
    "GlobalAvgPool1D": ("globalpool", "pool"),
    "GlobalAvgPool2D": ("globalpool", "pool"),
    "Flatten": ("flatten", "flatten"),
    "BatchNorm": ("batchnorm", "bn"),
    "LayerNorm": ("layernorm", "ln"),
    "Dropout": ("dropout", "drop"),
    "Normalize": ("normalize", "norm"),
    "Embedding": ("embedding", "emb"),
    "SimpleRNN": ("recurrent", "rnn"),
    "LSTM": ("recurrent", "lstm"),
    "GRU": ("recurrent", "gru"),
}
MODULES = tuple(dict.fromkeys(module for module, _ in INDEX.values()))
PREFIXES = tuple(dict.fromkeys(prefix for _, prefix in INDEX.values()))

S = TypeVar("S", bound=Spelling)


class _Kinds(Mapping[str, LayerKind]):
    """The kinds by word, in INDEX's order; a kind's module is imported on first use."""

    def __init__(self) -> None:
        self._loaded: dict[str, LayerKind] = {}

    def __getitem__(self, word: str) -> LayerKind:
        if word not in self._loaded:
            module = importlib.import_module(f"{__name__}.{INDEX[word][0]}")
            self._loaded |= {kind.word.name: kind for kind in module.KINDS}
        return self._loaded[word]

    def __contains__(self, word: object) -> bool:
        return word in INDEX

    def __iter__(self) -> Iterator[str]:
        return iter(INDEX)

    def __len__(self) -> int:
        return len(INDEX)


KINDS: Mapping[str, LayerKind] = _Kinds()


@functools.cache
def _nodes() -> tuple[type[ir.LayerNode], ...]:
    return tuple(kind.node for kind in KINDS.values())


@functools.cache
def _words() -> Words:
    return Words(
        "layer",
        "layers",
        tuple(kind.word for kind in KINDS.values()),
        hints=tuple(alias for kind in KINDS.values() for alias in kind.aliases),
    )


def __getattr__(name: str) -> Any:
    """`NODES` (every kind's IR node) and `LAYERS` (their words), which import every kind."""
    if name == "NODES":
        return _nodes()
    if name == "LAYERS":
        return _words()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "INDEX",
    "KINDS",
    "LAYERS",
    "MODULES",
    "NODES",
    "PREFIXES",
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
