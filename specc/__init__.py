"""specc: one model spec, compiled to PyTorch, TensorFlow-graph and Keras training scripts."""

from . import ir
from .backends import TARGETS
from .compiler import Result, build, compile, generate
from .diagnostics import Diagnostic, Source, SpecError

__all__ = [
    "TARGETS",
    "Diagnostic",
    "Result",
    "Source",
    "SpecError",
    "build",
    "compile",
    "generate",
    "ir",
]
__version__ = "0.1.0"
