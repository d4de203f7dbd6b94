"""Read what a generated script prints, and say how far a run is from where it should be.

A float32 run is held to the band around the exact answer (`band`, `judge`: README, "The
verdict"); a run from `native` weights to the band over draws (`statistical_band`); a float64
run to the NumPy reference's within fixed tolerances (`disagreements`). The tests and
`specc compare` share these. NumPy is the only library this imports; the compiler path
(`specc build`) never imports it.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from specc import ir


@dataclass(frozen=True)
class Tolerance:
    """How far two runs may be apart: the loss relative, weights and predictions absolute."""

    loss: float
    value: float
    dtype: type = np.float32  # no bound is finer than one unit in the last place of this type
    why: str = ""  # for a known gap's looser bound: the reason, in a few words

    def allowed(self, values: np.ndarray) -> np.ndarray:
        """The absolute bound for each value: `value`, or one ulp where that is coarser (a
        float32 near 19 is a multiple of 1.9e-6)."""
        return np.maximum(self.value, np.spacing(np.abs(values).astype(self.dtype)) * 1.0001)

    def describe(self) -> str:
        """The bound in words, as the README states it."""
        return (
            f"loss {self.loss:g} relative, predictions and weights {self.value:g} absolute "
            f"(or one {np.dtype(self.dtype).name} ulp where that is coarser)"
        )


# The bounds the README states. Measured here, float32 SGD agrees to about 2e-7 relative in
# the loss and 6e-8 absolute in the weights; adaptive optimizers divide by small running
# averages, and float64 runs agree to a few ulps.
FLOAT32 = Tolerance(loss=1e-5, value=1e-6)
ADAPTIVE = Tolerance(loss=1e-5, value=2e-6)
FLOAT64 = Tolerance(loss=1e-12, value=1e-12, dtype=np.float64)


def tolerance(spec: ir.Spec) -> Tolerance:
    """The bound a spec's runs are held to."""
    if spec.dtype == "float64":
        return FLOAT64
    return ADAPTIVE if spec.optimizer.kind in ("adam", "adamw", "rmsprop") else FLOAT32


# Keras 3.15 averages a float64 loss in float32 on torch (its `divide_no_nan` types torch
# tensors as float32) and on JAX (its `ops.mean` computes in float32), so there float64 runs
# agree to float32's bounds only. README, "The tests", says so, and `specc build` warns.
# (run, dtype) -> the looser bound that run is held to.
_KERAS_MEAN = "Keras averages a float64 loss in float32 on its {} backend"
KNOWN_GAPS: dict[tuple[str, str], Tolerance] = {
    ("keras[torch]", "float64"): replace(FLOAT32, why=_KERAS_MEAN.format("torch")),
    ("keras[jax]", "float64"): replace(FLOAT32, why=_KERAS_MEAN.format("JAX")),
}


def known_gap(run: str, spec: ir.Spec) -> Tolerance | None:
    """The looser bound a run is held to for a gap no setting closes, or None."""
    return KNOWN_GAPS.get((run, spec.dtype))


# Near zero a loss is a sum of squares of residuals far smaller than the outputs they come
# from, and its relative error grows without bound: below this fraction of the largest logged
# loss, the tolerance stays that of the floor. (In seed 002 outputs near 19 are exact to 1e-6,
# a float32 ulp; at a loss of 2e-3 of its logged start, summed in another order, the targets
# are 3e-5 apart relative, and at 4e-8 of it, 1e-10 apart absolute.)
LOSS_FLOOR = 1e-2

_LOG = re.compile(r"^(epoch +\d+/\d+|step +\d+)  loss (\S+)((?:  \S+ [^ ]+(?: [^ ]+)*)*)$")
_PREDICT = re.compile(r"^predict (.+) -> (.+)$")
# `save "name"`: the file each target wrote, its own name in each, so not compared.
_SAVED = re.compile(r"^saved \S+\.(?:pt|keras|weights\.h5|ckpt|npz)$")
_TRAINED = re.compile(r"^trained  loss (\S+)(?:  accuracy (\S+))?$")
_TESTED = re.compile(r"^test  loss (\S+)(?:  accuracy (\S+))?$")
_STOPPED = re.compile(r"^stopped after epoch (\d+): ")
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)")


