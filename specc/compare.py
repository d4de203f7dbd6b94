"""`specc compare`: run every target's script at once and hold each run to the reference.

The steps, each a function of its own so that tests can hold any of them alone: `plan`
(which runs, which are skipped and why, which is the reference), `execute` (write the build
into a temporary folder and run it, with a live `Progress`), `evaluate` (the facts of each
run against the reference, from what the scripts printed), then `table`, `to_json` and
`plot` to show them. The command line (`specc/cli.py`) reads and checks the spec the way
`specc build` does, and hands the scripts over.
"""

from __future__ import annotations

import math
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
    Run,
    Tolerance,
    disagreements,
    first_divergence,
    known_gap,
    largest,
    logged_steps,
    loss_curve,
    loss_gaps,
    param_gap,
    parse_output,
    tolerance,
)
from .backends import backend
from .runner import (
    REFERENCE,
    RUNS,
    Event,
    Execution,
    Job,
    installed,
    missing_extras,
    run_all,
    slowest_first,
    write_scripts,
)

Status = Literal["reference", "agrees", "differs", "failed", "skipped", "ran", "not compared"]
TAIL = 5  # the last lines of a crashed script's stderr that the report shows


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


@dataclass(frozen=True)
class Plan:
    """Which runs to execute, in the report's order (the reference first), and which not."""

    reference: str
    runs: list[str]
    skipped: dict[str, str]  # run -> why: "install specc[jax]"
    note: str = ""  # why the reference is not the usual one


def plan(spec: ir.Spec, requested: Sequence[str], explicit: bool = False) -> Plan:
    """Decide the runs: the requested ones that can run here, and always the reference.

    A run whose framework is not installed is skipped, naming the pip extra that adds it. By
    default a target that cannot compute the spec is skipped too, with its reason; one the
    user named (`explicit`) is built anyway, so its refusal is reported as `specc build`
    reports it. Without the usual reference, the first run that can run stands in.
    """
    skipped: dict[str, str] = {}
    for name in dict.fromkeys([REFERENCE, *requested]):
        if extras := missing_extras(name, spec):
            skipped[name] = "install " + " ".join(extras)
        elif not explicit or name not in requested:
            target = RUNS[name][0]
            if refused := list(backend(target).unsupported(spec)):
                skipped[name] = f"`{target}` does not support {refused[0].message}"
    runnable = [n for n in dict.fromkeys([REFERENCE, *requested]) if n not in skipped]
    reference, note = REFERENCE, ""
    if REFERENCE in skipped and runnable:
        reference = runnable[0]
        note = f"{REFERENCE} is skipped ({skipped[REFERENCE]}), so {reference} is the reference"
    if REFERENCE in skipped and REFERENCE not in requested:
        del skipped[REFERENCE]  # not asked for, and not needed: no row for it
    order = [reference, *(n for n in requested if n != reference)]
    return Plan(reference, [n for n in order if n not in skipped], skipped, note)


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
    each in a fresh interpreter; the folder is gone afterwards."""
    with tempfile.TemporaryDirectory(prefix="specc-compare-") as folder:
        paths = write_scripts(scripts, Path(folder), stem, spec, origin)
        jobs = [(run, Job(paths[RUNS[run][0]], RUNS[run][1])) for run in slowest_first(plan.runs)]
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
    seconds: float | None = None
    returncode: int | None = None
    final_loss: float | None = None
    predictions: list[list[float]] = field(default_factory=list)
    losses: dict[str, float] = field(default_factory=dict)
    gaps: dict[str, float] = field(default_factory=dict)  # step -> relative loss gap
    loss_gap: tuple[str | None, float] = (None, 0.0)
    weight_gap: tuple[str | None, float] = (None, 0.0)
    tolerance: Tolerance | None = None
    known_gap: bool = False
    diverges_at: str | None = None
    problems: list[str] = field(default_factory=list)
    stderr_tail: list[str] = field(default_factory=list)


@dataclass
class Comparison:
    """Every run's outcome against the reference, and what follows for the exit status."""

    spec: ir.Spec
    reference: str
    tolerance: Tolerance
    outcomes: list[Outcome]
    note: str = ""

    @property
    def statistical(self) -> bool:
        """Weights start from each framework's own initializer: gaps are not held."""
        return self.spec.native

    @property
    def exit_status(self) -> int:
        """0 when every run that ran agrees (or, for `native` weights, ran), else 1."""
        bad = {"differs", "failed", "not compared"}
        ran = [o for o in self.outcomes if o.status != "skipped"]
        return 1 if not ran or any(o.status in bad for o in self.outcomes) else 0

    @property
    def first_divergence(self) -> tuple[str, str] | None:
        """The first differing run (in the report's order) and the step it diverges at."""
        for outcome in self.outcomes:
            if outcome.status == "differs":
                return outcome.name, outcome.diverges_at or "after training"
        return None


