"""Shared test helpers: where the golden cases are, and how to run the real CLI."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import specc
from specc import cli, ir, runner
from specc.compiler import analyze, supported
from specc.diagnostics import Source

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "cases"
ERRORS = ROOT / "tests" / "errors"
EXAMPLES = ROOT / "examples"
TARGETS = specc.TARGETS  # every target, in the order `--target all` writes them
# Every way a script is run: each target, and Keras scripts again on other Keras backends.
RUNS = runner.RUNS

# float64, mini-batches: where a forked run could drift first. Its runs on each engine are
# run again in fresh interpreters, keyed (FORK_CHECK, FRESH + run): one Keras backend stands
# for Keras's own state (the others share TensorFlow's and torch's engines with tfgraph and
# torch), since a cold TensorFlow import costs 10-20 s of CPU on each fresh run.
FORK_CHECK = "minibatch_float64"
FRESH = "fresh "
FRESH_RUNS = ("numpy", "torch", "tfgraph", "keras[jax]")

# A float32 case's band (the exact answer and the ensemble) is stored in BANDS, keyed by what
# its runs depend on (conftest.py's `band_key`), and not run again while the key holds. One
# band runs every session all the same and must print its file's stdout exactly
# (tests/test_bands.py): the cheapest (0.2 s), whose 2-term products print the same bytes on
# every BLAS kernel (OPENBLAS_CORETYPE=Prescott too), where larger bands' last digits move.
BANDS = ROOT / "tests" / "bands"
BAND_CHECK = "adversarial_strings"

# Runs that compute other numbers than the spec means, as their build warns, with why: each
# must leave the band (tests/test_execute.py), until its framework is fixed.
KNOWN_WRONG = {
    ("avg_pool_padding", "keras[torch]"): "Keras 3.15's torch backend pads uneven `same` "
    "average pooling by repeating the edge",
}

# A case that is another with `device gpu` added: where no GPU is found, each run of it says
# so in one line on stderr (NO_GPU, naming the framework that looked) and prints exactly what
# its twin's run prints (tests/test_execute.py). No framework sees a GPU that has no device
# node: an NVIDIA GPU's /dev/nvidia0, ..., an AMD one's /dev/kfd.
DEVICE_TWINS = {"device_gpu": "minibatch_shuffle"}
NO_GPU = {
    "torch": "torch",
    "tfgraph": "TensorFlow",
    "keras": "Keras on tensorflow",
    "keras[jax]": "Keras on jax",
    "keras[torch]": "Keras on torch",
}
GPU_NODES = any(Path("/dev").glob("nvidia[0-9]*")) or Path("/dev/kfd").exists()

# `SPECC_REGEN=1 pytest` rewrites every golden file through the real CLI.
REGEN = os.environ.get("SPECC_REGEN") == "1"


@dataclass(frozen=True)
class Case:
    """A spec and the directory holding its expected scripts, one per target."""

    name: str
    spec: Path
    directory: Path

    def expected(self, target: str) -> Path:
        return self.directory / f"{self.spec.stem}_{target}.py"


def case_targets(case: Case) -> list[str]:
    """The targets a case builds for: every one that computes its spec."""
    source = Source(case.spec.name, case.spec.read_text(encoding="utf-8"))
    return supported(analyze(source, [])[0])


def build_cases() -> list[Case]:
    """tests/cases/<name>/model.spec, and examples/<name>.spec with examples/<name>/."""
    cases = [Case(d.name, d / "model.spec", d) for d in sorted(CASES.iterdir()) if d.is_dir()]
    cases += [
        Case(f"examples/{p.stem}", p, EXAMPLES / p.stem) for p in sorted(EXAMPLES.glob("*.spec"))
    ]
    return cases


def assert_valid(spec: ir.Spec) -> None:
    """`spec` is what validating its own fields gives: same types (a tuple is not a list, 1
    is not 1.0, which `==` would not tell apart), values and defaults."""
    validated = ir.Spec.model_validate(spec.model_dump())
    assert repr(validated) == repr(spec)
    assert validated.weights == spec.weights


def error_cases() -> list[Path]:
    """tests/errors/<name>/ holding model.spec and the expected stderr.txt."""
    return [d for d in sorted(ERRORS.iterdir()) if d.is_dir()]


def specc(
    *args: str, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    """Run `python -m specc` in a fresh process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "specc", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )


def specc_main(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """`specc.cli.main` run in this process, in `cwd`, its output captured: what
    `python -m specc` runs, without an interpreter's start-up for each of a hundred goldens
    (test_cli.py runs the command itself)."""
    out, err = io.StringIO(), io.StringIO()
    before = Path.cwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = cli.main(list(args))
    finally:
        os.chdir(before)
    return subprocess.CompletedProcess(["specc", *args], status, out.getvalue(), err.getvalue())