@dataclass
class Run:
    """The numbers one script printed."""

    losses: dict[str, float] = field(default_factory=dict)  # "epoch 10/100" -> loss
    shown: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)  # (when, name)
    predictions: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    params: dict[str, np.ndarray] = field(default_factory=dict)
    text: list[str] = field(default_factory=list)  # lines in a spec's own `format`
    trained: dict[str, float] = field(default_factory=dict)  # the trained model's loss, ...


def parse_output(stdout: str) -> Run:
    """Parse the report every target prints."""
    run = Run()
    for line in stdout.splitlines():
        if match := _LOG.match(line):
            when = " ".join(match[1].split())
            run.losses[when] = float(match[2])
            for part in filter(None, match[3].split("  ")):
                name, _, values = part.partition(" ")
                run.shown[(when, name)] = _floats(values)
        elif match := _TRAINED.match(line):
            run.trained["loss"] = float(match[1])
            if match[2] is not None:
                run.trained["accuracy"] = float(match[2])
        elif match := _TESTED.match(line):
            run.trained["test_loss"] = float(match[1])
            if match[2] is not None:
                run.trained["test_accuracy"] = float(match[2])
        elif match := _STOPPED.match(line):  # early stopping: every run at the same epoch
            run.trained["stopped after epoch"] = float(match[1])
        elif match := _PREDICT.match(line):
            run.predictions.append((_floats(match[1]), _prediction(match[2])))
        elif _SAVED.match(line):
            continue
        elif re.fullmatch(r"[A-Za-z_][\w.]* [-+0-9.eEinfa ]+", line):
            name, _, values = line.partition(" ")
            run.params[name] = _floats(values)
        else:
            run.text.append(line)
    return run


def _prediction(text: str) -> np.ndarray:
    """`0.5 1.5`, or `class 2  probabilities 0.1 0.2 0.7` as [2, 0.1, 0.2, 0.7]: a class
    that differs is then off by at least 1."""
    if match := re.fullmatch(r"class (\d+)  probabilit(?:y|ies) (.+)", text):
        return np.array([float(match[1]), *_floats(match[2])])
    return _floats(text)


def _floats(text: str) -> np.ndarray:
    return np.array([float(v) for v in text.split()])


def _loss_gap(a: float, b: float, floor: float, tol: Tolerance) -> float:
    """How far apart two losses are, in units of the tolerance (a NaN or infinity on one
    side only is infinitely far: a run that blew up never agrees)."""
    if a == b or (math.isnan(a) and math.isnan(b)):
        return 0.0
    if not (math.isfinite(a) and math.isfinite(b)):
        return math.inf
    return abs(b - a) / (tol.loss * max(abs(a), floor, 1e-30))


def _text_gap(a: str, b: str, tol: Tolerance) -> float | None:
    """Lines in a spec's own format: same words, numbers within tolerance (in units of it).

    None when the words differ. A number printed with few decimals may differ by one unit
    in its last place: two values within tolerance can round to neighbours.
    """
    if _NUMBER.sub("#", a) != _NUMBER.sub("#", b):
        return None
    worst = 0.0
    for x, y in zip(_NUMBER.findall(a), _NUMBER.findall(b), strict=True):
        fx, fy = float(x), float(y)
        mantissa = x.lower().split("e")[0]
        decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
        exponent = int(x.lower().split("e")[1]) if "e" in x.lower() else 0
        unit = 10.0 ** (exponent - decimals) if 2 <= decimals <= 6 else 0.0
        allowed = max(tol.value, tol.loss * abs(fx), unit * 1.0001)
        worst = max(worst, abs(fy - fx) / allowed)
    return worst


