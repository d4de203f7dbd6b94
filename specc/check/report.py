"""The reporter every part of the checker writes to: diagnostics, collected in one list."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ..diagnostics import Diagnostic, Severity, Source, Span, SpecError

T = TypeVar("T")
F = TypeVar("F")


class Invalid(Exception):
    """A value is wrong and its diagnostic is recorded: unwinds the check of one statement."""


class Reporter:
    """Collects a spec's diagnostics, so that every error is reported, not just the first."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.diagnostics: list[Diagnostic] = []

    def error(self, message: str, span: Span | None, help: str | None = None) -> Invalid:
        """Record an error; `raise` what it returns to abandon the current check."""
        self.diagnostics.append(Diagnostic.error(message, span, help))
        return Invalid()

    def warning(self, message: str, span: Span | None, help: str | None = None) -> None:
        """Record a warning: the build goes on."""
        self.diagnostics.append(Diagnostic.warning(message, span, help))

    def attempt(self, check: Callable[[], T], fallback: F = None) -> T | F:  # type: ignore[assignment]
        """Run one check; if it fails (its error already recorded), go on with `fallback`."""
        try:
            return check()
        except Invalid:
            return fallback

    @property
    def failed(self) -> bool:
        """Whether any error has been recorded."""
        return any(d.severity is Severity.ERROR for d in self.diagnostics)

    def stop_if_failed(self) -> None:
        """Raise SpecError with every diagnostic so far, if one of them is an error."""
        if self.failed:
            raise SpecError(self.source, self.diagnostics)

    def end(self) -> Span:
        """Where errors about something missing point: the end of the file."""
        lines = self.source.text.splitlines() or [""]
        return Span.point(len(lines), len(lines[-1]) + 1)
