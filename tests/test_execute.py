"""Every case's scripts run in fresh processes, in parallel, and the targets agree.

torch is the reference each other target is held against (until the NumPy target lands).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from agreement import disagreements, parse_output
from support import TARGETS, Case, build_cases

import specc
from specc.diagnostics import Source

REFERENCE = "torch"


@dataclass(frozen=True)
class Execution:
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def _run(script: Path) -> Execution:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "KERAS_"))}
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, script.name],
        cwd=script.parent,  # a user's directory: nothing of specc's beside the script
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    return Execution(proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - start)


@pytest.fixture(scope="session")
def executions(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Execution]:
    """Build every case for every target, then run all scripts at once, one per core."""
    scripts: dict[tuple[str, str], Path] = {}
    for case in build_cases():
        source = Source(case.spec.name, case.spec.read_text(encoding="utf-8"))
        result = specc.build(source, list(TARGETS))
        directory = tmp_path_factory.mktemp(case.name.replace("/", "_"))
        for target, text in result.scripts.items():
            path = directory / f"{case.spec.stem}_{target}.py"
            path.write_text(text, encoding="utf-8")
            scripts[(case.name, target)] = path
    # The longest cases first, so the pool does not finish on one straggler.
    order = sorted(scripts, key=lambda key: key[1] != "keras")
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = dict(zip(order, pool.map(_run, [scripts[k] for k in order]), strict=True))
    return results


CASES = build_cases()


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_script_runs_quietly(case: Case, target: str, executions: dict) -> None:
    run = executions[(case.name, target)]
    assert run.returncode == 0, f"{case.name} ({target}) failed:\n{run.stderr}"
    assert run.stderr == "", f"{case.name} ({target}) wrote to stderr:\n{run.stderr}"
    report = parse_output(run.stdout)
    assert report.losses, "the script logged no loss"
    assert report.params, "the script printed no trained parameters"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_targets_agree(case: Case, executions: dict) -> None:
    runs = {t: executions[(case.name, t)] for t in TARGETS}
    if any(r.returncode for r in runs.values()):
        pytest.skip("a script failed; test_script_runs_quietly reports it")
    parsed = {t: parse_output(r.stdout) for t, r in runs.items()}
    problems = [
        f"{target} vs {REFERENCE}: {problem}"
        for target in TARGETS
        if target != REFERENCE
        for problem in disagreements(REFERENCE, parsed[REFERENCE], target, parsed[target])
    ]
    assert not problems, "the targets disagree:\n  " + "\n  ".join(problems)