def disagreements(
    reference: str, ref: Run, other: str, run: Run, tol: Tolerance = FLOAT32
) -> list[str]:
    """Every way `run` is off from `ref`, with the worst step of each kind; [] if they agree."""
    problems: list[str] = []
    if ref.losses.keys() != run.losses.keys():
        problems.append(f"{other} logged {sorted(run.losses)}, {reference} {sorted(ref.losses)}")
    elif ref.losses:
        floor = LOSS_FLOOR * max(abs(loss) for loss in ref.losses.values())
        worst = max(ref.losses, key=lambda w: _loss_gap(ref.losses[w], run.losses[w], floor, tol))
        a, b = ref.losses[worst], run.losses[worst]
        if _loss_gap(a, b, floor, tol) > 1:
            problems.append(
                f"loss at {worst} is {abs(b - a) / max(abs(a), floor):.2e} apart relative "
                f"(tolerance {tol.loss:g}): {reference} {a!r}, {other} {b!r}"
            )
    problems += _arrays("logged", ref.shown, run.shown, reference, other, tol)
    if ref.trained.keys() != run.trained.keys():
        problems.append(f"{other} printed the trained model's {sorted(run.trained)}")
    for name, a in ref.trained.items():
        b = run.trained.get(name, a)
        if _loss_gap(a, b, 0.0, tol) > 1:
            problems.append(f"the trained model's {name}: {reference} {a!r}, {other} {b!r}")
    if len(ref.predictions) != len(run.predictions):
        problems.append(
            f"{other} printed {len(run.predictions)} predictions, "
            f"{reference} {len(ref.predictions)}"
        )
    for i, ((xa, ya), (xb, yb)) in enumerate(zip(ref.predictions, run.predictions, strict=False)):
        if xa.shape != xb.shape or not np.array_equal(xa, xb):
            problems.append(f"prediction {i}: inputs differ ({xa} vs {xb})")
        elif ya.shape != yb.shape or np.any(_beyond(ya, yb, tol)):
            problems.append(f"prediction {i} for {xa}: {reference} {ya}, {other} {yb}")
    problems += _arrays("trained", ref.params, run.params, reference, other, tol)
    if len(ref.text) != len(run.text):
        problems.append(f"{other} printed {len(run.text)} other lines, {reference} {len(ref.text)}")
    gaps = [(_text_gap(a, b, tol), a, b) for a, b in zip(ref.text, run.text, strict=False)]
    for gap, a, b in gaps:
        if gap is None:
            problems.append(f"lines differ in words: {reference} {a!r}, {other} {b!r}")
    numeric = [g for g in gaps if g[0] is not None]
    if numeric and max(numeric)[0] > 1:
        _, a, b = max(numeric)
        problems.append(f"numbers apart beyond tolerance: {reference} {a!r}, {other} {b!r}")
    return problems


def apart(a: np.ndarray, b: np.ndarray, dtype: type = np.float32) -> np.ndarray:
    """How far apart two printed arrays are, as the values of `dtype` they print: 5.355161
    and 5.355162 are two float32 steps apart (9.5e-7), not the 1e-6 of their decimals."""
    with np.errstate(invalid="ignore", over="ignore"):
        return np.abs(a.astype(dtype).astype(np.float64) - b.astype(dtype).astype(np.float64))


def _beyond(a: np.ndarray, b: np.ndarray, tol: Tolerance) -> np.ndarray:
    """Which elements of `b` are beyond tolerance of `a`'s; NaN only on one side always is."""
    with np.errstate(invalid="ignore"):
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        return ~same & ~(apart(a, b, tol.dtype) <= tol.allowed(a))


