"""The pipeline in one place: parse -> check -> lower -> render -> format."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from . import ir
from .backends import TARGETS, backend
from .check import check
from .diagnostics import Diagnostic, Source
from .format import format_python
from .lower import SECTION_MARK, SECTIONS, lower
from .parse import parse
from .render import render


@dataclass(frozen=True)
class Result:
    """What a successful compile gives: the IR, its warnings, and one script per target."""

    spec: ir.Spec
    warnings: list[Diagnostic]
    scripts: dict[str, str]


def analyze(source: Source, targets: Sequence[str] = TARGETS) -> tuple[ir.Spec, list[Diagnostic]]:
    """Parse and check a spec for `targets`: its IR and warnings, or SpecError."""
    return check(parse(source), source, targets)


def supported(spec: ir.Spec, targets: Sequence[str] = TARGETS) -> list[str]:
    """The targets that compute the spec: all of them but, say, NumPy for `native` weights."""
    return [t for t in targets if next(backend(t).unsupported(spec), None) is None]


def generate(spec: ir.Spec, target: str) -> str:
    """The formatted script for one target."""
    script = render(lower(spec, backend(target)), target)
    return format_python(script, f"{spec.source_name} ({target})")


def sections(spec: ir.Spec, target: str) -> dict[str, str]:
    """The formatted script for one target cut into its concepts (`SECTIONS`, in order).

    The cuts come from the plan: it is rendered with a marker comment where each concept
    starts, formatted whole (so each part is exactly as black lays out the script), and cut
    at the markers. Every line of the script is in one part; blank lines at a cut are dropped.
    """
    script = render(lower(spec, backend(target), marked=True), target)
    formatted = format_python(script, f"{spec.source_name} ({target})").splitlines()
    parts: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in formatted:
        if line.strip().startswith(SECTION_MARK):
            current = parts.setdefault(line.strip().removeprefix(SECTION_MARK), [])
        elif current is None:
            raise AssertionError(f"{target}: code before the first section marker")
        else:
            current.append(line)
    if list(parts) != list(SECTIONS):
        raise AssertionError(f"{target}: sections {list(parts)}, not {list(SECTIONS)}")
    return {key: "\n".join(lines).strip("\n") + "\n" for key, lines in parts.items()}


def build(source: Source, targets: Sequence[str]) -> Result:
    """Compile a spec for several targets at once (all or nothing)."""
    spec, warnings = analyze(source, targets)
    return Result(spec, warnings, {t: generate(spec, t) for t in targets})


def compile(source: str, target: str, filename: str = "<spec>") -> str:
    """Compile spec text to the script for `target` (one of `specc.TARGETS`)."""
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; targets are {', '.join(TARGETS)}")
    return build(Source(filename, source), [target]).scripts[target]
