"""specc: one model spec, compiled to PyTorch, TensorFlow-graph, Keras and NumPy scripts."""

from __future__ import annotations

import importlib
from typing import Any

# Imported on first use, so that `import specc.lexer` (Pygments) or `specc --help` does
# not pay for the compiler, and a build pays only for the stages it runs.
_EXPORTS = {
    "TARGETS": "backends",
    "Diagnostic": "diagnostics",
    "Result": "compiler",
    "Source": "diagnostics",
    "SpecError": "diagnostics",
    "build": "compiler",
    "compile": "compiler",
    "generate": "compiler",
}
__all__ = [*_EXPORTS, "ir"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "ir":
        return importlib.import_module(".ir", __name__)
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'specc' has no attribute {name!r}")