def _arrays(
    what: str, ref: dict, run: dict, reference: str, other: str, tol: Tolerance
) -> list[str]:
    """Compare named arrays; report the worst element beyond the tolerance."""
    if ref.keys() != run.keys():
        return [f"{other} printed {what} values {sorted(run)}, {reference} {sorted(ref)}"]
    problems = []
    for key in ref:
        a, b = ref[key], run[key]
        if a.shape != b.shape:
            problems.append(f"{what} {key}: shapes {a.shape} and {b.shape}")
            continue
        with np.errstate(invalid="ignore"):  # inf - inf, nan: _beyond decides about those
            diff = apart(a, b, tol.dtype)
            ratio = np.nan_to_num(diff / tol.allowed(a), nan=np.inf)
        beyond = _beyond(a, b, tol)
        if diff.size and np.any(beyond):
            at = int(np.where(beyond, ratio, 0).argmax())
            problems.append(
                f"{what} {key}[{at}] is {diff[at]:.2e} apart (tolerance {tol.value:g}): "
                f"{reference} {a[at]!r}, {other} {b[at]!r}"
            )
    return problems


# What `specc compare` reports beyond a verdict: where along the run, and by how much, a
# run is apart from the reference.


def logged_steps(spec: ir.Spec) -> list[str]:
    """The steps a spec's scripts log, named as its log lines name them (`epoch 10/100`)."""
    every, count = spec.logging.every, spec.training.count
    if spec.training.unit == "step":
        return [f"step {s}" for s in range(count) if s % every == 0]
    return [f"epoch {e}/{count}" for e in range(1, count + 1) if e % every == 0]


def _format_pattern(log_format: str) -> re.Pattern[str]:
    """A spec's own log format as a pattern whose group `loss` is the loss printed."""
    parts: list[str] = []
    for literal, name, _, _ in string.Formatter().parse(log_format):
        parts.append(re.escape(literal))
        if name == "loss" and "(?P<loss>" not in "".join(parts):
            parts.append(r"\s*(?P<loss>\S+?)")
        elif name is not None:
            parts.append(r".*?")
    return re.compile("".join(parts), re.DOTALL)


def format_lines(run: Run, spec: ir.Spec) -> dict[int, str]:
    """Index in `run.text` -> the step of each line printed in the spec's own log format."""
    if spec.logging.format is None:
        return {}
    pattern = _format_pattern(spec.logging.format)
    matching = [i for i, line in enumerate(run.text) if pattern.fullmatch(line)]
    return dict(zip(matching, logged_steps(spec), strict=False))


def loss_curve(run: Run, spec: ir.Spec) -> dict[str, float]:
    """Step -> the loss a run logged, from its log lines or those in the spec's own format."""
    if run.losses or spec.logging.format is None:
        return dict(run.losses)
    pattern = _format_pattern(spec.logging.format)
    curve: dict[str, float] = {}
    for index, when in format_lines(run, spec).items():
        match = pattern.fullmatch(run.text[index])
        if match and "loss" in match.groupdict():
            try:
                curve[when] = float(match["loss"].rstrip("%"))
            except ValueError:  # a format spec that prints no plain number
                continue
    return curve


def _floor(curve: dict[str, float]) -> float:
    """Below this a loss is held relative to it (LOSS_FLOOR of the largest logged loss)."""
    finite = [abs(v) for v in curve.values() if math.isfinite(v)]
    return LOSS_FLOOR * max(finite, default=0.0)


def _relative(a: float, b: float, floor: float) -> float:
    if a == b or (math.isnan(a) and math.isnan(b)):
        return 0.0
    if not (math.isfinite(a) and math.isfinite(b)):
        return math.inf
    return abs(b - a) / max(abs(a), floor, 1e-30)


def loss_gaps(reference: dict[str, float], curve: dict[str, float]) -> dict[str, float]:
    """Step -> how far a loss is from the reference's, relative (near zero, to the floor)."""
    floor = _floor(reference)
    return {w: _relative(a, curve[w], floor) for w, a in reference.items() if w in curve}


def largest(gaps: dict[str, float]) -> tuple[str | None, float]:
    """The key of the largest gap, and the gap (None and 0 when every gap is 0)."""
    where = max(gaps, key=lambda k: (math.isnan(gaps[k]), gaps[k]), default=None)
    if where is None or gaps[where] == 0:
        return None, 0.0
    return where, gaps[where]


