"""Keras with many epochs: specc's script against the hand-written seed 002 program.

    python benchmarks/bench_keras_epochs.py [--runs 3]   # exit 1 if the goal is missed

Both train one Dense unit for 500 full-batch epochs on the TensorFlow backend. They run
alternately in one session, each in a fresh interpreter, so both see the same machine; the
ratio of their median wall times is the figure, and the goal is specc's at most 0.3 of the
seed's. Timed here, not in the tests, so a busy CI machine cannot make the tests flaky.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "benchmarks" / "seed_002_keras.py"
SPEC = ROOT / "examples" / "linear_regression.spec"  # seed 002's model, 500 epochs
GOAL = 0.3


def _wall(script: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, str(script)], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each (default 3)")
    runs = parser.parse_args().runs
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KERAS_", "TF_"))}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"  # both quiet alike
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "linear_regression_keras.py"
        subprocess.run([sys.executable, "-m", "specc", "build", str(SPEC), "-t", "keras", "-o",
                        str(script)], check=True, cwd=ROOT)  # fmt: skip
        _wall(script, env)  # one run each first, so that both read the framework from cache
        _wall(SEED, env)
        seed, ours = [], []
        for _ in range(runs):
            seed.append(_wall(SEED, env))
            ours.append(_wall(script, env))
    ratio = statistics.median(ours) / statistics.median(seed)
    print(f"seed 002's Keras program, 500 epochs (s)  {statistics.median(seed):7.2f}")
    print(f"specc's Keras script, 500 epochs (s)      {statistics.median(ours):7.2f}")
    ok = ratio <= GOAL
    print(f"ratio                                     {ratio:7.2f}   goal <= {GOAL}   "
          f"{'ok' if ok else 'MISSED'}")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
