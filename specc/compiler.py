"""The pipeline in one place: parse -> check -> render -> format."""

from __future__ import annotations

from dataclasses import dataclass

from . import ir
from .check import check
from .diagnostics import Diagnostic, Source
from .format import format_python
from .parse import parse
from .render import render
from .targets import TARGETS


@dataclass(frozen=True)
class Result:
    """What a successful compile gives: the IR, its warnings, and one script per target."""

    spec: ir.Spec
    warnings: list[Diagnostic]
    scripts: dict[str, str]


def analyze(source: Source) -> tuple[ir.Spec, list[Diagnostic]]:
    """Parse and check a spec: its IR and warnings, or SpecError."""
    return check(parse(source), source)


def generate(spec: ir.Spec, target: str) -> str:
    """The formatted script for one target."""
    return format_python(render(spec, target), f"{spec.source_name} ({target})")


def build(source: Source, targets: list[str]) -> Result:
    """Compile a spec for several targets at once (all or nothing)."""
    spec, warnings = analyze(source)
    return Result(spec, warnings, {t: generate(spec, t) for t in targets})


def compile(source: str, target: str, filename: str = "<spec>") -> str:
    """Compile spec text to the script for `target` (torch, tfgraph or keras)."""
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; targets are {', '.join(TARGETS)}")
    return build(Source(filename, source), [target]).scripts[target]