def param_gap(ref: Run, run: Run, spec: ir.Spec | None = None) -> tuple[str | None, float]:
    """The trained weight element furthest from the reference's (`fc1.kernel[0, 3]`), and
    how far, absolute."""
    shapes = {w.name: tuple(w.shape) for w in spec.weights} if spec else {}
    gaps: dict[str, float] = {}
    for name, a in ref.params.items():
        b = run.params.get(name)
        if b is None or a.shape != b.shape or not a.size:
            continue
        with np.errstate(invalid="ignore"):
            dtype = np.float64 if spec and spec.dtype == "float64" else np.float32
            diff = np.where(np.isnan(a) & np.isnan(b), 0.0, apart(a, b, dtype))
        at = int(np.nan_to_num(diff, nan=np.inf).argmax())
        shape = shapes.get(name)
        index = np.unravel_index(at, shape) if shape and math.prod(shape) == a.size else (at,)
        gaps[f"{name}[{', '.join(str(int(i)) for i in index)}]"] = float(diff[at])
    return largest(gaps)


def first_divergence(ref: Run, run: Run, spec: ir.Spec, tol: Tolerance) -> str | None:
    """The first logged step where `run` is beyond tolerance of `ref`; `after training` when
    only its predictions or trained weights are; None when it agrees."""
    if ref.losses or run.losses:
        floor = _floor(ref.losses)
        for when in [*ref.losses, *(w for w in run.losses if w not in ref.losses)]:
            if when not in ref.losses or when not in run.losses:
                return when
            if _loss_gap(ref.losses[when], run.losses[when], floor, tol) > 1:
                return when
            shown = [name for (w, name) in ref.shown if w == when]
            if _arrays(when, _at(ref, when, shown), _at(run, when, shown), "", "", tol):
                return when
    else:
        steps = format_lines(ref, spec)
        for i, (a, b) in enumerate(zip(ref.text, run.text, strict=False)):
            gap = _text_gap(a, b, tol)
            if gap is None or gap > 1:
                return steps.get(i, f"line {i + 1}")
        if len(ref.text) != len(run.text):
            i = min(len(ref.text), len(run.text))
            return steps.get(i, f"line {i + 1}")
    return "after training" if disagreements("", ref, "", run, tol) else None


def _at(run: Run, when: str, names: list[str]) -> dict[str, np.ndarray]:
    return {name: run.shown[(when, name)] for name in names if (when, name) in run.shown}


# The verdict for float32: each run against the exact answer, within the band that float32
# arithmetic that is right can wander from it (`specc/_mca.py` computes both).
#
# The exact answer is the NumPy reference run on the same float32 experiment (its data,
# initial weights and hyper-parameters), every operation carried out in float64. The band is
# measured on the spec itself: MEMBERS runs of the same float32 computation whose every
# rounding differs (sums in a random order, each elementwise result rounded to a neighbouring
# float32 at random). At every value a report prints, the members' root-mean-square distance
# to the exact answer is that value's spread, never below one float32 ulp of the value; a run
# agrees when each of its values is within MULTIPLE spreads of the exact answer.

MEMBERS = 8
MULTIPLE = 10.0

# A target whose runs differ from the reference in a way no setting closes, by more than
# rounding moves the reference, is held to a band WIDER times as wide, and `specc build`
# warns at the statement (`Backend.band_gap`): Keras's and TF1's Adam compute its bias
# corrections in float32 (measured: up to 20 spreads, in the loss, in the first ten steps).
WIDER = 4.0


def band_gap(target: str, spec: ir.Spec) -> str | None:
    """Why a target's float32 runs are held to a band WIDER times as wide, or None."""
    from .backends import backend

    return backend(target).band_gap(spec)


