"""`specc compare`: run every target's script at once and hold each run to the exact answer.

The steps, each a function of its own so that tests can hold any of them alone: `plan`
(which runs, which are skipped and why, and what they are held to), `execute` (write the
build into a temporary folder and run it, with the band's runs beside it and a live
`Progress`), `evaluate` (the facts of each run, from what the scripts printed), then
`table`, `to_json` and `plot` to show them. The command line (`specc/cli.py`) reads and
checks the spec the way `specc build` does, and hands the scripts over.

A float32 spec's runs are held to the band (`specc.agreement.judge`): the exact answer (the
NumPy reference computed in float64 on the same float32 experiment) and, at every value, a
multiple of the spread of float32 runs whose roundings differ. A float64 spec's runs are
held to the NumPy reference's within `tolerance`. Where each framework draws for itself
(`init=native` weights, Dropout's masks), the runs are held to NumPy runs from draws of their
own (`specc.agreement.statistical_band`), or without NumPy compared with the first that ran,
and not held.
"""

from __future__ import annotations

import math
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO

from . import ir
from .agreement import (
    LOSS_FLOOR,
    MEMBERS,
    MULTIPLE,
    STATISTICAL,
    TRAINED,
    TRAINED_MODEL,
    WIDER,
    Band,
    Judgement,
    Run,
    Tolerance,
    band_gap,
    disagreements,
    first_divergence,
    format_lines,
    judge,
    known_gap,
    largest,
    logged_steps,
    loss_curve,
    loss_floor,
    loss_gaps,
    multiple,
    param_gap,
    parse_output,
    place,
    statistical_band,
    tolerance,
)
from .agreement import band as measure_band
from .backends import TARGETS, backend
from .runner import (
    EXACT,
    NATIVE_MEMBERS,
    REFERENCE,
    RUNS,
    Event,
    Execution,
    Job,
    band_scripts,
    ensemble_reports,
    installed,
    job,
    missing_extras,
    native_groups,
    native_scripts,
    refusal,
    run_all,
    script_folder,
    slowest_first,
    write_scripts,
)
from .runner import band_runs as runner_band_runs

Status = Literal["reference", "agrees", "differs", "failed", "skipped", "ran", "not compared"]
TAIL = 5  # the last lines of a crashed script's stderr that the report shows
EXACT_LABEL = "exact (float64)"  # the exact run's row


def select(text: str | None) -> list[str]:
    """The runs `--targets` names (comma-separated), or every run; ValueError naming the
    valid ones for a name that is not a run."""
    if text is None:
        return list(RUNS)
    names = [name.strip() for name in text.split(",")]
    unknown = [name for name in names if name not in RUNS]
    if unknown or not any(names):
        wrong = ", ".join(map(repr, unknown)) or "''"
        raise ValueError(f"unknown target {wrong} (choose from {', '.join(RUNS)})")
    return list(dict.fromkeys(names))


def given_scripts(texts: Sequence[str], runs: Sequence[str]) -> dict[str, Path]:
    """`--script TARGET=FILE` options as target -> file; ValueError, in one line, for a name
    that is not a target, a file that is not there, a target given twice, or one whose runs
    are not among `runs`."""
    given: dict[str, Path] = {}
    for text in texts:
        target, equals, name = text.partition("=")
        target = target.strip()
        if not equals or not name:
            raise ValueError(f"--script {text}: give it as TARGET=FILE, such as torch=my_torch.py")
        if target not in TARGETS:
            keras = (
                " (a Keras script runs on every Keras backend: keras=FILE)" if "[" in target else ""
            )
            raise ValueError(
                f"--script {text}: {target!r} is not a target (choose from "
                f"{', '.join(TARGETS)}){keras}"
            )
        if target in given:
            raise ValueError(f"--script {text}: {target} is given twice")
        path = Path(name)
        if not path.is_file():
            raise ValueError(f"--script {text}: {name}: no such file")
        if not any(RUNS[run][0] == target for run in runs):
            raise ValueError(f"--script {text}: --targets runs no {target} script")
        given[target] = path
    return given


def band_runs() -> list[str]:
    """The runs that make the band, as `runner.band_scripts` names them."""
    return runner_band_runs(MEMBERS)


# With `native` weights or Dropout the runs are held to the draws: for each distribution the
# targets draw from, NATIVE_MEMBERS NumPy runs from their own draws of it and of Dropout's
# masks (`runner.native_scripts`).
DRAWS = "draws"


def draw_runs(spec: ir.Spec, runs: Sequence[str]) -> list[str]:
    """The draws' runs for `runs`, as `runner.native_scripts` names them."""
    targets = dict.fromkeys(RUNS[run][0] for run in runs)
    return [
        f"draw {label} {member}"
        for label in native_groups(spec, targets)
        for member in range(1, NATIVE_MEMBERS + 1)
    ]


def banded(spec: ir.Spec) -> bool:
    """Whether a spec's runs are held to the band: float32, with weights drawn by specc,
    and a NumPy reference that runs here and computes the spec."""
    if spec.dtype != "float32" or spec.statistical or REFERENCE != "numpy":
        return False
    return not missing_extras(REFERENCE, spec) and not list(backend(REFERENCE).unsupported(spec))


@dataclass(frozen=True)
class Plan:
    """Which runs to execute, in the report's order, what they are held to, and which not."""

    reference: str  # `exact` (the band's), or the run the others are held to
    runs: list[str]
    skipped: dict[str, str]  # run -> why: "install specc[jax]"
    note: str = ""  # why the reference is not the usual one
    band: list[str] = field(default_factory=list)  # the band's (or draws') runs, or []
    given: dict[str, Path] = field(default_factory=dict)  # target -> the user's script

    @property
    def jobs(self) -> list[str]:
        """Everything that runs: the runs, then the band's."""
        return [*self.runs, *self.band]


