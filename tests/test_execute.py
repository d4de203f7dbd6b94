"""Every case's scripts run in parallel, and every target agrees with the NumPy reference,
whose backward pass tests/test_gradients.py holds to finite differences.
"""

from __future__ import annotations

import pytest
from support import (
    DEVICE_TWINS,
    FORK_CHECK,
    FRESH,
    FRESH_RUNS,
    GPU_NODES,
    KNOWN_WRONG,
    NO_GPU,
    RUNS,
    Case,
    build_cases,
)

import specc
from specc import runner
from specc.agreement import (
    KNOWN_GAPS,
    STATISTICAL,
    band,
    disagreements,
    judge,
    loss_floor,
    multiple,
    parse_output,
    statistical_band,
    tolerance,
)
from specc.diagnostics import Source
from specc.runner import (
    ENSEMBLE,
    EXACT,
    NATIVE_MEMBERS,
    ensemble_reports,
    native_groups,
    refusal,
)

REFERENCE = runner.REFERENCE  # "numpy"


CASES = build_cases()


@pytest.mark.parametrize("target", RUNS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_script_runs_quietly(case: Case, target: str, executions: dict) -> None:
    if (case.name, target) not in executions:
        pytest.skip(f"{target} does not build this spec (it refuses the spec with an error)")
    run = executions[(case.name, target)]
    spec = specc.build(Source(case.spec.name, case.spec.read_text()), []).spec
    if (why := refusal(target, spec)) is not None:  # the script says so, and exits
        assert run.returncode == 1, f"{case.name} ({target}) ran, where it refuses: {why}"
        said = run.stderr.strip().splitlines()[-1] if run.stderr.strip() else ""
        told = (why, why.replace(" its ", " ").removesuffix(" backend"))
        assert said.startswith(f"{spec.name}: ") and any(t in said for t in told), said
        return
    assert run.returncode == 0, f"{case.name} ({target}) failed:\n{run.stderr}"
    allowed = {""}
    if spec.device == "gpu":  # where no GPU is found, one line (on a GPU machine, either)
        allowed = {no_gpu(target), ""} if GPU_NODES else {no_gpu(target)}
    assert run.stderr in allowed, f"{case.name} ({target}) wrote to stderr:\n{run.stderr}"
    report = parse_output(run.stdout)
    assert report.losses or report.text, "the script logged no loss"
    assert report.params, "the script printed no trained parameters"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_targets_agree(case: Case, executions: dict) -> None:
    """float32: every run within its multiple of the band around the exact answer;
    float64: every run within the float64 tolerance of the NumPy reference's."""
    spec = specc.build(Source(case.spec.name, case.spec.read_text()), []).spec
    # A run whose script refuses the spec is held to its refusal (test_script_runs_quietly).
    runs = {
        t: executions[(case.name, t)]
        for t in RUNS
        if (case.name, t) in executions and refusal(t, spec) is None
    }
    if any(r.returncode for r in runs.values()):
        pytest.skip("a script failed; test_script_runs_quietly reports it")
    parsed = {t: parse_output(r.stdout) for t, r in runs.items()}
    if spec.statistical:
        problems = _outside_the_draws(case, spec, parsed, executions)
    elif spec.dtype == "float32":
        for (name, run), why in KNOWN_WRONG.items():  # as the build warns: it leaves the band
            if name == case.name:
                wrong = {run: parsed.pop(run)}
                assert _outside_the_band(case, spec, wrong, executions), f"{run} agrees: {why}"
        problems = _outside_the_band(case, spec, parsed, executions)
    else:
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


def _outside_the_draws(case: Case, spec, parsed: dict, executions: dict) -> list[str]:
    """`native` weights, Dropout: each run within STATISTICAL deviations of the mean of NumPy
    runs from draws of the distribution its framework draws from, and of Dropout's masks."""
    problems = []
    targets_run = dict.fromkeys(RUNS[run][0] for run in parsed)
    for label, targets in native_groups(spec, targets_run).items():
        draws = [
            execution
            for (name, run), execution in executions.items()
            if name == case.name and run.rpartition(" ")[0] == f"draw {label}"
        ]
        assert len(draws) == NATIVE_MEMBERS and not any(d.returncode or d.stderr for d in draws)
        measured = statistical_band([parse_output(d.stdout) for d in draws])
        problems += [
            problem
            for run, report in parsed.items()
            if RUNS[run][0] in targets
            for problem in judge(measured, run, report, multiple=STATISTICAL).problems
        ]
    return problems


def _outside_the_band(case: Case, spec, parsed: dict, executions: dict) -> list[str]:
    """Every run, the float32 NumPy reference's included, held to the band."""
    band_runs = {
        k[1]: v
        for k, v in executions.items()
        if k[0] == case.name and (k[1] == EXACT or k[1].startswith(ENSEMBLE))
    }
    for name, execution in band_runs.items():
        assert execution.returncode == 0, f"{name} failed:\n{execution.stderr}"
        assert execution.stderr == "", f"{name} wrote to stderr:\n{execution.stderr}"
    members = ensemble_reports(v.stdout for k, v in sorted(band_runs.items()) if k != EXACT)
    measured = band(parse_output(band_runs[EXACT].stdout), [parse_output(m) for m in members])
    assert measured.members == len(members) > 0, "an ensemble member printed other values"
    shapes = {w.name: tuple(w.shape) for w in spec.weights}
    return [
        problem
        for run, report in parsed.items()
        for problem in judge(
            measured, run, report, shapes, multiple(RUNS[run][0], spec), loss_floor(run, spec)
        ).problems
    ]


def no_gpu(run: str) -> str:
    """What a `device gpu` script's run says on stderr where it finds no GPU (NumPy: nothing,
    the reference computes on the CPU)."""
    return f"no GPU that {NO_GPU[run]} can use: training on the CPU\n" if run in NO_GPU else ""


@pytest.mark.parametrize("target", RUNS)
@pytest.mark.parametrize("case, twin", DEVICE_TWINS.items())
def test_device_gpu_without_a_gpu_trains_on_the_cpu_as_written(
    case: str, twin: str, target: str, executions: dict
) -> None:
    """Where no GPU is found, a `device gpu` script says so and computes, on the CPU, exactly
    what its twin without the statement computes: the same bytes on stdout."""
    paths = {c.name: c.spec for c in CASES}
    spec, original = (paths[name].read_text(encoding="utf-8") for name in (case, twin))
    body = spec[spec.index("\nmodel ") :].replace("\ndevice gpu\n", "\n", 1)
    assert body == original[original.index("\nmodel ") :], f"{case} is not {twin} on a GPU"
    run, cpu = executions[(case, target)], executions[(twin, target)]
    assert run.returncode == 0, run.stderr
    if GPU_NODES and run.stderr == "" and target in NO_GPU:
        pytest.skip(f"{target} trained on this machine's GPU: the band holds it")
    assert run.stderr == no_gpu(target), run.stderr
    assert run.stdout == cpu.stdout, f"{target}: a `device gpu` run on the CPU printed otherwise"


def test_forked_runs_print_what_fresh_ones_print(executions: dict) -> None:
    """The executions above ran forked from warm interpreters; fresh ones print the same
    bytes, on each engine's run of a float64 case (FORK_CHECK, run again in fresh ones)."""
    for run in FRESH_RUNS:
        fresh = executions[(FORK_CHECK, FRESH + run)]
        assert fresh.returncode == 0, fresh.stderr
        assert fresh.stdout == executions[(FORK_CHECK, run)].stdout, run