# torch's BCEWithLogitsLoss (Keras's too, on its torch backend) takes the log of a float32
# number near 1 for a confidently classified sample, where TensorFlow and the reference take
# log1p: each such sample's loss is off by up to half an ulp of 1 (its gradient is exact).
# Those runs' losses are held to a floor of that error; `specc build` warns at the loss.
# (run, loss) -> the floor of one sample's loss, absolute.
LOSS_FLOORS: dict[tuple[str, str], float] = {
    ("torch", "bce"): 2.0**-24,
    ("keras[torch]", "bce"): 2.0**-24,
}


def loss_floor(run: str, spec: ir.Spec) -> float:
    """The least spread a run's losses are held to (0 but for LOSS_FLOORS): one sample's
    floor for a mean, the rows' for a sum (unknown rows: no bound)."""
    floor = LOSS_FLOORS.get((run, spec.loss.kind), 0.0)
    if floor and spec.loss.reduction == "sum":
        rows = next(d.shape[0] for d in spec.data if d.name == spec.inputs)
        return math.inf if rows is None else floor * rows
    return floor


def multiple(target: str, spec: ir.Spec) -> float:
    """How many spreads from the exact answer a target's runs may be."""
    return MULTIPLE * (WIDER if band_gap(target, spec) else 1.0)


Key = tuple[str, str]  # (what, when): ("loss", "epoch 10/100"), ("fc1.kernel", TRAINED)
TRAINED = "after training"
TRAINED_MODEL = "the trained model"  # its loss on the training data, printed after training


def quantities(run: Run) -> dict[Key, np.ndarray]:
    """Every number a report holds, in the order it printed them, keyed (what, when)."""
    found: dict[Key, np.ndarray] = {}
    steps = list(dict.fromkeys([*run.losses, *(when for when, _ in run.shown)]))
    for when in steps:
        if when in run.losses:
            found[("loss", when)] = np.array([run.losses[when]])
        for (at, name), values in run.shown.items():
            if at == when:
                found[(name, when)] = values
    for i, line in enumerate(run.text):
        numbers = _NUMBER.findall(line)
        if numbers:
            found[(f"line {i + 1}", f"line {i + 1}")] = np.array([float(n) for n in numbers])
    for name, value in run.trained.items():
        found[(name, TRAINED_MODEL)] = np.array([value])
    for i, (_, outputs) in enumerate(run.predictions):
        found[(f"prediction {i}", TRAINED)] = outputs
    for name, values in run.params.items():
        found[(name, TRAINED)] = values
    return found


def _units(run: Run) -> dict[Key, np.ndarray]:
    """For numbers printed in a spec's own format, the unit of their last printed digit:
    two values within the band may round to neighbours."""
    units: dict[Key, np.ndarray] = {}
    for i, line in enumerate(run.text):
        numbers = _NUMBER.findall(line)
        if numbers:
            units[(f"line {i + 1}", f"line {i + 1}")] = np.array([_unit(n) for n in numbers])
    return units


def _unit(number: str) -> float:
    mantissa, _, exponent = number.lower().partition("e")
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return 10.0 ** (int(exponent or 0) - decimals) if 2 <= decimals <= 6 else 0.0


@dataclass(frozen=True)
class Band:
    """The exact answer and, at every value, how far float32 can wander from it."""

    exact: dict[Key, np.ndarray]
    # At each key: the members' root-mean-square distance to the exact answer, the distance
    # being the 2-norm over the key's values (a loss, a weight tensor); never below the
    # 2-norm of the values' float32 ulps (or of the units of their last printed digits).
    spread: dict[Key, float]
    members: int
    text: tuple[str, ...] = ()  # the exact run's lines in the spec's own format
    inputs: tuple[np.ndarray, ...] = ()  # the inputs of its predictions
    statistical: bool = False  # a band over draws: its centre is their mean (`statistical`)