def plan(
    spec: ir.Spec,
    requested: Sequence[str],
    explicit: bool = False,
    given: Mapping[str, Path] | None = None,
) -> Plan:
    """Decide the runs: the requested ones that can run here, and what holds them.

    A run whose framework is not installed is skipped, naming the pip extra that adds it. By
    default a target that cannot compute the spec is skipped too, with its reason; one the
    user named (`explicit`), or gave a script for (`given`), is built anyway, so its refusal
    is reported as `specc build` reports it. A float32 spec's runs are held to the band,
    whose runs always run; otherwise the NumPy reference always runs, and without it the
    first run that can run stands in.
    """
    given = dict(given or {})
    band = banded(spec)
    wanted = list(dict.fromkeys(requested if band else [REFERENCE, *requested]))
    skipped: dict[str, str] = {}
    for name in wanted:
        target = RUNS[name][0]
        if extras := missing_extras(name, spec):
            skipped[name] = "install " + " ".join(extras)
        elif why := refusal(name, spec):
            skipped[name] = why
        elif (not explicit or name not in requested) and target not in given:
            if refused := list(backend(target).unsupported(spec)):
                skipped[name] = f"`{target}` does not support {refused[0].message}"
    runnable = [n for n in wanted if n not in skipped]
    if band:  # the float32 reference first, then the runs as asked
        order = sorted(runnable, key=lambda name: name != REFERENCE)
        return Plan(EXACT, order, skipped, band=band_runs(), given=given)
    if spec.statistical and not missing_extras(REFERENCE, spec):
        if spec.native and REFERENCE in skipped and REFERENCE not in requested:
            del skipped[REFERENCE]  # it refuses `native` weights, and is not needed
        # With Dropout alone, NumPy's run draws masks of its own: it is held to the draws too.
        runs = [n for n in (requested if spec.native else wanted) if n not in skipped]
        draws = draw_runs(spec, runs)
        if draws:
            return Plan(DRAWS, runs, skipped, band=draws, given=given)
    reference, note = REFERENCE, ""
    if REFERENCE in skipped and runnable:
        reference = runnable[0]
        note = f"{REFERENCE} is skipped ({skipped[REFERENCE]}), so {reference} is the reference"
    if REFERENCE in skipped and REFERENCE not in requested:
        del skipped[REFERENCE]  # not asked for, and not needed: no row for it
    order = [reference, *(n for n in requested if n != reference)]
    return Plan(reference, [n for n in order if n not in skipped], skipped, note, given=given)


def generated_targets(plan: Plan) -> list[str]:
    """The targets whose scripts `execute` needs from specc: each run's, less those the user
    gave, and the NumPy reference's for the band."""
    targets = [RUNS[run][0] for run in plan.runs if RUNS[run][0] not in plan.given]
    exact = plan.band and plan.reference == EXACT
    return list(dict.fromkeys([*targets, *([REFERENCE] if exact else [])]))


