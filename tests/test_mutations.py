"""The band catches real bugs: each mutant (`mutants.py`), run beside the cases, leaves the
band around the exact answer (or, where the frameworks draw for themselves, the band over
NumPy runs from other draws), first at the logged step where its bug first shows."""

from __future__ import annotations

import pytest
from mutants import MUTANTS, Mutant
from support import RUNS, build_cases

import specc
from specc.agreement import (
    STATISTICAL,
    band,
    judge,
    loss_floor,
    multiple,
    parse_output,
    statistical_band,
)
from specc.diagnostics import Source
from specc.runner import EXACT, ensemble_reports

CASES = {case.name: case for case in build_cases()}


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_the_band_catches_the_mutant(mutant: Mutant, executions: dict) -> None:
    case = CASES[mutant.case]
    golden = case.expected(RUNS[mutant.run][0]).read_text(encoding="utf-8")
    assert golden.count(mutant.old) == 1, f"the mutant's text is not once in {case.name}'s script"
    run = executions[(case.name, f"mutant {mutant.name}")]
    assert run.returncode == 0, run.stderr
    spec = specc.build(Source(case.spec.name, case.spec.read_text()), []).spec
    shapes = {w.name: tuple(w.shape) for w in spec.weights}
    target = RUNS[mutant.run][0]
    if spec.statistical:  # a band over draws: the same for every target here (no `native`)
        measured = statistical_band(
            [
                parse_output(execution.stdout)
                for (name, key), execution in sorted(executions.items())
                if name == case.name and key.startswith("draw ")
            ]
        )
        allowed = STATISTICAL, 0.0
    else:
        measured = band(
            parse_output(executions[(case.name, EXACT)].stdout),
            [
                parse_output(report)
                for report in ensemble_reports(
                    execution.stdout
                    for (name, key), execution in sorted(executions.items())
                    if name == case.name and key.startswith("ensemble")
                )
            ],
        )
        allowed = multiple(target, spec), loss_floor(mutant.run, spec)
    verdict = judge(measured, mutant.name, parse_output(run.stdout), shapes, *allowed)
    assert verdict.problems, f"{mutant.why}: not caught (worst {verdict.worst})"
    assert verdict.leaves_at == mutant.leaves_at, verdict.steps
    # The unmutated run of the same script stays inside the band at that step.
    original = parse_output(executions[(case.name, mutant.run)].stdout)
    unmutated = judge(measured, mutant.run, original, shapes, *allowed)
    assert unmutated.steps[mutant.leaves_at] <= allowed[0]
