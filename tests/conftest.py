"""Shared fixtures; tests/ helpers (support) import as plain modules."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from mutants import MUTANTS
from support import RUNS, TARGETS, build_cases, case_targets

import specc
from specc.agreement import MEMBERS
from specc.diagnostics import Source
from specc.runner import (
    NATIVE_MEMBERS,
    Execution,
    Job,
    band_scripts,
    native_scripts,
    run_all,
    slowest_first,
    write_scripts,
)


@pytest.fixture(scope="session")
def scripts(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """Every case built for every target that computes it, written with its data files;
    keyed by (case, target). A float32 case's NumPy script has the band's runs beside it,
    keyed by (case, run): `exact` and the ensemble's (`specc.runner.band_scripts`)."""
    paths: dict[tuple[str, str], Path] = {}
    for case in build_cases():
        source = Source(case.spec.name, case.spec.read_text(encoding="utf-8"))
        result = specc.build(source, case_targets(case))  # NumPy has no `native` weights
        directory = tmp_path_factory.mktemp(case.name.replace("/", "_"))
        written = write_scripts(
            result.scripts, directory, case.spec.stem, result.spec, case.spec.parent
        )
        paths |= {(case.name, target): path for target, path in written.items()}
        if result.spec.dtype == "float32" and "numpy" in written:
            band = band_scripts(written["numpy"], MEMBERS)
            paths |= {(case.name, run): path for run, path in band.items()}
        if result.spec.native:
            draws = native_scripts(result.spec, written, directory, case.spec.stem, NATIVE_MEMBERS)
            paths |= {(case.name, run): path for run, path in draws.items()}
    for mutant in MUTANTS:  # tests/test_mutations.py says when one's `old` is not there
        script = paths[(mutant.case, RUNS[mutant.run][0])]
        text = script.read_text(encoding="utf-8")
        if text.count(mutant.old) == 1:
            path = script.with_name(f"{script.stem}_mutant_{mutant.name}.py")
            path.write_text(text.replace(mutant.old, mutant.new), encoding="utf-8")
            paths[(mutant.case, f"mutant {mutant.name}")] = path
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
    mutants = {f"mutant {m.name}": RUNS[m.run][1] for m in MUTANTS}
    jobs += [  # the band's runs and the mutants
        (key, Job(path, mutants.get(key[1], {})))
        for key, path in scripts.items()
        if key[1] not in TARGETS
    ]
    return run_all(jobs, warm=True)
