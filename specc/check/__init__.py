"""Check: syntax tree -> IR. Every semantic error is collected here and reported in source order.

The statements are walked once into a shared `Scope` (`model`, `data`, `layer`, `param`,
`loss`, ...); then the model is checked as a whole; then what needs the model (`log`,
`predict`); then, on a valid IR, what each requested target cannot compute.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .. import ir
from .. import syntax as s
from ..diagnostics import Diagnostic, Source
from . import model, training
from .report import Reporter
from .scope import Scope
from .support import check_targets

__all__ = ["check"]

# Statements a spec may give at most once.
ONCE = (
    s.ModelStmt,
    s.SeedStmt,
    s.DtypeStmt,
    s.ForwardStmt,
    s.LossStmt,
    s.OptimStmt,
    s.ScheduleStmt,
    s.TrainStmt,
    s.SplitStmt,
    s.LogStmt,
    s.PredictStmt,
    s.SaveStmt,
    s.DistributeStmt,
    s.DeviceStmt,
)

# What each statement adds to the scope as it is walked. `forward`, `log` and `predict` are
# only recorded: they need `x`'s shape, the model's weights, its inputs (see `check`).
STATEMENTS: dict[type[s.Statement], Callable[[Scope, Any], None]] = {
    s.ModelStmt: model.model_stmt,
    s.SeedStmt: model.seed_stmt,
    s.DtypeStmt: model.dtype_stmt,
    s.DataStmt: model.data_stmt,
    s.LayerStmt: model.layer_stmt,
    s.ParamStmt: model.param_stmt,
    s.LossStmt: training.loss_stmt,
    s.OptimStmt: training.optim_stmt,
    s.ScheduleStmt: training.schedule_stmt,
    s.TrainStmt: training.train_stmt,
    s.SplitStmt: training.split_stmt,
    s.SaveStmt: training.save_stmt,
    s.DistributeStmt: training.distribute_stmt,
    s.DeviceStmt: training.device_stmt,
}


def check(
    program: s.Program, source: Source, targets: Sequence[str] = ()
) -> tuple[ir.Spec, list[Diagnostic]]:
    """Lower a parsed spec to the IR and its warnings, or raise SpecError with every error.

    Each of `targets` ("torch", "keras", ...) is asked what of the spec it cannot compute.
    """
    report = Reporter(source)
    scope = Scope(report)
    for stmt in program.statements:
        if _admit(scope, stmt) and type(stmt) in STATEMENTS:
            checked = report.attempt(lambda stmt=stmt: STATEMENTS[type(stmt)](scope, stmt), _FAILED)
            if checked is _FAILED:
                scope.broken.add(type(stmt))
    network = report.attempt(lambda: model.network(scope))
    logging = predict = None
    if network is not None:
        report.attempt(lambda: training.split(scope))
        report.attempt(lambda: training.patience(scope))
        report.attempt(lambda: training.batches(scope))
        report.attempt(lambda: training.distribution(scope))
        report.attempt(lambda: training.schedule_min(scope))
        training.bias_before_batchnorm(scope)
        report.attempt(lambda: training.classification(scope, network))
        logging = report.attempt(lambda: training.logging(scope, network))
        predict = report.attempt(lambda: training.prediction(scope, network))
    model.check_unused(scope)
    report.stop_if_failed()
    spec = _spec(scope, network, logging, predict)
    check_targets(report, program, spec, targets)
    report.stop_if_failed()
    return spec, report.diagnostics


_FAILED = object()  # what a statement's check gives when it failed


def _admit(scope: Scope, stmt: s.Statement) -> bool:
    """Record a statement's kind; a second one of a once-only kind is an error, not checked."""
    kind = type(stmt)
    scope.kinds.add(kind)
    if not isinstance(stmt, ONCE):
        return True
    first = scope.first.setdefault(kind, stmt)
    if first is stmt:
        return True
    scope.report.error(
        f"`{stmt.keyword.text}` is given twice (first on line {first.span.line})",
        stmt.keyword.span,
        "remove one of them",
    )
    return False


def _spec(
    scope: Scope,
    network: ir.Sequential | ir.Formula | None,
    logging: ir.Logging | None,
    predict: ir.Prediction | None,
) -> ir.Spec:
    """The IR of a spec that has no errors, made of the values checked above."""
    filename = scope.report.source.filename.replace("\\", "/").rsplit("/", 1)[-1]
    return ir.Spec.model_construct(
        source_name=_printable(filename),
        data=tuple(d for d, _ in scope.data.values()),
        network=network,
        logging=logging,
        predict=predict,
        **scope.fields,
    )


def _printable(text: str) -> str:
    """A file name fit for a one-line comment: control and line-break characters become ?."""
    return "".join(c if c.isprintable() else "?" for c in text)