def _tail(stderr: str) -> list[str]:
    lines = [line for line in stderr.splitlines() if line.strip()]
    return lines[-TAIL:] or ["(nothing on stderr)"]


def evaluate(
    spec: ir.Spec,
    plan: Plan,
    executions: Mapping[str, Execution],
) -> Comparison:
    """Each run's facts against the reference, from what the scripts printed."""
    base = tolerance(spec)
    reports: dict[str, Run] = {}
    outcomes: dict[str, Outcome] = {}
    for name in plan.runs:
        execution = executions[name]
        outcome = Outcome(name, "ran", seconds=execution.seconds, returncode=execution.returncode)
        outcomes[name] = outcome
        if execution.returncode != 0:
            outcome.status, outcome.reason = "failed", f"exit status {execution.returncode}"
            outcome.stderr_tail = _tail(execution.stderr)
            continue
        report = parse_output(execution.stdout)
        if not report.params:
            outcome.status, outcome.reason = "failed", "it printed no trained weights"
            outcome.stderr_tail = _tail(execution.stderr)
            continue
        reports[name] = report
        outcome.losses = loss_curve(report, spec)
        outcome.final_loss = list(outcome.losses.values())[-1] if outcome.losses else None
        outcome.predictions = [[float(v) for v in y] for _, y in report.predictions]

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
        if spec.native:
            continue  # agreement is statistical: the gaps are shown, not held
        outcome.problems = disagreements(plan.reference, reference, name, report, outcome.tolerance)
        outcome.status = "differs" if outcome.problems else "agrees"
        if outcome.problems:
            outcome.diverges_at = first_divergence(reference, report, spec, outcome.tolerance)
    order = [*plan.runs, *plan.skipped]
    for name, why in plan.skipped.items():
        outcomes[name] = Outcome(name, "skipped", reason=why)
    return Comparison(spec, plan.reference, base, [outcomes[n] for n in order], plan.note)


# Showing the facts ------------------------------------------------------------------------


def _number(value: float | None, digits: int = 8) -> str:
    return "-" if value is None else f"{value:.{digits}g}"


def _gap(value: float) -> str:
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


def _verdict(outcome: Outcome, comparison: Comparison) -> str:
    if outcome.status == "differs":
        return f"DIFFERS from {outcome.diverges_at}"
    if outcome.status == "agrees" and outcome.known_gap:
        return "agrees (known gap)"
    if outcome.status == "ran":
        return "ran (statistical)"
    if outcome.status in ("skipped", "failed", "not compared"):
        return f"{outcome.status}: {outcome.reason}"
    return outcome.status


