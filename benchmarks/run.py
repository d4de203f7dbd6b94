"""Every performance goal of specc, measured side by side in one run.

    .venv/bin/python benchmarks/run.py                 # everything, medians of 5 runs
    .venv/bin/python benchmarks/run.py --quick         # 1 run of the slow figures
    .venv/bin/python benchmarks/run.py --only build,memory --runs 9 --json

Prints one table: each figure, its goal, and "ok" or "MISSED" ("FAILED" when a measured
process fails, with its first lines of error below the table). Exits 1 if any goal is missed
or any measured process fails. `--json` prints the figures as JSON instead, for a README or CI.

Every time is the wall time of a whole fresh process started as a user starts it
(`python ...` in the repository), the median of N runs (`--runs`, default 5). specc's modules
are byte-compiled first, as pip compiles an installed package's and as its libraries' are
(a machine with PYTHONDONTWRITEBYTECODE set would otherwise compile them in every run).
Commands whose times are compared run alternately (A, B, A, B, ...) after one untimed warm-up
of each, so both see the same page cache, CPU clock and background load. Timings live here,
not in the tests, so a busy CI machine cannot make the tests flaky.

The figures, by section (the names `--only` takes):

build    pydantic model floor: lark and jinja2 imported and one pydantic model with one
         field defined, its validator deferred, the floor the goal is stated against;
         pydantic 2 imports lazily, so `import pydantic` loads almost nothing, and this is
         the least any pydantic model costs. Import floor (information): `python -c "import
         lark, pydantic, jinja2"`, which no program that defines a pydantic model can reach.
         Cold build: `python -m specc build examples/simplenet.spec --target torch -o FILE`.
         Goal: build / pydantic model floor <= 1.3.
memory   peak RSS of that cold build (the largest over its runs). Goal: < 80 MB.
scale    `--target all` builds of generated specs: stacks of 10, 100 and 1,000 Dense
         layers, and an inline data set of 10,000 numbers. Goal: the 1,000-layer and the
         10,000-number builds under 2 s each. Information: ms per added layer between 100
         and 1,000 layers, and t(1000) / t(100) beside the 10x of linear growth (below 10x
         when start-up dominates).
project  `python -m specc build --check` (writes nothing; exit 0: every file current), run
         in a project of 100 specs, all targets (400 files), against the same in a project
         of 1 spec (the cold start), each with a pyproject.toml whose [tool.specc] names its
         specs with `targets = "all"`, each built once, untimed, first. The specs are the
         repository's own, examples/*.spec and tests/cases/*/model.spec, those of them that
         build for all four targets (`init=native` refuses numpy), picked by one `specc build
         --target all` of copies in a temporary folder, without the CSV files some read when
         run (builds read none); they are copied under distinct names, cycling through them
         to reach 100, simplenet first, and the 1-spec project holds simplenet. Goal: the
         100 specs under 2 s. Information: the cold start, and ms per added spec,
         (t(100) - t(1)) / 99.
scripts  wall time and peak RSS of each script built from examples/simplenet.spec, run
         once (information).
keras    specc's Keras script for examples/linear_regression.spec (seed 002's model, 500
         full-batch epochs) against the article's hand-written benchmarks/seed_002_keras.py,
         both on the TensorFlow backend. Goal: specc / seed <= 0.3.

convnet  specc's torch, TF graph and Keras scripts for examples/digits_convnet.spec (5
         epochs of Adam on mini-batches of 128) against idiomatic hand-written ones that
         train the same model (benchmarks/digits_convnet_{torch,tfgraph,keras}.py, Keras's
         with `model.fit`), each pair alternately. Goal: specc / hand-written <= 1.1 in each.
lstm     the same for examples/sine_lstm.spec (an LSTM of 16 units over windows of 20 steps
         of a sine wave, Dense 1, 10 epochs of Adam on shuffled mini-batches of 32) against
         benchmarks/sine_lstm_{torch,tfgraph,keras}.py: torch's with nn.LSTM, the TF graph's
         with its LSTM step written out and run by tf.scan, Keras's with `model.fit`.
         Goal: specc / hand-written <= 1.1 in each.

`--quick` times the 1,000-layer and 10,000-number builds and each Keras, convnet and LSTM
program once.
Peak RSS is read with os.wait4, so this tool runs on Linux (ru_maxrss in KiB) only.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SECTIONS = ("build", "memory", "scale", "project", "scripts", "keras", "convnet", "lstm")
SIMPLENET = "examples/simplenet.spec"
TARGETS = ("torch", "tfgraph", "keras", "numpy")  # whose scripts `scripts` runs
LAYERS = (10, 100, 1_000)  # the last one carries the goal
NUMBERS = 10_000
PROJECT_SPECS = 100  # in the project whose `specc build --check` carries the goal
# The least any pydantic model costs: `import pydantic` alone loads almost nothing (pydantic
# 2 imports lazily); BaseModel, and the field machinery a first model with a field needs, do.
# Its validator deferred, as specc's are (a validator built loads pydantic's plugins).
PYDANTIC_MODEL = """import lark, jinja2
from pydantic import BaseModel, ConfigDict
class M(BaseModel):
    model_config = ConfigDict(defer_build=True)
    x: int"""
ERROR_LINES = 6  # of a failed process's stderr, enough to name the diagnostic


@dataclass(frozen=True)
class Command:
    argv: list[str]
    cwd: Path = ROOT
    env: Mapping[str, str] | None = None  # None: this process's environment


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float
    error: str | None = None  # first lines of stderr when the process failed


@dataclass
class Series:
    """The timed runs of one command; it stops at its first failure."""

    runs: list[Run] = field(default_factory=list)

    @property
    def error(self) -> str | None:
        return next((run.error for run in self.runs if run.error is not None), None)

    @property
    def median(self) -> float | None:
        if self.error is not None or not self.runs:
            return None
        return statistics.median(run.seconds for run in self.runs)

    @property
    def peak_mb(self) -> float | None:
        return None if self.error is not None else max(run.peak_mb for run in self.runs)


@dataclass(frozen=True)
class Goal:
    op: str  # "<=" or "<"
    limit: float

    def met(self, value: float) -> bool:
        return value <= self.limit if self.op == "<=" else value < self.limit


@dataclass(frozen=True)
class Figure:
    section: str
    key: str  # its name in --json
    label: str
    value: float | None  # None: the measured process failed
    unit: str  # "s", "ms", "MB" or "x" (a ratio)
    goal: Goal | None = None  # None: information only
    note: str = ""  # shown in the goal column of information
    error: str | None = None

    @property
    def status(self) -> str:
        if self.value is None:
            return "FAILED"
        if self.goal is None:
            return ""
        return "ok" if self.goal.met(self.value) else "MISSED"

    def shown(self) -> str:
        if self.value is None:
            return "-"
        digits = {"s": 3, "ms": 2, "MB": 1, "x": 2}[self.unit]
        return f"{self.value:.{digits}f}" + ("x" if self.unit == "x" else "")

    def goal_text(self) -> str:
        if self.goal is None:
            return self.note
        return f"{self.goal.op} {self.goal.limit:g}" + ("x" if self.unit == "x" else "")


def run(command: Command) -> Run:
    """Wall time and peak RSS of one process, its stderr kept in a file (no pipe to fill)."""
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        child = subprocess.Popen(command.argv, cwd=command.cwd, env=command.env,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=stderr)  # fmt: skip
        # wait4 gives this child's own rusage; RUSAGE_CHILDREN is a max over all of them.
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped: Popen must not wait
        error = None
        if child.returncode != 0:
            stderr.seek(0)
            lines = stderr.read().decode(errors="replace").strip().splitlines()
            if len(lines) > ERROR_LINES + 1:  # the last line often sums up: "53 errors in ..."
                lines[ERROR_LINES:-1] = [f"[... {len(lines) - ERROR_LINES - 1} more lines]"]
            error = "\n".join(lines) or f"exit status {child.returncode}"
    return Run(seconds, usage.ru_maxrss / 1024, error)  # ru_maxrss: KiB on Linux


def alternate(
    commands: Mapping[str, Command], runs: Mapping[str, int], warm_up: Collection[str] = ()
) -> dict[str, Series]:
    """An untimed warm-up of each command in warm_up (default: all), then rounds of each in
    turn until it has runs[name] timed runs."""
    series = {name: Series() for name in commands}
    for name, command in commands.items():
        if warm_up and name not in warm_up:
            continue
        warm = run(command)
        if warm.error is not None:  # a build that fails once fails every time: no rounds
            series[name].runs.append(warm)
    for round_ in range(max(runs.values(), default=0)):
        for name, command in commands.items():
            if round_ < runs[name] and series[name].error is None:
                series[name].runs.append(run(command))
    return series


def ratio(top: Series, bottom: Series) -> float | None:
    a, b = top.median, bottom.median
    return None if a is None or b is None else a / b


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def script_env() -> dict[str, str]:
    """This environment without TF_/KERAS_ settings, so scripts run as shipped (TF backend)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "KERAS_"))}


