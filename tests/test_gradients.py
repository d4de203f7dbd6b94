"""The NumPy reference's backward pass is the derivative of its forward pass.

The reference is what every framework is held to, so it is checked against the definition of
a derivative instead: central finite differences, in float64, of the loss the generated
script computes, for every weight. Formulas come from a grammar of random formulas over every
operator and function of the language (hypothesis); the layered models from every example and
case, run in float64.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from support import build_cases, case_targets

import specc

STEP = 1e-6  # central differences in float64 are exact to about STEP**2 and 1e-16 / STEP
RTOL = 2e-5


def _script(text: str) -> dict:
    """Run the NumPy script of a spec (quietly) and return its module namespace."""
    script = specc.compile(text, "numpy", "model.spec")
    namespace: dict = {"__name__": "reference"}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(script, "model_numpy.py", "exec"), namespace)
    return namespace


def _forward(ns: dict, x: np.ndarray) -> tuple:
    """forward as an update calls it: BatchNorm by the batch's statistics, Dropout with the
    same masks at every call (an update draws them once)."""
    if "masks" in ns:
        ns["masks"] = np.random.default_rng(0)
    training = "training" in inspect.signature(ns["forward"]).parameters
    return ns["forward"](x, training=True) if training else ns["forward"](x)


def _loss(ns: dict, x: np.ndarray, y: np.ndarray) -> float:
    outputs, _ = _forward(ns, x)
    return float(ns["criterion"](outputs, y)[0])


def _check_gradients(ns: dict, samples: int = 12, seed: int = 0, rows: int | None = None) -> None:
    """backward's gradient for each weight against finite differences of the loss (of the
    first `rows` samples: a batch of its own)."""
    x, y = ns["x"][:rows], ns["y"][:rows]
    outputs, saved = _forward(ns, x)
    _, grad_outputs = ns["criterion"](outputs, y)
    gradients = ns["backward"](x, saved, grad_outputs)
    rng = np.random.default_rng(seed)
    for name, weight in ns["weights"].items():
        assert gradients[name].shape == weight.shape, name
        flat = weight.reshape(-1)  # a view: perturbing it perturbs the weight forward reads
        picked = rng.choice(flat.size, size=min(samples, flat.size), replace=False)
        for i in picked:
            kept = flat[i]
            flat[i] = kept + STEP
            above = _loss(ns, x, y)
            flat[i] = kept - STEP
            below = _loss(ns, x, y)
            flat[i] = kept
            numeric = (above - below) / (2 * STEP)
            analytic = gradients[name].reshape(-1)[i]
            scale = max(abs(numeric), abs(analytic), 1e-3 * max(abs(above), 1.0))
            assert (
                abs(analytic - numeric) <= RTOL * scale
            ), f"d loss / d {name}[{i}]: backward {analytic!r}, finite differences {numeric!r}"


# --- random formulas --------------------------------------------------------------------------

# Formulas over x (8 samples of 2 features, in [0.5, 1.5]) and params w, c (vectors of one)
# and W (2 x 1). `column` has a row per sample; `scalar` is broadcast over them. Arguments of
# log and sqrt, and divisors, are kept away from 0, so every formula is smooth where it is
# evaluated; abs and relu are kept away from their kink by the same shift.
_SAFE = "(1 + ({})**2)"


def _call(fn: str, arg: str) -> str:
    if fn in ("log", "sqrt"):
        return f"{fn}{_SAFE.format(arg)}"
    if fn in ("abs", "relu"):
        return f"{fn}({arg} + 3)"
    if fn == "exp":
        return f"exp(tanh({arg}))"
    return f"{fn}({arg})"


FUNCTIONS = ("exp", "log", "sin", "cos", "tanh", "abs", "sqrt", "relu", "sigmoid")
CONSTANTS = st.sampled_from(["2", "0.5", "3", "1.5", "-1"])


def _combine(draw: st.DrawFn, a: str, b: str, base: str | None = None) -> str:
    """`a op b`; `**` raises `base` (default `a`) to a constant or a param's power."""
    op = draw(st.sampled_from(["+", "-", "*", "/", "**"]))
    if op == "/":
        return f"({a}) / {_SAFE.format(b)}"
    if op == "**":  # a positive base
        exponent = draw(st.sampled_from(["2", "3", "0.5", "c"]))
        return f"{_SAFE.format(base or a)} ** {exponent}"
    return f"({a}) {op} ({b})"


