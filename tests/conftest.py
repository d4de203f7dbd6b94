"""Shared fixtures; tests/ helpers (support) import as plain modules."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from support import RUNS, build_cases, case_targets

import specc
from specc.diagnostics import Source
from specc.runner import Execution, Job, run_all, slowest_first, write_scripts


@pytest.fixture(scope="session")
def scripts(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """Every case built for every target that computes it, written with its data files;
    keyed by (case, target)."""
    paths: dict[tuple[str, str], Path] = {}
    for case in build_cases():
        source = Source(case.spec.name, case.spec.read_text(encoding="utf-8"))
        result = specc.build(source, case_targets(case))  # NumPy has no `native` weights
        directory = tmp_path_factory.mktemp(case.name.replace("/", "_"))
        written = write_scripts(
            result.scripts, directory, case.spec.stem, result.spec, case.spec.parent
        )
        paths |= {(case.name, target): path for target, path in written.items()}
    return paths


@pytest.fixture(scope="session")
def executions(scripts: dict[tuple[str, str], Path]) -> dict[tuple[str, str], Execution]:
    """Every script run once, all at once, one per core; keyed by (case, run): each target,
    and Keras scripts again on other backends (RUNS).

    Each script runs whole in a fork of a warm interpreter that has imported its framework
    (`run_all(..., warm=True)`), which prints what a fresh interpreter prints:
    tests/test_runner_warm.py, and tests/test_execute.py for one case on every run."""
    jobs = [
        ((case.name, run), Job(scripts[(case.name, RUNS[run][0])], RUNS[run][1]))
        for run in slowest_first(RUNS)  # the longest runs first, across every case
        for case in build_cases()
        if (case.name, RUNS[run][0]) in scripts
    ]
    return run_all(jobs, warm=True)