def measure_build(runs: int, sections: set[str]) -> list[Figure]:
    commands = {}
    if "build" in sections:
        commands["floor"] = Command([PYTHON, "-c", "import lark, pydantic, jinja2"])
        commands["model"] = Command([PYTHON, "-c", PYDANTIC_MODEL])
    with tempfile.TemporaryDirectory() as folder:
        commands["build"] = Command([PYTHON, "-m", "specc", "build", SIMPLENET,
                                     "--target", "torch", "-o", f"{folder}/s.py"])  # fmt: skip
        progress(f"build: {', '.join(commands)}, x{runs} each, alternately")
        series = alternate(commands, dict.fromkeys(commands, runs))
    build = series["build"]
    figures = []
    if "build" in sections:
        floor, model = series["floor"], series["model"]
        figures += [
            Figure("build", "import_floor_s", "import floor: lark, pydantic, jinja2 (s)",
                   floor.median, "s", error=floor.error),
            Figure("build", "model_floor_s", "import floor with one pydantic model (s)",
                   model.median, "s", error=model.error),
            Figure("build", "cold_build_s", "cold build, simplenet, torch (s)", build.median,
                   "s", error=build.error),
            Figure("build", "cold_build_over_model_floor", "cold build / pydantic model floor",
                   ratio(build, model), "x", Goal("<=", 1.3)),
        ]  # fmt: skip
    if "memory" in sections:
        figures.append(
            Figure("memory", "cold_build_peak_rss_mb", "peak RSS of the cold build (MB)",
                   build.peak_mb, "MB", Goal("<", 80), error=build.error)
        )  # fmt: skip
    return figures