@st.composite
def scalars(draw: st.DrawFn, depth: int = 2) -> str:
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from(["w", "c"]) | CONSTANTS)
    if draw(st.booleans()):
        return _call(draw(st.sampled_from(FUNCTIONS)), draw(scalars(depth - 1)))
    return _combine(draw, draw(scalars(depth - 1)), draw(scalars(depth - 1)))


@st.composite
def columns(draw: st.DrawFn, depth: int = 4) -> str:
    if depth == 0 or draw(st.integers(0, 4)) == 0:
        return draw(st.sampled_from(["x @ W", "(x * w) @ W", "(x - c) @ W"]))
    kind = draw(st.integers(0, 3))
    if kind <= 1:
        return _call(draw(st.sampled_from(FUNCTIONS)), draw(columns(depth - 1)))
    column, other = draw(columns(depth - 1)), draw(scalars(1) | columns(depth - 1))
    return _combine(draw, *((column, other) if kind == 2 else (other, column)), base=column)


def _formula_spec(formula: str, loss: str) -> str:
    return f"""dtype float64
seed 3
data x = uniform(0.5, 1.5, 8, 2)
data y = normal(0, 1, 8, 1)
param W[2, 1] = uniform(-0.5, 0.5)
param w[1] = 0.7
param c[1] = 1.3
forward y = {formula}
loss {loss}
optim sgd lr=0.001
train steps=1
"""


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(formula=columns(), loss=st.sampled_from(["mse", "mse reduction=sum", "mae"]))
def test_formula_gradients_match_finite_differences(formula: str, loss: str) -> None:
    note(formula)
    ns = _script(_formula_spec(formula, loss))
    _check_gradients(ns)


@pytest.mark.parametrize(
    "formula",
    [
        "w * x @ W + c",  # a param used twice, broadcast over rows and columns
        "exp(x @ W) / (1 + c**2) - sqrt(1 + w**2) * log(1 + (x @ W) ** 2)",
        "abs(x @ W + 3) ** c + relu(x @ W + 3) * sigmoid(x @ W) - cos(w) * tanh(x @ W)",
        "-(x @ W) ** 3 + sin(c) * (x @ W)",
    ],
)
def test_every_operator_and_function_differentiates(formula: str) -> None:
    _check_gradients(_script(_formula_spec(formula, "mse")))


# --- layered models: every example and case, in float64 -------------------------------------


def _float64(text: str) -> str:
    """The spec with float64 weights, and few updates: the gradients, not training, count;
    nothing saved (the script runs in the case's folder, for its data files)."""
    text = re.sub(r"(?m)^(?:dtype|save) .*$", "", text)
    text = re.sub(r"(?m)^(train .*\b(?:epochs|steps))=\d+", r"\1=2", text)
    return "dtype float64\n" + text


@pytest.mark.parametrize(
    "case",
    [c for c in build_cases() if "numpy" in case_targets(c)],
    ids=lambda c: c.name,
)
def test_every_case_gradient_matches_finite_differences(case, monkeypatch) -> None:
    monkeypatch.chdir(case.spec.parent)  # a case may read a CSV file beside its spec
    ns = _script(_float64(case.spec.read_text(encoding="utf-8")))
    if "crossentropy" in case.spec.read_text():
        ns["y"] = ns["y"].astype(np.int64)
    _check_gradients(ns, samples=6, rows=64)
