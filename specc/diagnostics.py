"""Diagnostics as data, and the one place that renders them for people."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Span:
    """A range in the source: 1-based line and column, end column exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def point(cls, line: int, column: int) -> Span:
        """A one-character span."""
        return cls(line, column, line, column + 1)

    def to(self, other: Span) -> Span:
        """The span from the start of this one to the end of `other`."""
        return Span(self.line, self.column, other.end_line, other.end_column)


@dataclass(frozen=True)
class Diagnostic:
    """One message about the spec: what is wrong, where, and how to fix it."""

    severity: Severity
    message: str
    span: Span | None = None
    help: str | None = None
    notes: tuple[str, ...] = field(default=())

    @classmethod
    def error(cls, message: str, span: Span | None, help: str | None = None) -> Diagnostic:
        """An error: the build fails."""
        return cls(Severity.ERROR, message, span, help)

    @classmethod
    def warning(cls, message: str, span: Span | None, help: str | None = None) -> Diagnostic:
        """A warning: the build goes on."""
        return cls(Severity.WARNING, message, span, help)


@dataclass(frozen=True)
class Source:
    """A spec's text and the name it is reported under."""

    filename: str
    text: str

    def line(self, number: int) -> str:
        """The text of 1-based line `number`, without its newline ('' past the end)."""
        lines = self.text.splitlines()
        return lines[number - 1] if 0 < number <= len(lines) else ""


class SpecError(Exception):
    """The spec cannot be compiled; `diagnostics` says why."""

    def __init__(self, source: Source, diagnostics: Sequence[Diagnostic]) -> None:
        self.source = source
        self.diagnostics = sorted(diagnostics, key=_order)
        super().__init__(render_all(source, self.diagnostics))


def _order(diagnostic: Diagnostic) -> tuple[Span, int]:
    return (diagnostic.span or Span(0, 0, 0, 0), 0)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A `help:` text naming the closest choice to a misspelled word, if one is close."""
    matches = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    if not matches and word.lower() in {c.lower() for c in choices}:
        matches = [c for c in choices if c.lower() == word.lower()]
    return f"did you mean `{matches[0]}`?" if matches else None


def one_of(choices: Iterable[str], conjunction: str = "or") -> str:
    """`a`, `b` or `c`."""
    names = [f"`{c}`" for c in choices]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {conjunction} {names[-1]}"


_MAX_SHOWN = 120  # columns of a source line shown around the caret


def render(source: Source, diagnostic: Diagnostic) -> str:
    """`file:line:col: error: message`, the source line, a caret under the span, `help:`."""
    span = diagnostic.span
    where = f"{source.filename}:{span.line}:{span.column}" if span else source.filename
    out = [f"{where}: {diagnostic.severity.value}: {diagnostic.message}"]
    if span:
        text = source.line(span.line).expandtabs(1)
        start = span.column - 1
        end = span.end_column - 1 if span.end_line == span.line else len(text)
        end = max(end, start + 1)
        # Very long lines are cut to a window around the span.
        offset = max(0, min(start - _MAX_SHOWN // 2, len(text) - _MAX_SHOWN))
        shown = text[offset : offset + _MAX_SHOWN]
        gutter = str(span.line)
        pad = " " * len(gutter)
        prefix = "..." if offset else ""
        suffix = "..." if offset + _MAX_SHOWN < len(text) else ""
        caret_from = start - offset + len(prefix)
        caret_len = max(1, min(end, offset + _MAX_SHOWN) - start)
        out.append(f"{pad} |")
        out.append(f"{gutter} | {prefix}{shown}{suffix}".rstrip())
        out.append(f"{pad} | {' ' * caret_from}{'^' * caret_len}")
    for note in diagnostic.notes:
        out.append(f"  = note: {note}")
    if diagnostic.help:
        out.append(f"  = help: {diagnostic.help}")
    return "\n".join(out)


def render_all(source: Source, diagnostics: Iterable[Diagnostic]) -> str:
    """Every diagnostic, in order, separated by blank lines, with a closing count of errors."""
    diagnostics = sorted(diagnostics, key=_order)  # source order, whatever found them first
    parts = [render(source, d) for d in diagnostics]
    errors = sum(d.severity is Severity.ERROR for d in diagnostics)
    if errors > 1:
        parts.append(f"{errors} errors in {source.filename}")
    return "\n\n".join(parts) + "\n" if parts else ""


def shape_text(shape: tuple[int | None, ...]) -> str:
    """`(10, 1)`, `(4,)`, `(?, 2)` for rows known only at run time."""
    text = ", ".join("?" if n is None else str(n) for n in shape)
    return f"({text},)" if len(shape) == 1 else f"({text})"
