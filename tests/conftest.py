"""Shared fixtures; tests/ helpers (support, agreement) import as plain modules."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from support import RUNS, TARGETS, build_cases

import specc
from specc.diagnostics import Source


@dataclass(frozen=True)
class Execution:
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def _run(script: Path, extra: dict[str, str]) -> Execution:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "KERAS_"))} | extra
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
    """Build every case for every target, then run all scripts at once, one per core.

    Keyed by (case, run): each target, and Keras scripts again on other backends (RUNS)."""
    scripts: dict[tuple[str, str], Path] = {}
    for case in build_cases():
        source = Source(case.spec.name, case.spec.read_text(encoding="utf-8"))
        result = specc.build(source, list(TARGETS))
        directory = tmp_path_factory.mktemp(case.name.replace("/", "_"))
        for data_file in case.spec.parent.glob("*.csv"):  # read by the scripts at run time
            shutil.copy(data_file, directory)
        for target, text in result.scripts.items():
            path = directory / f"{case.spec.stem}_{target}.py"
            path.write_text(text, encoding="utf-8")
            scripts[(case.name, target)] = path
    runs = [(case.name, run) for case in build_cases() for run in RUNS]
    # The longest runs (Keras) first, so the pool does not finish on one straggler.
    runs.sort(key=lambda key: not key[1].startswith("keras"))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        done = pool.map(lambda key: _run(scripts[(key[0], RUNS[key[1]][0])], RUNS[key[1]][1]), runs)
        return dict(zip(runs, done, strict=True))
