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

from support import TARGETS, build_cases

import specc
from specc.diagnostics import Source


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
        for data_file in case.spec.parent.glob("*.csv"):  # read by the scripts at run time
            shutil.copy(data_file, directory)
        for target, text in result.scripts.items():
            path = directory / f"{case.spec.stem}_{target}.py"
            path.write_text(text, encoding="utf-8")
            scripts[(case.name, target)] = path
    # The longest cases first, so the pool does not finish on one straggler.
    order = sorted(scripts, key=lambda key: key[1] != "keras")
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = dict(zip(order, pool.map(_run, [scripts[k] for k in order]), strict=True))
    return results