def table(comparison: Comparison) -> str:
    """The plain-text report: one row per run, then what the exit status says and why."""
    classifies = comparison.spec.classifies
    header = ("run", "final loss", "predictions", "loss gap", "at", "weight gap", "at",
              "seconds", "verdict")  # fmt: skip
    rows = [header]
    for o in comparison.outcomes:
        compared = o.status in ("agrees", "differs", "ran")
        rows.append(
            (
                o.name,
                _number(o.final_loss),
                _predictions(o, classifies) if o.status not in ("failed", "skipped") else "-",
                _gap(o.loss_gap[1]) if compared and o.gaps else "-",
                (o.loss_gap[0] or "-") if compared else "-",
                _gap(o.weight_gap[1]) if compared else "-",
                (o.weight_gap[0] or "-") if compared else "-",
                "-" if o.seconds is None else f"{o.seconds:.1f}",
                _verdict(o, comparison),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[-1]
        for row in rows
    ]
    return "\n".join([*lines, "", *summary(comparison)]) + "\n"


def summary(comparison: Comparison) -> list[str]:
    """What the table's numbers mean, and why the exit status is what it is."""
    ref, spec = comparison.reference, comparison.spec
    lines = [
        f"Gaps are to {ref}: the loss relative at each logged {spec.training.unit} (below "
        f"{LOSS_FLOOR:g} of the largest loss, relative to that floor), the trained weights "
        f"absolute."
    ]
    if spec.logging.format is not None:
        lines.append(
            "The losses are read from the spec's own log format, rounded as it prints them."
        )
    if comparison.note:
        lines.append(comparison.note + ".")
    lines.append(
        f"Tolerance ({spec.dtype}, {spec.optimizer.kind}): {comparison.tolerance.describe()}."
    )
    known = [o for o in comparison.outcomes if o.known_gap and o.tolerance]
    for o in known:
        assert o.tolerance is not None
        lines.append(
            f"Known gap: {o.name} is held to {o.tolerance.describe()}, since "
            f"{o.tolerance.why} (see the README)."
        )
    for o in comparison.outcomes:
        if o.status == "failed":
            lines += [f"{o.name} failed ({o.reason}); its last lines:"]
            lines += [f"    {line}" for line in o.stderr_tail]
    for o in comparison.outcomes:
        if o.status == "differs":
            lines.append(f"{o.name} diverges from {ref} at {o.diverges_at}:")
            lines += [f"    {problem}" for problem in o.problems[:3]]
    ran = [o for o in comparison.outcomes if o.status not in ("skipped", "reference")]
    if comparison.exit_status == 0 and comparison.statistical:
        lines.append(
            "Weights start from each framework's own initializer (`native`): the runs agree "
            "only statistically, so their gaps are shown and not held. Exit 0: every run ran."
        )
    elif comparison.exit_status == 0:
        within = "within tolerance" + (" (and the known gap)" if known else "")
        agree = "1 run agrees" if len(ran) == 1 else f"{len(ran)} runs agree"
        lines.append(f"Exit 0: {agree} with {ref} {within}.")
    else:
        reasons = [f"{o.name} {o.status}" for o in comparison.outcomes if o.status in
                   ("differs", "failed", "not compared")] or ["no run could run here"]  # fmt: skip
        if first := comparison.first_divergence:
            reasons[0] = f"{first[0]} differs from {ref} first at {first[1]}"
            reasons = [reasons[0], *(r for r in reasons[1:] if not r.startswith(first[0]))]
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
        target, env = RUNS[o.name]
        return {
            "name": o.name,
            "target": target,
            "environment": env,
            "status": o.status,
            "reason": o.reason or None,
            "seconds": None if o.seconds is None else round(o.seconds, 3),
            "returncode": o.returncode,
            "final_loss": _finite(o.final_loss),
            "predictions": [[_finite(v) for v in p] for p in o.predictions],
            "losses": {k: _finite(v) for k, v in o.losses.items()},
            "loss_gaps": {k: _finite(v) for k, v in o.gaps.items()},
            "largest_loss_gap": {"value": _finite(o.loss_gap[1]), "at": o.loss_gap[0]},
            "largest_weight_gap": {"value": _finite(o.weight_gap[1]), "at": o.weight_gap[0]},
            "tolerance": tolerance_of(o.tolerance) if o.tolerance else None,
            "known_gap": o.known_gap,
            "diverges_at": o.diverges_at,
            "problems": o.problems,
            "stderr_tail": o.stderr_tail,
        }

    first = comparison.first_divergence
    return {
        "spec": comparison.spec.source_name,
        "reference": comparison.reference,
        "note": comparison.note or None,
        "dtype": comparison.spec.dtype,
        "tolerance": {**tolerance_of(comparison.tolerance), "loss_floor": LOSS_FLOOR},
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


def plot(comparison: Comparison, path: Path) -> None:
    """Draw the loss curves of every run, and below them each run's per-step relative loss
    gap to the reference on a log axis, into a PNG file."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display, no GUI toolkit
    import matplotlib.pyplot as plt

    spec, ref = comparison.spec, comparison.reference
    drawn = [o for o in comparison.outcomes if o.losses]
    figure, (top, bottom) = plt.subplots(
        2, 1, sharex=True, figsize=(8, 6.4), height_ratios=(3, 2), constrained_layout=True
    )
    styles = ["-", "--", "-.", ":"]
    markers = ["o", "s", "^", "v", "D", "x", "+"]
    steps = logged_steps(spec)
    for i, o in enumerate(drawn):
        xs = [_x(w) for w in o.losses]
        reference = o.name == ref
        top.plot(
            xs,
            list(o.losses.values()),
            linestyle="-" if reference else styles[i % len(styles)],
            linewidth=3 if reference else 1.2,
            alpha=0.35 if reference else 1.0,
            marker=None if reference or len(xs) > 40 else markers[i % len(markers)],
            markersize=4,
            color=f"C{i}",  # each run one colour in both panels
            label=f"{o.name} (reference)" if reference else o.name,
        )
    positive = [g for o in drawn for g in o.gaps.values() if g > 0 and math.isfinite(g)]
    low = min([*positive, comparison.tolerance.loss * 1e-3])
    floor = 10.0 ** math.floor(math.log10(low) - 1)  # where a gap of exactly 0 is drawn
    for i, o in enumerate(drawn):
        if o.name == ref or not o.gaps:
            continue
        gaps = [g if g > 0 else floor for g in o.gaps.values()]
        bottom.plot(
            [_x(w) for w in o.gaps],
            gaps,
            linestyle=styles[i % len(styles)],
            marker=None if len(gaps) > 40 else markers[i % len(markers)],
            markersize=4,
            color=f"C{i}",
            label=o.name,
        )
    bottom.axhline(comparison.tolerance.loss, color="red", linewidth=1, linestyle="--",
                   label=f"tolerance {comparison.tolerance.loss:g}")  # fmt: skip
    loose = {o.tolerance.loss for o in drawn if o.known_gap and o.tolerance}
    for bound in sorted(loose - {comparison.tolerance.loss}):
        bottom.axhline(bound, color="orange", linewidth=1, linestyle=":",
                       label=f"known gap {bound:g}")  # fmt: skip
    bottom.set_yscale("log")
    highest = max([*positive, *loose, comparison.tolerance.loss])
    bottom.set_ylim(floor / 2, highest * 100)  # room above the tolerance for the legend
    unit = spec.training.unit
    top.set_title(f"{spec.source_name}: {spec.name}, {len(drawn)} runs")
    top.set_ylabel("loss")
    if all(v > 0 for o in drawn for v in o.losses.values()) and drawn:
        values = [v for o in drawn for v in o.losses.values()]
        if max(values) / min(values) > 100:
            top.set_yscale("log")
    top.legend(fontsize="small")
    bottom.set_ylabel(f"relative loss gap to {ref}\n(a gap of 0 drawn at {floor:.0e})")
    bottom.set_xlabel(unit)
    if bottom.get_legend_handles_labels()[0]:
        bottom.legend(fontsize="small", ncols=3, loc="upper right")
    if steps:
        bottom.set_xlim(_x(steps[0]) - 0.5, _x(steps[-1]) + 0.5)
    figure.savefig(path, dpi=110)
    plt.close(figure)