def band(exact: Run, members: Sequence[Run]) -> Band:
    """The band from the exact run and the ensemble's runs (members whose report does not
    have the exact run's values are left out: they cannot say how far those wander)."""
    values = quantities(exact)
    units = _units(exact)
    ensemble = [quantities(m) for m in members]
    ensemble = [m for m in ensemble if m.keys() == values.keys()]
    spread: dict[Key, float] = {}
    for key, centre in values.items():
        with np.errstate(invalid="ignore", over="ignore"):
            distances = [_norm(centre, m[key]) for m in ensemble if m[key].shape == centre.shape]
            rms = math.sqrt(sum(d * d for d in distances) / len(distances)) if distances else 0.0
            ulp = np.spacing(np.abs(centre).astype(np.float32)).astype(np.float64)
            floor = np.maximum(ulp, units.get(key, 0.0))
            floor = float(np.sqrt(np.sum(np.square(np.nan_to_num(floor, nan=0.0)))))
        spread[key] = max(rms, floor) if not math.isnan(rms) else math.inf
    inputs = tuple(x for x, _ in exact.predictions)
    return Band(values, spread, len(ensemble), tuple(exact.text), inputs)


# With `native` weights, each framework draws its own initial weights, unseeded: its run is
# one draw of an experiment that no other run repeats. It is held to the runs of NumPy
# scripts that start from NATIVE_MEMBERS draws of the same distribution (`specc.runner.
# native_scripts`): at each logged loss and accuracy, the trained model's, and each
# prediction, within STATISTICAL standard deviations of their mean. Weights are not held:
# two draws train to different weights, hidden units in any order.
STATISTICAL = 6.0


def statistical_band(members: Sequence[Run]) -> Band:
    """The band over runs from different draws: their mean, and their standard deviation
    (the 2-norm over a value's elements, never below that of its float32 ulps)."""
    reports = [quantities(m) for m in members]
    keys = [
        key
        for key in reports[0]
        if key[0] in ("loss", "accuracy", "test_loss", "test_accuracy")
        or key[0].startswith("prediction")
        if all(key in r and r[key].shape == reports[0][key].shape for r in reports)
    ]
    centre = {key: np.mean([r[key] for r in reports], axis=0) for key in keys}
    spread: dict[Key, float] = {}
    for key in keys:
        squares = [_norm(centre[key], r[key]) ** 2 for r in reports]
        deviation = math.sqrt(sum(squares) / max(1, len(reports) - 1))
        ulp = np.spacing(np.abs(centre[key]).astype(np.float32)).astype(np.float64)
        spread[key] = max(deviation, float(np.sqrt(np.sum(np.square(ulp)))))
    inputs = tuple(x for x, _ in members[0].predictions)
    return Band(centre, spread, len(reports), (), inputs, statistical=True)


def _norm(a: np.ndarray, b: np.ndarray) -> float:
    """The 2-norm of `b - a` (NaN and infinities as `_distance` counts them)."""
    with np.errstate(over="ignore"):
        return float(np.sqrt(np.sum(np.square(_distance(a, b)))))


def _distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|a - b| elementwise; 0 where both are the same infinity or NaN, else inf for one."""
    with np.errstate(invalid="ignore", over="ignore"):
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        return np.where(same, 0.0, np.nan_to_num(np.abs(a - b), nan=np.inf))


@dataclass(frozen=True)
class Worst:
    """A run's furthest value from the exact answer, in spreads."""

    key: Key
    index: tuple[int, ...]
    value: float  # the run's, at `index`: the value furthest from the exact one
    exact: float
    distance: float  # the 2-norm of the run's distance to the exact answer at `key`
    spread: float  # the band's spread there; the band is `multiple` of it
    size: int = 1  # how many values `key` holds

    @property
    def ratio(self) -> float:
        if not self.spread:
            return 0.0 if self.distance == 0 else math.inf
        return self.distance / self.spread


@dataclass(frozen=True)
class Judgement:
    """A run held to the band: how far it is, where, and where it first leaves the band."""

    worst: Worst | None  # None when the reports cannot be compared value by value
    steps: dict[str, float]  # when -> the largest ratio (distance / spread) of that step
    leaves_at: str | None  # the first `when` whose ratio is beyond the multiple
    problems: list[str]  # what differs, in words; [] when the run agrees

    @property
    def agrees(self) -> bool:
        return not self.problems


