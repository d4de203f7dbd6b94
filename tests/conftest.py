"""Shared fixtures; tests/ helpers (support) import as plain modules."""

from __future__ import annotations

import sys
import threading
from concurrent.futures import Future
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that need the scripts' runs go last, in their order: the runs start with the
    session, in the background (`_runs`), and every other test runs meanwhile."""
    needs = {item: "executions" in getattr(item, "fixturenames", ()) for item in items}
    items.sort(key=needs.__getitem__)
    config.stash[_NEEDED] = any(needs.values())


_NEEDED = pytest.StashKey[bool]()


@pytest.fixture(scope="session", autouse=True)
def _runs(request: pytest.FixtureRequest) -> Future[dict[tuple[str, str], Execution]] | None:
    """Every script run once, all at once, one per core, in a thread started with the
    session when some collected test needs the runs; keyed by (case, run): each target, and
    Keras scripts again on other backends (RUNS).

    Each script runs whole in a fork of a warm interpreter that has imported its framework
    (`run_all(..., warm=True)`), which prints what a fresh interpreter prints:
    tests/test_runner_warm.py, and tests/test_execute.py for one case on every run."""
    if not request.config.stash.get(_NEEDED, False):
        return None
    scripts = request.getfixturevalue("scripts")
    jobs = [
        ((case.name, run), Job(scripts[(case.name, RUNS[run][0])], RUNS[run][1]))
        for run in slowest_first(RUNS)  # the longest runs first, across every case
        for case in build_cases()
        if (case.name, RUNS[run][0]) in scripts
    ]
    runs: Future[dict[tuple[str, str], Execution]] = Future()

    def run() -> None:
        try:
            runs.set_result(run_all(jobs, warm=True))
        except BaseException as error:  # the tests that need the runs report it
            runs.set_exception(error)

    # A daemon: an interrupted session does not wait for the runs (their processes finish
    # on their own).
    threading.Thread(target=run, name="specc-runs", daemon=True).start()
    return runs


@pytest.fixture(scope="session")
def executions(
    _runs: Future[dict[tuple[str, str], Execution]] | None,
) -> dict[tuple[str, str], Execution]:
    """The runs started by `_runs`, once they have all finished."""
    assert _runs is not None, "collected tests that need the runs start them"
    return _runs.result()
