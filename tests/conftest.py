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
def executions(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Execution]:
    """Build every case for every target, then run all scripts at once, one per core.

    Keyed by (case, run): each target, and Keras scripts again on other backends (RUNS).
    Cold, each in a fresh interpreter: `run_all(..., warm=True)` is not used yet, since a
    float64 Keras script on TensorFlow printed losses 3e-8 apart forked from a warm
    interpreter (issue 12, in progress)."""
    scripts: dict[tuple[str, str], Path] = {}
    for case in build_cases():
        source = Source(case.spec.name, case.spec.read_text(encoding="utf-8"))
        result = specc.build(source, case_targets(case))  # NumPy has no `native` weights
        directory = tmp_path_factory.mktemp(case.name.replace("/", "_"))
        paths = write_scripts(
            result.scripts, directory, case.spec.stem, result.spec, case.spec.parent
        )
        scripts |= {(case.name, target): path for target, path in paths.items()}
    jobs = [
        ((case.name, run), Job(scripts[(case.name, RUNS[run][0])], RUNS[run][1]))
        for run in slowest_first(RUNS)  # the longest runs first, across every case
        for case in build_cases()
        if (case.name, RUNS[run][0]) in scripts
    ]
    return run_all(jobs)
