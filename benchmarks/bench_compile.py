"""Speed and memory of the compiler path, held to the project's targets.

    python benchmarks/bench_compile.py            # measure, exit 1 if a target is missed

Targets: a cold `specc build --target all` (a fresh process, as a user runs it) under
1.0 s and 150 MB peak RSS; compiling one target in an warm process under 100 ms.
Timed here, not in the tests, so a busy CI machine cannot make the tests flaky.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "examples" / "simplenet.spec"
TARGETS = {"cold build, all targets (s)": 1.0, "peak RSS of a build (MB)": 150.0,
           "warm compile, one target (ms)": 100.0}  # fmt: skip


def cold_build(runs: int = 7) -> tuple[float, float]:
    """Median wall time and largest peak RSS of `python -m specc build ... --target all`."""
    times, peaks = [], []
    with tempfile.TemporaryDirectory() as out:
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "specc", "build", str(SPEC), "-t", "all", "-o", out],
                check=True,
                cwd=ROOT,
            )
            times.append(time.perf_counter() - start)
            peaks.append(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    return statistics.median(times), max(peaks)


def warm_compile(runs: int = 50) -> float:
    """Median milliseconds for specc.compile() once imports and parser tables are loaded."""
    sys.path.insert(0, str(ROOT))
    import specc

    text = SPEC.read_text()
    specc.compile(text, "torch", SPEC.name)
    times = []
    for i in range(runs):
        target = ("torch", "tfgraph", "keras")[i % 3]
        start = time.perf_counter()
        specc.compile(text, target, SPEC.name)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    os.chdir(ROOT)
    seconds, peak = cold_build()
    measured = {
        "cold build, all targets (s)": seconds,
        "peak RSS of a build (MB)": peak,
        "warm compile, one target (ms)": warm_compile(),
    }
    failed = False
    for name, value in measured.items():
        ok = value <= TARGETS[name]
        failed |= not ok
        print(f"{name:32} {value:8.3f}   target <= {TARGETS[name]:g}   {'ok' if ok else 'MISSED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
