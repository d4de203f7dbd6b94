"""One backend per target: how each framework spells every construct, and what it cannot do.

`TARGETS` lists them in the order `--target all` writes them; `backend(name)` imports one.
"""

from __future__ import annotations

import functools
import importlib

from .base import Backend, Unsupported

TARGETS: tuple[str, ...] = ("torch", "tfgraph", "keras", "numpy")

__all__ = ["TARGETS", "Backend", "Unsupported", "backend"]


@functools.cache
def backend(name: str) -> Backend:
    """The backend of target `name` (KeyError for a name that is not a target)."""
    if name not in TARGETS:
        raise KeyError(name)
    return importlib.import_module(f"{__name__}.{name}").BACKEND
