"""Target support: what a backend cannot compute becomes a located error in the spec, and
where it computes differently, a located warning."""

from __future__ import annotations

from collections.abc import Sequence

from .. import ir
from .. import syntax as s
from ..backends import backend
from ..backends.base import Unsupported
from ..diagnostics import Span
from .report import Reporter


def check_targets(
    report: Reporter, program: s.Program, spec: ir.Spec, targets: Sequence[str]
) -> None:
    """Report each construct a target refuses at the first statement with its keyword."""
    first: dict[str, s.Statement] = {}
    for stmt in program.statements:
        first.setdefault(stmt.keyword.text, stmt)
    # A checked spec's layers are its `layer` statements, in order.
    layers = [stmt for stmt in program.statements if isinstance(stmt, s.LayerStmt)]

    def where(problem: Unsupported) -> Span:
        if problem.layer:  # at the layer's own statement
            return layers[_names(spec).index(problem.layer)].span
        return _where(report, first, problem.statement)

    for name in targets:
        for problem in backend(name).unsupported(spec):
            message = f"target `{name}` does not support {problem.message}"
            report.error(message, where(problem), problem.help)
        for caveat in backend(name).caveats(spec):
            report.warning(f"target `{name}`: {caveat.message}", where(caveat), caveat.help)


def _where(report: Reporter, first: dict[str, s.Statement], keyword: str) -> Span:
    """The first statement with `keyword`; for a construct the spec got by default, which
    has no statement, the end of the file, where it would go."""
    stmt = first.get(keyword)
    return stmt.span if stmt is not None else report.end()


def _names(spec: ir.Spec) -> list[str]:
    network = spec.network
    return [layer.name for layer in network.layers] if isinstance(network, ir.Sequential) else []
