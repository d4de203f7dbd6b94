"""Read what a generated script prints, and say how far two targets' runs are apart."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

# Measured on this machine with shared data and weights, float32 SGD agrees to about
# 2.4e-7 relative in the per-step loss and 6e-8 absolute in the final parameters.
LOSS_RTOL = 1e-5
VALUE_ATOL = 1e-6

_EPOCH = re.compile(r"^epoch +(\d+)/(\d+)  loss (\S+)$")
_PREDICT = re.compile(r"^predict (.+) -> (.+)$")


@dataclass
class Run:
    """The numbers one script printed: losses by epoch, predictions, trained parameters."""

    losses: dict[int, float] = field(default_factory=dict)
    predictions: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    params: dict[str, np.ndarray] = field(default_factory=dict)


def parse_output(stdout: str) -> Run:
    """Parse the report every target prints; unknown lines are an error."""
    run = Run()
    for line in stdout.splitlines():
        if match := _EPOCH.match(line):
            run.losses[int(match[1])] = float(match[3])
        elif match := _PREDICT.match(line):
            run.predictions.append((_floats(match[1]), _floats(match[2])))
        else:
            name, _, values = line.partition(" ")
            if not values:
                raise ValueError(f"unexpected output line: {line!r}")
            run.params[name] = _floats(values)
    return run


def _floats(text: str) -> np.ndarray:
    return np.array([float(v) for v in text.split()])


def disagreements(reference: str, ref: Run, other: str, run: Run) -> list[str]:
    """Every way `run` is off from `ref`, worst first within each kind; [] if they agree."""
    problems: list[str] = []
    if ref.losses.keys() != run.losses.keys():
        problems.append(
            f"{other} logged epochs {sorted(run.losses)}, {reference} {sorted(ref.losses)}"
        )
    else:
        worst = max(
            ref.losses,
            key=lambda e: abs(run.losses[e] - ref.losses[e]) / max(abs(ref.losses[e]), 1e-30),
            default=None,
        )
        if worst is not None:
            a, b = ref.losses[worst], run.losses[worst]
            rel = abs(b - a) / max(abs(a), 1e-30)
            if rel > LOSS_RTOL:
                problems.append(
                    f"loss at epoch {worst} is {rel:.2e} apart relative (tolerance {LOSS_RTOL:g}): "
                    f"{reference} {a!r}, {other} {b!r}"
                )
    if len(ref.predictions) != len(run.predictions):
        problems.append(
            f"{other} printed {len(run.predictions)} predictions, "
            f"{reference} {len(ref.predictions)}"
        )
    for i, ((xa, ya), (xb, yb)) in enumerate(zip(ref.predictions, run.predictions, strict=False)):
        if xa.shape != xb.shape or not np.array_equal(xa, xb):
            problems.append(f"prediction {i}: inputs differ ({xa} vs {xb})")
        elif ya.shape != yb.shape or np.max(np.abs(ya - yb)) > VALUE_ATOL:
            problems.append(f"prediction {i} for {xa}: {reference} {ya}, {other} {yb}")
    if ref.params.keys() != run.params.keys():
        problems.append(
            f"{other} printed parameters {sorted(run.params)}, {reference} {sorted(ref.params)}"
        )
    for name in sorted(ref.params.keys() & run.params.keys()):
        a, b = ref.params[name], run.params[name]
        if a.shape != b.shape:
            problems.append(f"{name}: shapes {a.shape} and {b.shape}")
            continue
        diff = np.abs(a - b)
        if diff.size and diff.max() > VALUE_ATOL:
            at = int(diff.argmax())
            problems.append(
                f"{name}[{at}] is {diff.max():.2e} apart (tolerance {VALUE_ATOL:g}): "
                f"{reference} {a[at]!r}, {other} {b[at]!r}"
            )
    return problems