def judge(
    band: Band,
    name: str,
    run: Run,
    shapes: Mapping[str, tuple[int, ...]] | None = None,
    multiple: float = MULTIPLE,
    loss_floor: float = 0.0,
) -> Judgement:
    """Hold `run` to `band`: every value within `multiple` spreads of the exact answer.

    `shapes` gives weights' shapes, to name an element as `fc1.kernel[0, 3]`."""
    shapes = shapes or {}
    values = quantities(run)
    problems: list[str] = []
    if band.statistical:
        values = {key: value for key, value in values.items() if key in band.exact}
    if values.keys() != band.exact.keys():
        missing = [f"{w} {k}".strip() for k, w in band.exact if (k, w) not in values]
        extra = [f"{w} {k}".strip() for k, w in values if (k, w) not in band.exact]
        said = "; ".join(
            part
            for part in (
                f"missing {', '.join(missing[:3])}" if missing else "",
                f"unexpected {', '.join(extra[:3])}" if extra else "",
            )
            if part
        )
        problems.append(f"{name} printed other values than the exact run: {said}")
    for i, (ours, theirs) in enumerate(zip(band.text, run.text, strict=False)):
        if _NUMBER.sub("#", ours) != _NUMBER.sub("#", theirs):
            problems.append(f"line {i + 1} differs in words: exact {ours!r}, {name} {theirs!r}")
    steps: dict[str, float] = {}
    worst: Worst | None = None
    leaves_at = None
    for key, centre in band.exact.items():
        if key not in values:
            continue
        if values[key].shape != centre.shape:
            problems.append(f"{key[0]} ({key[1]}): {values[key].size} values, exact {centre.size}")
            continue
        apart = _distance(centre, values[key])
        distance, spread = _norm(centre, values[key]), band.spread[key]
        if key[0] == "loss":
            spread = max(spread, loss_floor)
        top = distance / spread if spread else (0.0 if distance == 0 else math.inf)
        steps[key[1]] = max(steps.get(key[1], 0.0), top)
        if worst is None or top > worst.ratio:
            at = int(np.nan_to_num(apart, nan=np.inf).argmax()) if apart.size else 0
            shape = shapes.get(key[0], centre.shape)
            index = np.unravel_index(at, shape) if math.prod(shape) == centre.size else (at,)
            worst = Worst(
                key, tuple(int(i) for i in index), float(values[key].flat[at]),
                float(centre.flat[at]), distance, spread, centre.size
            )  # fmt: skip
        if top > multiple and leaves_at is None:
            leaves_at = key[1]
    for i, ((ours, _), inputs) in enumerate(zip(run.predictions, band.inputs, strict=False)):
        if ours.shape != inputs.shape or not np.array_equal(
            ours.astype(np.float32), inputs.astype(np.float32)
        ):
            problems.append(f"prediction {i}: inputs differ ({inputs} vs {ours})")
    if worst is not None and worst.ratio > multiple:
        over = f" (2-norm over its {worst.size} values)" if worst.size > 1 else ""
        centre, short = (
            ("the draws' mean", "mean") if band.statistical else ("the exact answer", "exact")
        )
        element = f"; furthest at [{', '.join(map(str, worst.index))}]" if worst.size > 1 else ""
        problems.append(
            f"{place(worst)} is {worst.distance:.2e} from {centre}{over}, "
            f"{worst.ratio:.1f} spreads (the band is {multiple:g} spreads of "
            f"{worst.spread:.2e}){element}: {short} {worst.exact!r}, {name} {worst.value!r}"
        )
    return Judgement(worst, steps, leaves_at, problems)


def place(worst: Worst) -> str:
    """Where a worst value is, in words: `fc1.kernel after training`, `loss at step 3`."""
    what, when = worst.key
    if when == TRAINED_MODEL:
        return f"the trained model's {what}"
    if when == TRAINED:
        return what if what.startswith("prediction") else f"{what} after training"
    return what if what.startswith("line ") else f"{what} at {when}"