def deep_spec(layers: int) -> str:
    """A stack of `layers` Dense layers: 1 -> 16, then 16 -> 16, then 16 -> 1."""
    middle = ["layer Dense 16->16 relu"] * (layers - 2)
    lines = ["model Deep", "seed 0", "data x = randn(64, 1)", "data y = randn(64, 1)",
             "layer Dense 1->16 relu", *middle, "layer Dense 16->1",
             "loss mse", "optim sgd lr=0.01", "train epochs=1"]  # fmt: skip
    return "\n".join(lines) + "\n"


def data_spec(numbers: int) -> str:
    """One linear unit fitted to an inline list of `numbers` values evenly spaced in [-1, 1)."""
    values = ", ".join(f"{2 * i / numbers - 1:.6g}" for i in range(numbers))
    return (f"model Wide\ndata x = [{values}]\ndata y = 2 * x - 1\nlayer Dense 1->1\n"
            "loss mse\noptim sgd lr=0.01\ntrain epochs=1\n")  # fmt: skip


def measure_scale(
    runs: int, big_runs: int, layers: tuple[int, ...] = LAYERS, numbers: int = NUMBERS
) -> list[Figure]:
    mid, big = layers[-2], layers[-1]
    with tempfile.TemporaryDirectory() as folder:
        specs = {f"layers_{n}": deep_spec(n) for n in layers}
        specs[f"numbers_{numbers}"] = data_spec(numbers)
        commands = {}
        for name, text in specs.items():
            spec = Path(folder) / f"{name}.spec"
            spec.write_text(text)
            commands[name] = Command([PYTHON, "-m", "specc", "build", str(spec),
                                      "--target", "all", "-o", f"{folder}/out/"])  # fmt: skip
        # The goal-bearing builds are the slow ones; --quick times them once.
        counts = {name: runs for name in commands}
        counts[f"layers_{big}"] = counts[f"numbers_{numbers}"] = big_runs
        progress(f"scale: {', '.join(f'{k} x{v}' for k, v in counts.items())}, alternately")
        # All read the same code, so warming the smallest fills the page cache for the rest.
        series = alternate(commands, counts, warm_up=[f"layers_{layers[0]}"])
    figures = [
        Figure("scale", f"layers_{n}_s", f"build, {n:,} Dense layers, all targets (s)",
               series[f"layers_{n}"].median, "s", Goal("<", 2) if n == big else None,
               error=series[f"layers_{n}"].error)
        for n in layers
    ]  # fmt: skip
    t_mid, t_big = series[f"layers_{mid}"].median, series[f"layers_{big}"].median
    both = t_mid is not None and t_big is not None
    figures += [
        Figure("scale", "ms_per_layer", f"added layer, {mid:,} -> {big:,} layers (ms)",
               (t_big - t_mid) / (big - mid) * 1000 if both else None, "ms"),
        Figure("scale", "layers_growth", f"t({big:,} layers) / t({mid:,} layers)",
               t_big / t_mid if both else None, "x", note=f"linear: {big / mid:g}x"),
        Figure("scale", f"numbers_{numbers}_s", f"build, {numbers:,} inline numbers, all (s)",
               series[f"numbers_{numbers}"].median, "s", Goal("<", 2),
               error=series[f"numbers_{numbers}"].error),
    ]  # fmt: skip
    return figures


