"""Every case's scripts run in parallel, and every target agrees with the NumPy reference,
whose backward pass tests/test_gradients.py holds to finite differences.
"""

from __future__ import annotations

import pytest
from support import RUNS, Case, build_cases

import specc
from specc import runner
from specc.agreement import KNOWN_GAPS, disagreements, parse_output, tolerance
from specc.diagnostics import Source
from specc.runner import Job, run_all

REFERENCE = runner.REFERENCE  # "numpy"


CASES = build_cases()


@pytest.mark.parametrize("target", RUNS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_script_runs_quietly(case: Case, target: str, executions: dict) -> None:
    if (case.name, target) not in executions:
        pytest.skip(f"{target} does not build this spec (it refuses the spec with an error)")
    run = executions[(case.name, target)]
    assert run.returncode == 0, f"{case.name} ({target}) failed:\n{run.stderr}"
    assert run.stderr == "", f"{case.name} ({target}) wrote to stderr:\n{run.stderr}"
    report = parse_output(run.stdout)
    assert report.losses or report.text, "the script logged no loss"
    assert report.params, "the script printed no trained parameters"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_targets_agree(case: Case, executions: dict) -> None:
    runs = {t: executions[(case.name, t)] for t in RUNS if (case.name, t) in executions}
    if any(r.returncode for r in runs.values()):
        pytest.skip("a script failed; test_script_runs_quietly reports it")
    spec = specc.build(Source(case.spec.name, case.spec.read_text()), []).spec
    if spec.native:
        pytest.skip("weights start from each framework's own initializer: agreement is statistical")
    parsed = {t: parse_output(r.stdout) for t, r in runs.items()}
    problems = [
        f"{target} vs {REFERENCE}: {problem}"
        for target in RUNS
        if target != REFERENCE
        for problem in disagreements(
            REFERENCE,
            parsed[REFERENCE],
            target,
            parsed[target],
            KNOWN_GAPS.get((target, spec.dtype), tolerance(spec)),
        )
    ]
    assert not problems, "the targets disagree:\n  " + "\n  ".join(problems)


# float64, mini-batches, Keras on three backends: where a forked run could drift first.
FORK_CHECK = "minibatch_float64"


def test_forked_runs_print_what_fresh_ones_print(scripts: dict, executions: dict) -> None:
    """The executions above ran forked from warm interpreters; fresh ones print the same
    bytes, on every run of a float64 case."""
    jobs = [(run, Job(scripts[(FORK_CHECK, RUNS[run][0])], RUNS[run][1])) for run in RUNS]
    fresh = run_all(jobs)
    for run, _ in jobs:
        assert fresh[run].returncode == 0, fresh[run].stderr
        assert fresh[run].stdout == executions[(FORK_CHECK, run)].stdout, run
