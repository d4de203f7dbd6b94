"""Target support: what a backend cannot compute becomes a located error in the spec."""

from __future__ import annotations

from collections.abc import Sequence

from .. import ir
from .. import syntax as s
from ..backends import backend
from .report import Reporter


def check_targets(
    report: Reporter, program: s.Program, spec: ir.Spec, targets: Sequence[str]
) -> None:
    """Report each construct a target refuses at the first statement with its keyword."""
    first: dict[str, s.Statement] = {}
    for stmt in program.statements:
        first.setdefault(stmt.keyword.text, stmt)
    for name in targets:
        for problem in backend(name).unsupported(spec):
            stmt = first.get(problem.statement)
            # A construct the spec got by default has no statement: point where it would go.
            span = stmt.span if stmt is not None else report.end()
            report.error(f"target `{name}` does not support {problem.message}", span, problem.help)