def own_specs() -> dict[str, Path]:
    """The repository's specs under distinct names, simplenet first: each example by its file
    name, each test case by its folder's."""
    examples = sorted((ROOT / "examples").glob("*.spec"), key=lambda p: p != ROOT / SIMPLENET)
    cases = sorted((ROOT / "tests" / "cases").glob("*/model.spec"))
    return {f"ex_{p.stem}": p for p in examples} | {f"case_{p.parent.name}": p for p in cases}


def make_project(folder: Path, specs: list[Path]) -> None:
    """A project of these specs, all targets, each copied under a name of its own."""
    (folder / "specs").mkdir(parents=True)
    for i, spec in enumerate(specs):
        (folder / "specs" / f"s{i:03d}_{spec.stem}.spec").write_bytes(spec.read_bytes())
    (folder / "pyproject.toml").write_text(
        '[tool.specc]\nspecs = ["specs/*.spec"]\ntargets = "all"\n'
    )


def measure_project(runs: int, count: int = PROJECT_SPECS) -> list[Figure]:
    big_label = f"{count} specs in one `specc build --check`, all targets (s)"
    big_key = f"project_{count}_check_s"
    env = dict(os.environ)  # the working tree's specc, whatever is installed
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        # Which build for all four targets, picked from copies without the CSV files some
        # read when run: a spec that needed its data to build would fail here and be left out.
        (folder / "candidates").mkdir()
        specs = []
        for name, spec in own_specs().items():
            specs.append(folder / "candidates" / f"{name}.spec")
            specs[-1].write_bytes(spec.read_bytes())
        progress(f"project: which of {len(specs)} specs build for all targets")
        picked = folder / "picked"
        tried = run(Command([PYTHON, "-m", "specc", "build", *map(str, specs),
                             "--target", "all", "-o", f"{picked}/"], env=env))  # fmt: skip
        built = [spec for spec in specs
                 if all((picked / f"{spec.stem}_{t}.py").is_file() for t in TARGETS)]  # fmt: skip
        if not built:
            return [Figure("project", big_key, big_label, None, "s",
                           error=tried.error or "no spec built for all targets")]  # fmt: skip
        projects = {"many": folder / "many", "one": folder / "one"}
        make_project(projects["many"], [built[i % len(built)] for i in range(count)])
        make_project(projects["one"], built[:1])
        for project in projects.values():
            written = run(Command([PYTHON, "-m", "specc", "build"], cwd=project, env=env))
            if written.error is not None:
                return [Figure("project", big_key, big_label, None, "s", error=written.error)]
        progress(f"project: {len(built)} of {len(specs)} specs build for all targets; "
                 f"`specc build --check` of {count} and of 1 ({built[0].stem}), x{runs} each, "
                 "alternately")  # fmt: skip
        commands = {name: Command([PYTHON, "-m", "specc", "build", "--check"], cwd=project,
                                  env=env)
                    for name, project in projects.items()}  # fmt: skip
        series = alternate(commands, dict.fromkeys(commands, runs))
    many, one = series["many"], series["one"]
    both = many.median is not None and one.median is not None
    return [
        Figure("project", big_key, big_label, many.median, "s", Goal("<", 2.0),
               error=many.error),
        Figure("project", "project_1_check_s", "cold start: 1-spec project, --check (s)",
               one.median, "s", error=one.error),
        Figure("project", "project_ms_per_spec", f"added spec, 1 -> {count} specs (ms)",
               (many.median - one.median) / (count - 1) * 1000 if both else None, "ms"),
    ]  # fmt: skip