class Progress:
    """One line per run on stderr: waiting, running 3.2 s, done 4.1 s, failed, skipped.

    On a terminal the lines are redrawn in place (ANSI cursor movement) while the runs go on;
    elsewhere each event is one plain line, so a log file reads in order.
    """

    def __init__(
        self, runs: Sequence[str], skipped: Mapping[str, str], stream: TextIO | None = None
    ) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.names = [*runs, *skipped]
        self.width = max(len(n) for n in self.names) if self.names else 0
        self.state: dict[str, str] = dict.fromkeys(runs, "waiting")
        self.state |= {name: f"skipped: {why}" for name, why in skipped.items()}
        self.started: dict[str, float] = {}
        self._lock = threading.Lock()
        self._drawn = 0
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, daemon=True)
        if self.live:
            self._draw()
            self._ticker.start()
        else:
            for name, why in skipped.items():
                self._say(f"{name}: skipped: {why}")

    def event(self, name: str, event: Event, execution: Execution | None) -> None:
        """Record a run's start or end (the runner's callback, from its worker threads)."""
        with self._lock:
            if event == "started":
                self.started[name] = time.perf_counter()
                self.state[name] = "running"
                message = f"{name}: running"
            else:
                assert execution is not None
                word = "done" if execution.returncode == 0 else "failed"
                self.state[name] = f"{word} {execution.seconds:.1f} s"
                message = f"{name}: {word} in {execution.seconds:.1f} s"
            if self.live:
                self._draw()
            else:
                self._say(message)

    def close(self) -> None:
        """Stop redrawing, leaving the last state on the screen."""
        self._stop.set()
        if self._ticker.is_alive():
            self._ticker.join()
        with self._lock:
            if self.live:
                self._draw()

    def _tick(self) -> None:
        while not self._stop.wait(0.1):
            with self._lock:
                self._draw()

    def _line(self, name: str) -> str:
        state = self.state[name]
        if state == "running":
            state = f"running {time.perf_counter() - self.started[name]:.1f} s"
        return f"  {name:<{self.width}}  {state}"

    def _draw(self) -> None:
        up = f"\x1b[{self._drawn}F" if self._drawn else ""  # to the first line drawn before
        lines = "".join(f"\x1b[2K{self._line(name)}\n" for name in self.names)
        self.stream.write(up + lines)
        self.stream.flush()
        self._drawn = len(self.names)

    def _say(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()


def execute(
    plan: Plan,
    spec: ir.Spec,
    scripts: Mapping[str, str],
    stem: str,
    origin: Path,
    progress: Progress | None = None,
) -> dict[str, Execution]:
    """Write the scripts into a temporary folder and run every planned run there at once,
    each in a fresh interpreter, with the band's runs beside them; the folder is gone
    afterwards. A script the user gave (`plan.given`) is copied in under the name specc's
    would have, so it reads its data files as specc's does."""
    with tempfile.TemporaryDirectory(prefix="specc-compare-") as folder:
        directory = script_folder(Path(folder), spec)
        ours = {t: text for t, text in scripts.items() if t not in plan.given}
        paths = write_scripts(ours, Path(folder), stem, spec, origin)
        for target, source in plan.given.items():
            paths[target] = directory / f"{stem}_{target}.py"
            shutil.copyfile(source, paths[target])
        jobs = [(run, job(paths[RUNS[run][0]], run, spec)) for run in slowest_first(plan.runs)]
        if plan.reference == DRAWS:
            targets = [RUNS[run][0] for run in plan.runs]
            draws = native_scripts(spec, targets, directory, stem, NATIVE_MEMBERS)
            assert list(draws) == plan.band, (list(draws), plan.band)
            jobs += [(run, Job(draws[run], {})) for run in plan.band]
        elif plan.band:
            # The band comes from specc's own NumPy reference, even where the user gave one.
            reference = paths[REFERENCE] if REFERENCE not in plan.given else None
            if reference is None:
                reference = directory / f"{stem}_reference.py"
                reference.write_text(scripts[REFERENCE], encoding="utf-8")
            band = band_scripts(reference, MEMBERS)
            assert list(band) == plan.band, (list(band), plan.band)
            jobs += [(run, Job(band[run], {})) for run in plan.band]
        # Every run at once: importing a framework waits on the disk as much as it computes,
        # so on two idle cores SimpleNet's six runs took 20-22 s at once and 25 s two at a
        # time. Each run's seconds are then its wall time beside the others.
        return run_all(jobs, progress.event if progress else None, workers=len(jobs) or 1)


@dataclass
class Outcome:
    """One run's facts, as the table and the JSON document show them."""

    name: str
    status: Status
    reason: str = ""  # why skipped, failed or not compared
    label: str = ""  # how the report names it, where not by `name`: "torch (my_torch.py)"
    script: str | None = None  # the file the user gave in place of specc's
    seconds: float | None = None
    returncode: int | None = None
    final_loss: float | None = None  # the trained model's (else the last logged loss)
    accuracy: float | None = None  # the trained model's, when the spec logs accuracy
    test_loss: float | None = None  # its loss on the held-out rows, with a `split`
    test_accuracy: float | None = None  # ... and its accuracy there, for a classifier
    predictions: list[list[float]] = field(default_factory=list)
    losses: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    stderr_tail: list[str] = field(default_factory=list)
    # Held to the band (float32):
    distance: float | None = None  # at its furthest value from the exact answer, in spreads
    band: float | None = None  # the band there: `multiple` spreads
    at: str | None = None  # that value: "fc1.kernel[0, 3] after training"
    ratio: float | None = None  # distance / spread there
    multiple: float | None = None
    wider: str | None = None  # why its band is WIDER times as wide, or None
    loss_floor: float = 0.0  # the least spread its losses are held to (`agreement.LOSS_FLOORS`)
    steps: dict[str, float] = field(default_factory=dict)  # step -> largest ratio there
    leaves_at: str | None = None  # the first step beyond the band: "epoch 4/6", TRAINED
    # Held to the reference's run (float64, and `native` weights):
    gaps: dict[str, float] = field(default_factory=dict)  # step -> relative loss gap
    loss_gap: tuple[str | None, float] = (None, 0.0)
    weight_gap: tuple[str | None, float] = (None, 0.0)
    tolerance: Tolerance | None = None
    known_gap: bool = False
    diverges_at: str | None = None

    @property
    def shown(self) -> str:
        """The run as the report names it."""
        return self.label or self.name

    @property
    def differs_at(self) -> str | None:
        """Where a run that differs first does: the step, TRAINED, or None (not known)."""
        return self.leaves_at if self.multiple is not None else self.diverges_at


@dataclass
class Comparison:
    """Every run's outcome, what they are held to, and what follows for the exit status."""

    spec: ir.Spec
    reference: str  # `exact`, or the run the others are held to
    tolerance: Tolerance
    outcomes: list[Outcome]
    note: str = ""
    band: Band | None = None  # what float32 runs are held to (None: not measured)
    members: int = 0  # the ensemble's members that reported (`band.members` used them)

    @property
    def banded(self) -> bool:
        """Whether the runs are held to a measured band: around the exact answer, or the
        draws' mean (`drawn`)."""
        return self.reference in (EXACT, DRAWS)

    @property
    def drawn(self) -> bool:
        """Weights start from each framework's own initializer, and the runs are held to the
        band of NumPy runs from draws of it."""
        return self.reference == DRAWS

    @property
    def statistical(self) -> bool:
        """Weights start from each framework's own initializer, and no draws could be run
        here: gaps are shown, not held."""
        return self.spec.statistical and not self.drawn

    @property
    def exit_status(self) -> int:
        """0 when every run that ran agrees (or, for `native` weights, ran), else 1."""
        bad = {"differs", "failed", "not compared"}
        ran = [o for o in self.outcomes if o.status != "skipped"]
        return 1 if not ran or any(o.status in bad for o in self.outcomes) else 0

    @property
    def first_divergence(self) -> tuple[str, str] | None:
        """The first differing run (in the report's order) and where it first differs."""
        for outcome in self.outcomes:
            if outcome.status == "differs":
                return outcome.name, outcome.differs_at or TRAINED
        return None


def _tail(stderr: str) -> list[str]:
    lines = [line for line in stderr.splitlines() if line.strip()]
    return lines[-TAIL:] or ["(nothing on stderr)"]


def _report(outcome: Outcome, execution: Execution, spec: ir.Spec) -> Run | None:
    """What a run printed, with its outcome's plain facts filled in; None (and the outcome
    failed) for a run that crashed or printed no trained weights."""
    outcome.seconds, outcome.returncode = execution.seconds, execution.returncode
    if execution.returncode != 0:
        outcome.status, outcome.reason = "failed", f"exit status {execution.returncode}"
        outcome.stderr_tail = _tail(execution.stderr)
        return None
    report = parse_output(execution.stdout)
    if not report.params:
        outcome.status, outcome.reason = "failed", "it printed no trained weights"
        outcome.stderr_tail = _tail(execution.stderr)
        return None
    outcome.losses = loss_curve(report, spec)
    last = list(outcome.losses.values())[-1] if outcome.losses else None
    outcome.final_loss = report.trained.get("loss", last)
    outcome.accuracy = report.trained.get("accuracy") if spec.logging.accuracy else None
    outcome.test_loss = report.trained.get("test_loss")
    outcome.test_accuracy = report.trained.get("test_accuracy")
    outcome.predictions = [[float(v) for v in y] for _, y in report.predictions]
    return report


def evaluate(
    spec: ir.Spec,
    plan: Plan,
    executions: Mapping[str, Execution],
) -> Comparison:
    """Each run's facts against what it is held to, from what the scripts printed."""
    reports: dict[str, Run] = {}
    outcomes: dict[str, Outcome] = {}
    for name in plan.runs:
        given = plan.given.get(RUNS[name][0])
        outcome = Outcome(name, "ran", label=f"{name} ({given.name})" if given else "",
                          script=str(given) if given else None)  # fmt: skip
        outcomes[name] = outcome
        if (report := _report(outcome, executions[name], spec)) is not None:
            reports[name] = report
    if plan.reference == DRAWS:
        comparison = _held_to_the_draws(spec, plan, executions, reports, outcomes)
    elif plan.band:
        comparison = _held_to_the_band(spec, plan, executions, reports, outcomes)
    else:
        comparison = _held_to_the_reference(spec, plan, reports, outcomes)
    for name, why in plan.skipped.items():
        comparison.outcomes.append(Outcome(name, "skipped", reason=why))
    return comparison


def _held_to_the_band(
    spec: ir.Spec,
    plan: Plan,
    executions: Mapping[str, Execution],
    reports: Mapping[str, Run],
    outcomes: dict[str, Outcome],
) -> Comparison:
    """float32: the exact run is the reference row; every run is judged against the band."""
    exact = Outcome(EXACT, "reference", label=EXACT_LABEL)
    exact_report = _report(exact, executions[EXACT], spec)
    ensemble = _failed_rows(plan.band[1:], executions)  # rows of their own
    band, members = None, 0
    why = f"{EXACT} failed" if exact_report is None else "the band's runs failed"
    if exact_report is not None and not ensemble:
        printed = ensemble_reports(executions[name].stdout for name in plan.band[1:])
        band = measure_band(exact_report, [parse_output(report) for report in printed])
        members = len(printed)
        if not band.members:
            band, why = None, "no member of the ensemble printed what the exact run printed"
    shapes = {w.name: tuple(w.shape) for w in spec.weights}
    lines = format_lines(Run(text=list(band.text)), spec) if band else {}
    for name in plan.runs:
        outcome = outcomes[name]
        if outcome.status == "failed":
            continue
        if band is None:
            outcome.status, outcome.reason = "not compared", why
            continue
        target = RUNS[name][0]
        outcome.multiple, outcome.wider = multiple(target, spec), band_gap(target, spec)
        outcome.loss_floor = loss_floor(name, spec)
        judgement = judge(band, name, reports[name], shapes, outcome.multiple, outcome.loss_floor)
        _judged(outcome, judgement, lines)
    rows = [exact, *(outcomes[n] for n in plan.runs), *ensemble]
    return Comparison(spec, EXACT, tolerance(spec), rows, band=band, members=members)


def _held_to_the_draws(
    spec: ir.Spec,
    plan: Plan,
    executions: Mapping[str, Execution],
    reports: Mapping[str, Run],
    outcomes: dict[str, Outcome],
) -> Comparison:
    """`native` weights, Dropout: each run within STATISTICAL deviations of the mean of NumPy runs
    from draws of the distribution its framework draws from."""
    failed = _failed_rows(plan.band, executions)
    groups = native_groups(spec, dict.fromkeys(RUNS[run][0] for run in plan.runs))
    for label, targets in groups.items():
        draws = [n for n in plan.band if n.rpartition(" ")[0] == f"draw {label}"]
        measured = None
        if not any(o.name in draws for o in failed):
            measured = statistical_band([parse_output(executions[n].stdout) for n in draws])
        for name in plan.runs:
            outcome = outcomes[name]
            if RUNS[name][0] not in targets or outcome.status == "failed":
                continue
            if measured is None:
                outcome.status, outcome.reason = "not compared", f"the draws of {label} failed"
                continue
            outcome.multiple = STATISTICAL
            _judged(outcome, judge(measured, name, reports[name], multiple=STATISTICAL), {})
    rows = [*(outcomes[n] for n in plan.runs), *failed]
    return Comparison(spec, DRAWS, tolerance(spec), rows, members=NATIVE_MEMBERS)


def _failed_rows(names: Sequence[str], executions: Mapping[str, Execution]) -> list[Outcome]:
    """A row for each of the band's (or draws') runs that failed."""
    return [
        Outcome(name, "failed", f"exit status {run.returncode}", seconds=run.seconds,
                returncode=run.returncode, stderr_tail=_tail(run.stderr))
        for name in names
        if (run := executions[name]).returncode != 0
    ]  # fmt: skip


def _judged(outcome: Outcome, judgement: Judgement, lines: Mapping[int, str]) -> None:
    """Fill in a run's outcome, its `multiple` set, from its judgement against a band."""
    assert outcome.multiple is not None
    if (worst := judgement.worst) is not None:
        outcome.distance, outcome.ratio = worst.distance, worst.ratio
        outcome.band, outcome.at = outcome.multiple * worst.spread, place(worst)
    outcome.steps = _steps(judgement.steps, lines)
    outcome.problems = judgement.problems
    outcome.status = "agrees" if judgement.agrees else "differs"
    if not judgement.agrees and judgement.leaves_at is not None:
        outcome.leaves_at = _step(judgement.leaves_at, lines)


def _step(when: str, lines: Mapping[int, str]) -> str:
    """A `when` of the band's as the report names it: a line of the spec's own log format
    as the step it logs, and the trained model's loss as after training."""
    if when == TRAINED_MODEL:
        return TRAINED
    if when.startswith("line ") and when[5:].isdigit():
        return lines.get(int(when[5:]) - 1, when)
    return when


def _steps(steps: Mapping[str, float], lines: Mapping[int, str]) -> dict[str, float]:
    """Per-step ratios, named as the report names steps, in the order they were printed."""
    named: dict[str, float] = {}
    for when, ratio in steps.items():
        step = _step(when, lines)
        named[step] = max(named.get(step, 0.0), ratio)
    if TRAINED in named:  # the trained model's loss and the trained weights, last
        named[TRAINED] = named.pop(TRAINED)
    return named


def _held_to_the_reference(
    spec: ir.Spec, plan: Plan, reports: Mapping[str, Run], outcomes: dict[str, Outcome]
) -> Comparison:
    """float64, and native weights: every run against the reference's, within tolerance."""
    base = tolerance(spec)
    reference = reports.get(plan.reference)
    for name in plan.runs:
        outcome = outcomes[name]
        if outcome.status == "failed":
            continue
        if name == plan.reference:
            outcome.status = "reference"
            continue
        if reference is None:
            outcome.status, outcome.reason = "not compared", f"{plan.reference} failed"
            continue
        report = reports[name]
        ref_curve = outcomes[plan.reference].losses
        outcome.gaps = loss_gaps(ref_curve, outcome.losses)
        outcome.loss_gap = largest(outcome.gaps)
        outcome.weight_gap = param_gap(reference, report, spec)
        outcome.tolerance = known_gap(name, spec) or base
        outcome.known_gap = known_gap(name, spec) is not None
        if spec.statistical:
            continue  # agreement is statistical: the gaps are shown, not held
        outcome.problems = disagreements(plan.reference, reference, name, report, outcome.tolerance)
        outcome.status = "differs" if outcome.problems else "agrees"
        if outcome.problems:
            outcome.diverges_at = first_divergence(reference, report, spec, outcome.tolerance)
    rows = [outcomes[n] for n in plan.runs]
    return Comparison(spec, plan.reference, base, rows, plan.note)


# Showing the facts ------------------------------------------------------------------------


def _number(value: float | None, digits: int = 8) -> str:
    return "-" if value is None else f"{value:.{digits}g}"


def _gap(value: float | None) -> str:
    if value is None:
        return "-"
    return "0" if value == 0 else f"{value:.1e}"


def _predictions(outcome: Outcome, classifies: bool) -> str:
    """The predictions in a few characters: `0.4993 0.4984 0.4975`, `class 0 2 1`."""
    if not outcome.predictions:
        return "-"
    if classifies:
        shown = [str(int(p[0])) for p in outcome.predictions]
        prefix = "class "
    else:
        values = [" ".join(f"{v:.4g}" for v in p) for p in outcome.predictions]
        shown = [v if " " not in v else f"({v})" for v in values]  # several outputs
        prefix = ""
    if len(shown) > 4:  # the first three, and how many more
        shown = [*shown[:3], f"…+{len(shown) - 3}"]
    return prefix + " ".join(shown)


def where(at: str | None) -> str:
    """A step as a sentence continues with it: `at epoch 4/6`, `after training`."""
    if at is None:
        return ""
    return at if at == TRAINED else f"at {at}"


def _verdict(outcome: Outcome) -> str:
    if outcome.status == "differs":
        return f"DIFFERS {where(outcome.differs_at)}".rstrip()
    if outcome.status == "agrees" and outcome.wider:
        return "agrees (wider band)"
    if outcome.status == "agrees" and outcome.known_gap:
        return "agrees (known gap)"
    if outcome.status == "ran":
        return "ran (statistical)"
    if outcome.status in ("skipped", "failed", "not compared"):
        return f"{outcome.status}: {outcome.reason}"
    return outcome.status


def _accuracy(comparison: Comparison) -> bool:
    """Whether the table has an accuracy column: the spec logs accuracy."""
    return comparison.spec.logging.accuracy


def _tested(comparison: Comparison) -> tuple[str, ...]:
    """The test columns: with a `split`, the trained model's test loss (and accuracy)."""
    spec = comparison.spec
    if spec.split is None:
        return ()
    return ("test loss", "test accuracy") if spec.classifies else ("test loss",)


def table(comparison: Comparison) -> str:
    """The plain-text report: one row per run, then what the exit status says and why."""
    classifies = comparison.spec.classifies
    accuracy = _accuracy(comparison)
    if comparison.banded:
        held = ("distance", "band", "at")
    else:
        held = ("loss gap", "at", "weight gap", "at")
    tested = _tested(comparison)
    header = ("run", "final loss", *(["accuracy"] if accuracy else []), *tested, "predictions",
              *held, "seconds", "verdict")  # fmt: skip
    rows = [header]
    for o in comparison.outcomes:
        ran = o.status not in ("failed", "skipped")
        compared = o.status in ("agrees", "differs", "ran")
        test_figures = (o.test_loss, o.test_accuracy)[: len(tested)]
        if comparison.banded:
            facts = (_gap(o.distance), _gap(o.band), o.at or "-") if compared else ("-",) * 3
        else:
            facts = (
                _gap(o.loss_gap[1]) if compared and o.gaps else "-",
                (o.loss_gap[0] or "-") if compared else "-",
                _gap(o.weight_gap[1]) if compared else "-",
                (o.weight_gap[0] or "-") if compared else "-",
            )
        rows.append(
            (
                o.shown,
                _number(o.final_loss) if ran else "-",
                *([_number(o.accuracy) if ran else "-"] if accuracy else []),
                *(_number(value) if ran else "-" for value in test_figures),
                _predictions(o, classifies) if ran else "-",
                *facts,
                "-" if o.seconds is None else f"{o.seconds:.1f}",
                _verdict(o),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[-1]
        for row in rows
    ]
    return "\n".join([*lines, "", *summary(comparison)]) + "\n"


def drawn(spec: ir.Spec) -> str:
    """What each framework draws for itself, in a sentence's start."""
    said = []
    if spec.native:
        said.append("weights start from each framework's own initializer (`native`)")
    if spec.draws:
        said.append("each framework draws its own Dropout masks")
    text = " and ".join(said)
    return text[0].upper() + text[1:]


def band_description(comparison: Comparison) -> str:
    """What the band is, in one sentence."""
    if comparison.drawn:
        return (
            f"{drawn(comparison.spec)}: distances are to the mean of {NATIVE_MEMBERS} NumPy runs "
            "from draws of their own, and the band is "
            f"{STATISTICAL:g} times their standard deviation, in the losses, accuracies and "
            "predictions."
        )
    members = comparison.band.members if comparison.band else MEMBERS
    return (
        "Distances are to the exact answer (the NumPy reference computed in float64 on the "
        f"same float32 experiment); the band at each value is {MULTIPLE:g} times the spread "
        f"of {members} float32 runs whose roundings differ (at least one float32 ulp)."
    )


def wider_bands(comparison: Comparison) -> dict[str, list[str]]:
    """Why some runs are held to a wider band -> those runs, as the report names them."""
    reasons: dict[str, list[str]] = {}
    for o in comparison.outcomes:
        if o.wider:
            reasons.setdefault(o.wider, []).append(o.shown)
    return reasons


def _names(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"


def summary(comparison: Comparison) -> list[str]:
    """What the table's numbers mean, and why the exit status is what it is."""
    ref, spec = comparison.reference, comparison.spec
    lines: list[str] = []
    if comparison.banded:
        lines.append(band_description(comparison))
        if comparison.drawn:
            lines.append(
                "Each run's distance and band are at what it printed furthest from the draws' "
                "mean, in deviations (a loss, a prediction: over its elements, the 2-norm)."
            )
        else:
            lines.append(
                "Each run's distance and band are at what it printed furthest from the exact "
                "answer, in spreads (a loss, a prediction, a trained tensor: over its elements, "
                "the 2-norm)."
            )
        for why, runs in wider_bands(comparison).items():
            lines.append(
                f"Wider band: {_names(runs)} {'is' if len(runs) == 1 else 'are'} held to "
                f"{MULTIPLE * WIDER:g} spreads, since {why} (see the README)."
            )
        for o in comparison.outcomes:
            if o.loss_floor:
                lines.append(
                    f"Loss floor: {o.shown}'s losses are held to a spread of at least "
                    f"{o.loss_floor:.1e}, the error of its framework's loss (`specc build` "
                    "warns at the loss)."
                )
        if comparison.band and comparison.band.members < comparison.members:
            lines.append(
                f"Only {comparison.band.members} of the {comparison.members} members of the "
                "ensemble printed what the exact run printed: the band is theirs."
            )
    else:
        lines.append(
            f"Gaps are to {ref}: the loss relative at each logged {spec.training.unit} (below "
            f"{LOSS_FLOOR:g} of the largest loss, relative to that floor), the trained weights "
            f"absolute."
        )
    if spec.logging.format is not None:
        lines.append(
            "The losses are read from the spec's own log format, rounded as it prints them."
        )
    if comparison.note:
        lines.append(comparison.note + ".")
    known = [o for o in comparison.outcomes if o.known_gap and o.tolerance]
    if not comparison.banded:
        lines.append(
            f"Tolerance ({spec.dtype}, {spec.optimizer.kind}): {comparison.tolerance.describe()}."
        )
        for o in known:
            assert o.tolerance is not None
            lines.append(
                f"Known gap: {o.shown} is held to {o.tolerance.describe()}, since "
                f"{o.tolerance.why} (see the README)."
            )
    for o in comparison.outcomes:
        if o.status == "failed":
            lines += [f"{o.shown} failed ({o.reason}); its last lines:"]
            lines += [f"    {line}" for line in o.stderr_tail]
    for o in comparison.outcomes:
        if o.status == "differs":
            leaves = "leaves the band" if comparison.banded else f"diverges from {ref}"
            lines.append(f"{o.shown} {leaves} {where(o.differs_at)}".rstrip() + ":")
            lines += [f"    {problem}" for problem in o.problems[:3]]
    ran = [o for o in comparison.outcomes if o.status not in ("skipped", "reference")]
    if comparison.exit_status == 0 and comparison.statistical:
        lines.append(
            f"{drawn(comparison.spec)}: the runs agree only statistically, so their gaps are "
            "shown and not held. Exit 0: every run ran."
        )
    elif comparison.exit_status == 0 and not ran:
        lines.append("Exit 0: no run ran here to hold to it.")
    elif comparison.exit_status == 0:
        agree = "1 run agrees" if len(ran) == 1 else f"{len(ran)} runs agree"
        if comparison.drawn:
            each = "with its" if len(ran) == 1 else "each with its"
            lines.append(f"Exit 0: {agree}, {each} framework's draws, within the band.")
        elif comparison.banded:
            within = "within the band" + (" (or the wider band)" if wider_bands(comparison) else "")
            lines.append(f"Exit 0: {agree} with the exact answer {within}.")
        else:
            within = "within tolerance" + (" (and the known gap)" if known else "")
            lines.append(f"Exit 0: {agree} with {ref} {within}.")
    else:
        bad = ("differs", "failed", "not compared")
        reasons = [f"{o.shown} {o.status}" for o in comparison.outcomes if o.status in bad]
        reasons = reasons or ["no run could run here"]
        if first := comparison.first_divergence:
            shown = next(o.shown for o in comparison.outcomes if o.name == first[0])
            leaves = "leaves the band" if comparison.banded else f"differs from {ref}"
            reasons[0] = f"{shown} {leaves} first {where(first[1])}".rstrip()
            reasons = [reasons[0], *(r for r in reasons[1:] if not r.startswith(shown + " "))]
        lines.append("Exit 1: " + "; ".join(reasons) + ".")
    return lines


def _finite(value: float | None) -> float | str | None:
    """A number for JSON, which has no NaN or infinity: those as strings."""
    if value is None or math.isfinite(value):
        return value
    return str(value)


def to_json(comparison: Comparison) -> dict[str, Any]:
    """The same facts as the table, as one JSON-ready document."""

    def tolerance_of(tol: Tolerance) -> dict[str, Any]:
        return {"loss": tol.loss, "value": tol.value, "dtype": tol.dtype.__name__}

    def run(o: Outcome) -> dict[str, Any]:
        target, env = RUNS.get(o.name, (REFERENCE, {}))  # the band's runs: NumPy's
        facts: dict[str, Any] = {
            "name": o.name,
            "label": o.shown,
            "script": o.script,
            "target": target,
            "environment": env,
            "status": o.status,
            "reason": o.reason or None,
            "seconds": None if o.seconds is None else round(o.seconds, 3),
            "returncode": o.returncode,
            "final_loss": _finite(o.final_loss),
            "accuracy": _finite(o.accuracy),
            "test_loss": _finite(o.test_loss),
            "test_accuracy": _finite(o.test_accuracy),
            "predictions": [[_finite(v) for v in p] for p in o.predictions],
            "losses": {k: _finite(v) for k, v in o.losses.items()},
        }
        if comparison.banded:
            facts |= {
                "distance": _finite(o.distance),
                "band": _finite(o.band),
                "at": o.at,
                "ratio": _finite(o.ratio),
                "multiple": o.multiple,
                "wider": o.wider,
                "loss_floor": o.loss_floor,
                "leaves_at": o.leaves_at,
                "steps": {k: _finite(v) for k, v in o.steps.items()},
            }
        else:
            facts |= {
                "loss_gaps": {k: _finite(v) for k, v in o.gaps.items()},
                "largest_loss_gap": {"value": _finite(o.loss_gap[1]), "at": o.loss_gap[0]},
                "largest_weight_gap": {"value": _finite(o.weight_gap[1]), "at": o.weight_gap[0]},
                "tolerance": tolerance_of(o.tolerance) if o.tolerance else None,
                "known_gap": o.known_gap,
                "diverges_at": o.diverges_at,
            }
        return facts | {"problems": o.problems, "stderr_tail": o.stderr_tail}

    first = comparison.first_divergence
    document: dict[str, Any] = {
        "spec": comparison.spec.source_name,
        "reference": comparison.reference,
        "note": comparison.note or None,
        "dtype": comparison.spec.dtype,
    }
    if comparison.drawn:
        document["band"] = {
            "members": NATIVE_MEMBERS,
            "multiple": STATISTICAL,
            "statistical": True,
            "description": band_description(comparison),
        }
    elif comparison.banded:
        band = comparison.band
        document["band"] = {
            "members": band.members if band else None,
            "multiple": MULTIPLE,
            "wider": {"multiple": MULTIPLE * WIDER, "runs": {
                o.name: o.wider for o in comparison.outcomes if o.wider}},
            "description": band_description(comparison),
        }  # fmt: skip
    else:
        document["tolerance"] = {**tolerance_of(comparison.tolerance), "loss_floor": LOSS_FLOOR}
    return document | {
        "statistical": comparison.statistical,
        "runs": [run(o) for o in comparison.outcomes],
        "first_divergence": {"run": first[0], "at": first[1]} if first else None,
        "exit_status": comparison.exit_status,
        "summary": summary(comparison),
    }


def can_plot() -> bool:
    """Whether matplotlib, which `--plot` draws with, is installed (found, not imported)."""
    return installed("matplotlib")


def _x(when: str) -> float:
    """The epoch or step number of a log line's name: `epoch 10/100` -> 10."""
    return float(when.split()[1].split("/")[0])


STYLES = ["-", "--", "-.", ":"]
MARKERS = ["o", "s", "^", "v", "D", "x", "+", "*"]


def plot(comparison: Comparison, path: Path) -> None:
    """Draw the loss curves of every run and, below them, how far each run is at each step:
    for a float32 spec its distance to the exact answer in spreads against the band, else
    its relative loss gap to the reference against the tolerance; into a PNG file."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display, no GUI toolkit
    import matplotlib.pyplot as plt

    spec = comparison.spec
    drawn = [o for o in comparison.outcomes if o.losses]
    figure, (top, bottom) = plt.subplots(
        2, 1, sharex=True, figsize=(8, 6.4), height_ratios=(3, 2), constrained_layout=True
    )
    for i, o in enumerate(drawn):
        xs = [_x(w) for w in o.losses]
        reference = o.name == comparison.reference
        top.plot(
            xs,
            list(o.losses.values()),
            linestyle="-" if reference else STYLES[i % len(STYLES)],
            linewidth=3 if reference else 1.2,
            alpha=0.35 if reference else 1.0,
            marker=None if reference or len(xs) > 40 else MARKERS[i % len(MARKERS)],
            markersize=4,
            color=f"C{i}",  # each run one colour in both panels
            label=f"{o.shown} (reference)" if reference and not comparison.banded else o.shown,
        )
    steps = logged_steps(spec)
    if comparison.banded and steps:  # the trained model's loss, after training
        last, after = _after(steps)
        top.axvline((last + after) / 2, color="grey", linewidth=0.6)
        for i, o in enumerate(drawn):
            if o.final_loss is not None and math.isfinite(o.final_loss):
                top.plot([after], [o.final_loss], marker="*", markersize=9,
                         color=f"C{i}", alpha=0.35 if o.status == "reference" else 1.0)  # fmt: skip
    top.set_title(f"{spec.source_name}: {spec.name}, {len(drawn)} runs")
    top.set_ylabel("loss")
    if all(v > 0 for o in drawn for v in o.losses.values()) and drawn:
        values = [v for o in drawn for v in o.losses.values()]
        if max(values) / min(values) > 100:
            top.set_yscale("log")
    top.legend(fontsize="small")
    if comparison.banded:
        _plot_band(comparison, bottom, drawn, steps)
    else:
        _plot_gaps(comparison, bottom, drawn)
    bottom.set_xlabel(spec.training.unit)
    if bottom.get_legend_handles_labels()[0]:
        bottom.legend(fontsize="small", ncols=3, loc="upper right")
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _after(steps: list[str]) -> tuple[float, float]:
    """Where the last logged step is drawn, and where what was printed after training is:
    a point apart, to the right."""
    last = _x(steps[-1]) if steps else 0.0
    return last, last + max(1.0, 0.12 * (last - (_x(steps[0]) if steps else 0.0)))


def _plot_band(
    comparison: Comparison, axes: Any, drawn: Sequence[Outcome], steps: list[str]
) -> None:
    """Each run's distance to the exact answer in spreads, per logged step and after
    training, on a log axis, with the band (and a wider one) as horizontal lines."""
    logged = set(steps)
    last, after = _after(steps)
    span = last - (_x(steps[0]) if steps else 0.0)
    ratios = [r for o in drawn for r in o.steps.values() if r > 0 and math.isfinite(r)]
    floor = 10.0 ** math.floor(math.log10(min([*ratios, 0.1])) - 1)  # a ratio of 0 is drawn here
    for i, o in enumerate(drawn):
        if o.status == "reference" or not o.steps:
            continue
        points = [(_x(w), r) for w, r in o.steps.items() if w in logged]
        points += [(after, r) for w, r in o.steps.items() if w == TRAINED]
        xs = [x for x, _ in points]
        ys = [min(r, 1e6) if r > 0 else floor for _, r in points]  # an infinity stays drawn
        axes.plot(
            xs,
            ys,
            linestyle=STYLES[i % len(STYLES)],
            marker=None if len(xs) > 40 else MARKERS[i % len(MARKERS)],
            markersize=4,
            color=f"C{i}",
            label=o.shown,
        )
        if xs and xs[-1] == after:
            axes.plot([after], [ys[-1]], marker="*", markersize=9, color=f"C{i}", linestyle="")
    multiple, unit = (STATISTICAL, "deviations") if comparison.drawn else (MULTIPLE, "spreads")
    axes.axhline(multiple, color="red", linewidth=1, linestyle="--",
                 label=f"band: {multiple:g} {unit}")  # fmt: skip
    wider = wider_bands(comparison)
    if wider:
        runs = _names([name for names in wider.values() for name in names])
        axes.axhline(MULTIPLE * WIDER, color="orange", linewidth=1, linestyle=":",
                     label=f"wider band ({runs}): {MULTIPLE * WIDER:g}")  # fmt: skip
    if steps:
        first = _x(steps[0])
        axes.axvline((last + after) / 2, color="grey", linewidth=0.6)
        axes.set_xlim(first - max(0.5, 0.03 * span), after + max(0.5, 0.05 * span))
        ticks = [t for t in axes.get_xticks() if first - 0.5 <= t <= last]
        axes.set_xticks([*ticks, after], [f"{t:g}" for t in ticks] + ["after\ntraining"])
    axes.set_yscale("log")
    highest = max([*ratios, MULTIPLE * (WIDER if wider else 1.0)])
    axes.set_ylim(floor / 2, min(highest, 1e6) * 100)  # room above the band for the legend
    zero = any(r == 0 for o in drawn for r in o.steps.values())
    axes.set_ylabel(
        (
            "distance to the draws' mean,\nin deviations"
            if comparison.drawn
            else "distance to the exact answer,\nin spreads"
        )
        + (f" (a distance of 0 drawn at {floor:.0e})" if zero else "")
    )


def _plot_gaps(comparison: Comparison, axes: Any, drawn: Sequence[Outcome]) -> None:
    """Each run's relative loss gap to the reference per logged step, on a log axis, with
    the tolerance (and a known gap's) as horizontal lines."""
    ref, spec = comparison.reference, comparison.spec
    positive = [g for o in drawn for g in o.gaps.values() if g > 0 and math.isfinite(g)]
    low = min([*positive, comparison.tolerance.loss * 1e-3])
    floor = 10.0 ** math.floor(math.log10(low) - 1)  # where a gap of exactly 0 is drawn
    for i, o in enumerate(drawn):
        if o.name == ref or not o.gaps:
            continue
        gaps = [g if g > 0 else floor for g in o.gaps.values()]
        axes.plot(
            [_x(w) for w in o.gaps],
            gaps,
            linestyle=STYLES[i % len(STYLES)],
            marker=None if len(gaps) > 40 else MARKERS[i % len(MARKERS)],
            markersize=4,
            color=f"C{i}",
            label=o.shown,
        )
    axes.axhline(comparison.tolerance.loss, color="red", linewidth=1, linestyle="--",
                 label=f"tolerance {comparison.tolerance.loss:g}")  # fmt: skip
    loose = {o.tolerance.loss for o in drawn if o.known_gap and o.tolerance}
    for bound in sorted(loose - {comparison.tolerance.loss}):
        axes.axhline(bound, color="orange", linewidth=1, linestyle=":",
                     label=f"known gap {bound:g}")  # fmt: skip
    axes.set_yscale("log")
    highest = max([*positive, *loose, comparison.tolerance.loss])
    axes.set_ylim(floor / 2, highest * 100)  # room above the tolerance for the legend
    axes.set_ylabel(f"relative loss gap to {ref}\n(a gap of 0 drawn at {floor:.0e})")
    steps = logged_steps(spec)
    if steps:
        axes.set_xlim(_x(steps[0]) - 0.5, _x(steps[-1]) + 0.5)