def measure_scripts() -> list[Figure]:
    with tempfile.TemporaryDirectory() as folder:
        build = run(Command([PYTHON, "-m", "specc", "build", SIMPLENET,
                             "--target", "all", "-o", f"{folder}/"]))  # fmt: skip
        if build.error is not None:
            return [Figure("scripts", "simplenet_build_s", "build, simplenet, all targets (s)",
                           None, "s", error=build.error)]  # fmt: skip
        figures = []
        for target in TARGETS:
            script = Path(folder) / f"simplenet_{target}.py"
            progress(f"scripts: {script.name}")
            # Its own folder as cwd, as a user runs it after a build.
            done = run(Command([PYTHON, script.name], cwd=Path(folder), env=script_env()))
            wall, peak = (None, None) if done.error else (done.seconds, done.peak_mb)
            figures += [
                Figure("scripts", f"{script.stem}_s", f"{script.name}: run once (s)", wall,
                       "s", error=done.error),
                Figure("scripts", f"{script.stem}_peak_rss_mb", f"{script.name}: peak RSS (MB)",
                       peak, "MB"),
            ]  # fmt: skip
    return figures


def measure_keras(runs: int) -> list[Figure]:
    env = script_env() | {"TF_CPP_MIN_LOG_LEVEL": "2"}  # both quiet alike
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "linear_regression_keras.py"
        build = run(Command([PYTHON, "-m", "specc", "build", "examples/linear_regression.spec",
                             "--target", "keras", "-o", str(script)]))  # fmt: skip
        if build.error is not None:
            return [Figure("keras", "specc_keras_s", "specc's Keras script, 500 epochs (s)",
                           None, "s", error=build.error)]  # fmt: skip
        commands = {
            "seed": Command([PYTHON, "benchmarks/seed_002_keras.py"], env=env),
            "specc": Command([PYTHON, str(script)], env=env),
        }
        progress(f"keras: seed 002 and specc, x{runs} each after a warm-up, alternately")
        series = alternate(commands, dict.fromkeys(commands, runs))
    seed, ours = series["seed"], series["specc"]
    return [
        Figure("keras", "seed_002_keras_s", "seed 002's Keras program, 500 epochs (s)",
               seed.median, "s", error=seed.error),
        Figure("keras", "specc_keras_s", "specc's Keras script, 500 epochs (s)", ours.median,
               "s", error=ours.error),
        Figure("keras", "specc_over_seed", "specc's Keras / seed 002's", ratio(ours, seed),
               "x", Goal("<=", 0.3)),
    ]  # fmt: skip


@dataclass(frozen=True)
class Versus:
    """An example whose torch, TF graph and Keras scripts are timed against hand-written
    benchmarks/<stem>_<target>.py that train the same model."""

    section: str
    spec: str
    label: str  # the example's name in the table
    prefix: str = ""  # of its figures' keys in --json

    @property
    def stem(self) -> str:
        return Path(self.spec).stem


CONVNET = Versus("convnet", "examples/digits_convnet.spec", "digits convnet")
LSTM = Versus("lstm", "examples/sine_lstm.spec", "sine LSTM", prefix="lstm_")


def measure_versus(example: Versus, runs: int) -> list[Figure]:
    env = script_env() | {"TF_CPP_MIN_LOG_LEVEL": "2"}  # quiet alike
    section, key, label = example.section, example.prefix, example.label
    figures = []
    with tempfile.TemporaryDirectory() as folder:
        for target in ("torch", "tfgraph", "keras"):
            script = Path(folder) / f"{example.stem}_{target}.py"
            build = run(Command([PYTHON, "-m", "specc", "build", example.spec,
                                 "--target", target, "-o", str(script)]))  # fmt: skip
            if build.error is not None:
                figures.append(Figure(section, f"{key}specc_{target}_s", f"{script.name} (s)",
                                      None, "s", error=build.error))  # fmt: skip
                continue
            commands = {
                "hand": Command([PYTHON, f"benchmarks/{example.stem}_{target}.py"], env=env),
                "specc": Command([PYTHON, str(script)], env=env),
            }
            progress(f"{section}: {target}, hand-written and specc's, x{runs} each, alternately")
            series = alternate(commands, dict.fromkeys(commands, runs))
            hand, ours = series["hand"], series["specc"]
            figures += [
                Figure(section, f"{key}hand_{target}_s", f"{label}, {target} by hand (s)",
                       hand.median, "s", error=hand.error),
                Figure(section, f"{key}specc_{target}_s", f"{label}, specc's {target} (s)",
                       ours.median, "s", error=ours.error),
                Figure(section, f"{key}specc_over_hand_{target}",
                       f"{label}, specc's {target} / by hand", ratio(ours, hand), "x",
                       Goal("<=", 1.1)),
            ]  # fmt: skip
    return figures


def table(figures: list[Figure]) -> str:
    width = max(len("figure"), *(len(f.label) for f in figures))
    rows = [f"{'figure':<{width}}  {'value':>9}  {'goal':<14}  status"]
    for f in figures:
        rows.append(f"{f.label:<{width}}  {f.shown():>9}  {f.goal_text():<14}  {f.status}")
    for f in figures:  # after the table, so that it stays readable
        if f.error is not None:
            rows += ["", f"FAILED: {f.label}", *("    " + line for line in f.error.splitlines())]
    return "\n".join(row.rstrip() for row in rows)


def as_json(figures: list[Figure], runs: int, quick: bool) -> str:
    return json.dumps(
        {
            "runs": runs,
            "quick": quick,
            "ok": not any(f.status in ("MISSED", "FAILED") for f in figures),
            "figures": {
                f.key: {
                    "section": f.section,
                    "label": f.label,
                    "value": f.value,
                    "unit": f.unit,
                    "goal": f.goal_text() if f.goal else None,
                    "status": f.status or "info",
                    "error": f.error,
                }
                for f in figures
            },
        },
        indent=2,
    )


def sections_arg(text: str) -> set[str]:
    names = {name.strip() for name in text.split(",") if name.strip()}
    unknown = names - set(SECTIONS)
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"{', '.join(sorted(unknown)) or text!r}: choose from {', '.join(SECTIONS)}"
        )
    return names


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number of runs, 1 or more")
    return int(text)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=positive, default=5, help="timed runs of each (default 5)")
    parser.add_argument("--quick", action="store_true",
                        help="time the big builds and each framework program once")  # fmt: skip
    parser.add_argument("--only", type=sections_arg, default=set(SECTIONS), metavar="NAME[,NAME]",
                        help=f"sections to measure, of: {', '.join(SECTIONS)}")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    slow_runs = 1 if args.quick else args.runs
    compileall.compile_dir(ROOT / "specc", quiet=1)

    figures: list[Figure] = []
    if args.only & {"build", "memory"}:
        figures += measure_build(args.runs, args.only)
    if "scale" in args.only:
        figures += measure_scale(args.runs, slow_runs)
    if "project" in args.only:
        figures += measure_project(args.runs)
    if "scripts" in args.only:
        figures += measure_scripts()
    if "keras" in args.only:
        figures += measure_keras(slow_runs)
    for example in (CONVNET, LSTM):
        if example.section in args.only:
            figures += measure_versus(example, slow_runs)

    print(as_json(figures, args.runs, args.quick) if args.json else table(figures))
    return 1 if any(f.status in ("MISSED", "FAILED") for f in figures) else 0


if __name__ == "__main__":
    sys.exit(main())
