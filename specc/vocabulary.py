"""The vocabulary: every word the language knows, declared once.

The grammar fixes the shape of a statement; this module fixes the words that fill it, and the
options each word takes with their types, defaults and ranges. The checker, the IR's types,
every help text and the backends' coverage test derive from these tables, so adding a loss or
an optimizer starts (and, for the compiler's front half, ends) with one entry here.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from .diagnostics import one_of

# Limits that keep a spec's script one a reader can follow, and specc's own work bounded.
MAX_UNITS = 100_000  # wider layers are surely a typo
MAX_ELEMENTS = 50_000_000  # larger data would not fit a generated script's purpose
MAX_COUNT = 10_000_000  # epochs, steps, or `log every`
MAX_INTEGER = 2**53  # integers beyond are not exact as floats, and NumPy refuses some
MAX_SEED = 2**32 - 1  # NumPy's RandomState takes 32 bits
MAX_PATH = 4096  # a CSV file's name
MAX_COLUMN = 256  # a CSV column's name
DEFAULT_SAMPLES = 100  # rows of the data drawn when a spec gives none
# `save "name"`: a plain name, which each target turns into its own file name beside it.
SAVE_NAME = r"[A-Za-z0-9_-]+"
MAX_SAVE_NAME = 100

OptionType = Literal["number", "integer", "bool", "word", "string", "names", "init"]


@dataclass(frozen=True)
class Option:
    """`key=value` after a statement's head: its type, default and allowed values."""

    name: str
    type: OptionType
    what: str  # how messages name it: "the learning rate"
    default: object = None
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # the bound itself is excluded
    high_open: bool = False
    choices: tuple[str, ...] = ()
    requires: str | None = None  # set (true, or above zero), it needs this other option set too
    hint: str = ""  # the help when the value is a call, not a literal (a schedule for `lr`)

    def problem(self, value: object) -> str | None:
        """Why `value` is not allowed here (a sentence without the subject), or None."""
        if self.type == "word":
            return None if value in self.choices else f"is one of {one_of(self.choices)}"
        if self.type == "bool":
            return None if isinstance(value, bool) else "is `true` or `false`"
        if self.type in ("number", "integer"):
            if value is None and self.default is None:
                return None  # left out, and nothing by default (`clip`: no clipping)
            if isinstance(value, bool) or not isinstance(value, int | float):
                return "must be a number"
            if self.type == "integer" and not isinstance(value, int):
                return "must be a whole number"
            too_low = self.low is not None and (
                value < self.low or (self.low_open and value == self.low)
            )
            too_high = self.high is not None and (
                value > self.high or (self.high_open and value == self.high)
            )
            if too_low or too_high:
                return f"must be {self.bounds()}"
        return None

    def bounds(self) -> str:
        """`> 0 and < 1`, `between 1 and 10,000,000`."""
        if self.type == "integer" and self.low is not None and self.high is not None:
            return f"between {self.low:,g} and {self.high:,.0f}"
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.low_open else '>='} {self.low:g}")
        if self.high is not None:
            parts.append(f"{'<' if self.high_open else '<='} {self.high:g}")
        return " and ".join(parts)


@dataclass(frozen=True)
class Word:
    """One member of a category: `relu`, `mse`, `sgd`, ... and the options it takes."""

    name: str
    doc: str
    options: tuple[Option, ...] = ()
    usage: str = ""  # how to call it, for functions: "uniform(low, high, rows[, columns])"
    # Option names users bring from the frameworks, with how the language says the same.
    hints: tuple[tuple[str, str], ...] = ()

    def hint(self, name: str) -> str | None:
        """How the language says what an option called `name` says in a framework."""
        return dict(self.hints).get(name)

    def option(self, name: str) -> Option:
        """The option called `name` (KeyError if this word takes none such)."""
        for option in self.options:
            if option.name == name:
                return option
        raise KeyError(name)

    def defaults(self) -> dict[str, object]:
        """Every option's default value."""
        return {o.name: o.default for o in self.options}


@dataclass(frozen=True)
class Words:
    """A category of words: what one is called, in the singular and plural, and its members."""

    singular: str
    plural: str
    words: tuple[Word, ...]
    # Words users bring from the frameworks, with how the language says the same.
    hints: tuple[tuple[str, str], ...] = ()

    def hint(self, name: str) -> str | None:
        """How the language says what the word `name` says in a framework."""
        return dict(self.hints).get(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(w.name for w in self.words)

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def __getitem__(self, name: str) -> Word:
        for word in self.words:
            if word.name == name:
                return word
        raise KeyError(name)

    def __iter__(self) -> Iterator[Word]:
        return iter(self.words)

    def choices(self) -> str:
        """The help text listing them: "losses are `mse` or `mae`", "the only layer is `Dense`"."""
        if len(self.words) == 1:  # "layers is `Dense`" would read as a typo
            return f"the only {self.singular} is {one_of(self.names)}"
        return f"{self.plural} are {one_of(self.names)}"


# The model ------------------------------------------------------------------------------

DTYPES = Words(
    "dtype",
    "dtypes",
    (
        Word("float32", "single precision, every framework's default"),
        Word("float64", "double precision: data, weights and hyper-parameters"),
    ),
)

ACTIVATIONS = Words(
    "activation",
    "activations",
    (
        Word("linear", "no activation: the layer's affine map"),
        Word("relu", "max(0, x)"),
        Word("sigmoid", "1 / (1 + exp(-x))"),
        Word("tanh", "the hyperbolic tangent"),
    ),
    hints=(
        (
            "softmax",
            "`loss crossentropy` applies the softmax to the last layer's outputs itself: leave "
            "that layer linear (`layer Dense 16->3`); `predict` prints the probabilities",
        ),
    ),
)

# Initializers a spec names; a number or a literal list are initializers too (IR kinds
# `constant` and `array`), and `uniform`/`normal` take their parameters in a call.
INITIALIZERS = Words(
    "initializer",
    "initializers",
    (
        Word("glorot_uniform", "Keras's default kernel initializer, drawn with NumPy"),
        Word(
            "orthogonal",
            "an orthogonal matrix, as Keras draws its recurrent kernels: drawn with NumPy",
        ),
        Word("zeros", "all zeros"),
        Word("ones", "all ones"),
        Word("uniform", "uniform(low, high), drawn with NumPy", usage="uniform(-1, 1)"),
        Word("normal", "normal(mean, std), drawn with NumPy", usage="normal(0, 1)"),
        Word("native", "the framework's own initializer: targets agree only statistically"),
    ),
)
DRAWN_INITIALIZERS = ("uniform", "normal")  # the ones called with two numbers

# Training -------------------------------------------------------------------------------

_REDUCTION = Option("reduction", "word", "the reduction", default="mean", choices=("mean", "sum"))

LOSSES = Words(
    "loss",
    "losses",
    (
        Word("mse", "the squared error", options=(_REDUCTION,)),
        Word("mae", "the absolute error", options=(_REDUCTION,)),
        Word(
            "crossentropy",
            "softmax cross-entropy on the logits of a linear last layer; y holds class indices",
            options=(_REDUCTION,),
        ),
        Word(
            "bce",
            "binary cross-entropy on one logit (sigmoid inside the loss); y holds 0 or 1",
            options=(_REDUCTION,),
        ),
    ),
)
CLASSIFICATION_LOSSES = ("crossentropy", "bce")  # y holds labels; the model gives logits


def _lr(default: float) -> Option:
    return Option(
        "lr", "number", "the learning rate", default=default, low=0, low_open=True,
        hint="the learning rate is one number: a `schedule` statement changes it per epoch, "
        "as in `schedule step every=10 factor=0.5`",
    )  # fmt: skip


def _fraction(name: str, what: str, default: float) -> Option:
    """A decay rate or momentum: 0 <= value < 1."""
    return Option(name, "number", what, default=default, low=0, high=1, high_open=True)


_EPS = Option("eps", "number", "eps", default=1e-8, low=0, low_open=True)
_ADAM = (
    _fraction("beta1", "beta1", 0.9),
    _fraction("beta2", "beta2", 0.999),
    _EPS,
)
# The gradients' global norm is clipped first; then a coupled weight decay is added to them.
_CLIP = Option("clip", "number", "the clipping norm", low=0, low_open=True)  # None: no clipping
_COUPLED = Option("weight_decay", "number", "the weight decay", default=0.0, low=0)
_CLIP_HINTS = (
    ("clipnorm", "`clip=` clips the global norm, as torch's clip_grad_norm_ and Keras's "
     "global_clipnorm; clipping each weight's own norm is not supported"),
    ("global_clipnorm", "the gradients' global norm is clipped with `clip=`"),
    ("max_norm", "the gradients' global norm is clipped with `clip=`"),
    ("clip_norm", "the gradients' global norm is clipped with `clip=`"),
    ("clipvalue", "`clip=` clips the gradients' global norm; clipping each value is not "
     "supported"),
)  # fmt: skip
_DECAY_HINTS = tuple(
    (name, "`weight_decay=` adds weight_decay times each weight to its gradient, as torch's "
     "weight_decay (an L2 penalty of weight_decay / 2 * w**2, kept out of the printed loss)")
    for name in ("l2", "kernel_regularizer", "regularizer")
)  # fmt: skip
_COUPLED_DOC = (
    "; weight_decay adds weight_decay * w to every weight's gradient, biases too, before the "
    "step (torch's weight_decay); clip scales the gradients down to that global norm"
)

OPTIMIZERS = Words(
    "optimizer",
    "optimizers",
    (
        Word(
            "sgd",
            "stochastic gradient descent, with momentum and Nesterov's variant" + _COUPLED_DOC,
            options=(
                _lr(0.01),
                _fraction("momentum", "momentum", 0.0),
                Option("nesterov", "bool", "nesterov", default=False, requires="momentum"),
                _COUPLED,
                _CLIP,
            ),
            hints=_CLIP_HINTS + _DECAY_HINTS,
        ),
        Word(
            "gd",
            "gradient descent with the update written out; clip scales the gradients down to "
            "that global norm",
            options=(_lr(0.01), _CLIP),
            hints=_CLIP_HINTS,
        ),
        Word(
            "adam",
            "Adam; eps is added to the square root of v before the bias correction, as in "
            "TensorFlow and Keras" + _COUPLED_DOC,
            options=(_lr(0.001), *_ADAM, _COUPLED, _CLIP),
            hints=_CLIP_HINTS + _DECAY_HINTS,
        ),
        Word(
            "adamw",
            "Adam with decoupled weight decay: each step first shrinks the weights by "
            "lr * weight_decay; clip scales the gradients down to that global norm",
            options=(
                _lr(0.001),
                *_ADAM,
                Option("weight_decay", "number", "the weight decay", default=0.01, low=0),
                _CLIP,
            ),
            hints=_CLIP_HINTS,
        ),
        Word(
            "rmsprop",
            "RMSprop; eps is added to the mean square under the root, as in TensorFlow and "
            "Keras" + _COUPLED_DOC,
            options=(
                _lr(0.01),
                _fraction("rho", "rho", 0.9),
                _EPS,
                _fraction("momentum", "momentum", 0.0),
                _COUPLED,
                _CLIP,
            ),
            hints=_CLIP_HINTS + _DECAY_HINTS,
        ),
    ),
)
# Optimizers whose weight_decay is added to the gradient (adamw's is decoupled).
COUPLED_DECAY = ("sgd", "adam", "rmsprop")

_COUNT = dict(low=1, high=MAX_COUNT)

# The learning rate per epoch (per step with `train steps=`): the rate of every update in
# epoch e = 1, 2, ... is the optimizer's `lr` times the kind's factor for e - 1.
_FACTOR = Option("factor", "number", "`factor`", low=0, high=1, low_open=True)
_FRAMEWORK_WORDS = (
    ("gamma", "the language calls torch's `gamma` `factor=`"),
    ("decay_rate", "the language calls Keras's `decay_rate` `factor=`"),
)
SCHEDULES = Words(
    "schedule",
    "schedules",
    (
        Word(
            "step",
            "lr times factor**floor((e - 1) / every) in epoch e: torch's StepLR",
            options=(
                Option("every", "integer", "`every`", **_COUNT),  # type: ignore[arg-type]
                _FACTOR,
            ),
            hints=(
                *_FRAMEWORK_WORDS,
                ("step_size", "the language calls torch's `step_size` `every=`, in epochs"),
                ("decay_steps", "`every=` counts epochs, not Keras's optimizer steps"),
            ),
        ),
        Word(
            "exponential",
            "lr times factor**(e - 1) in epoch e: torch's ExponentialLR",
            options=(_FACTOR,),
            hints=_FRAMEWORK_WORDS,
        ),
        Word(
            "cosine",
            "from lr at the first epoch toward min, along half a cosine over the run: "
            "torch's CosineAnnealingLR",
            options=(Option("min", "number", "`min`", default=0, low=0),),
            hints=(
                ("eta_min", "the language calls torch's `eta_min` `min=`"),
                ("alpha", "`min=` is the last learning rate itself, not Keras's fraction"),
                ("T_max", "the cosine spans the whole run: its epochs, or its steps"),
            ),
        ),
    ),
    hints=(
        ("StepLR", "torch's StepLR is `schedule step every=10 factor=0.5`"),
        ("ExponentialLR", "torch's ExponentialLR is `schedule exponential factor=0.95`"),
        ("ExponentialDecay", "Keras's ExponentialDecay is `schedule exponential factor=0.95`, "
         "counted in epochs"),
        ("CosineAnnealingLR", "torch's CosineAnnealingLR is `schedule cosine min=0.0001`"),
        ("CosineDecay", "Keras's CosineDecay is `schedule cosine`, counted in epochs"),
    ),
)  # fmt: skip
# The options a schedule cannot do without.
SCHEDULE_REQUIRED = {"step": ("every", "factor"), "exponential": ("factor",), "cosine": ()}

TRAIN_OPTIONS = Word(
    "train",
    "how long to train: epochs of full-batch or mini-batch updates, or full-batch steps",
    options=(
        Option("epochs", "integer", "epochs", default=100, **_COUNT),  # type: ignore[arg-type]
        Option("steps", "integer", "steps", **_COUNT),  # type: ignore[arg-type]
        Option("batch", "integer", "the batch size", **_COUNT),  # type: ignore[arg-type]
        Option("shuffle", "bool", "shuffle", default=False, requires="batch"),
        Option("patience", "integer", "the patience", requires="batch", **_COUNT),  # type: ignore[arg-type]
    ),
    hints=(
        ("early_stopping", "stop when the test loss stops improving with `patience=10`"),
        ("validation_split", "hold rows out for testing with `split test=0.2`"),
    ),
)

SPLIT_OPTIONS = Word(
    "split",
    "rows held out for testing, in a NumPy-drawn order: the same rows in every target",
    options=(
        Option(
            "test",
            "number",
            "the fraction of rows held out for testing",
            low=0,
            high=1,
            low_open=True,
            high_open=True,
        ),
    ),
    hints=(
        ("test_size", "the fraction of rows held out is `split test=0.2`"),
        ("validation_split", "the fraction of rows held out is `split test=0.2`"),
    ),
)

MAX_REPLICAS = 256  # data-parallel replicas: processes (torch) or devices (TensorFlow, JAX)
DISTRIBUTE_OPTIONS = Word(
    "distribute",
    "data-parallel training: each global batch split into `replicas` shards, one per replica, "
    "whose gradients are combined into the one-process step",
    options=(Option("replicas", "integer", "the number of replicas", low=1, high=MAX_REPLICAS),),
    hints=(
        ("nproc_per_node", "the number of replicas is `distribute replicas=2`"),
        ("world_size", "the number of replicas is `distribute replicas=2`"),
        ("devices", "the number of replicas is `distribute replicas=2`"),
        ("workers", "the number of replicas is `distribute replicas=2`"),
        ("gpus", "`distribute replicas=2` splits the batch; `device gpu` trains on a GPU"),
    ),
)

DEVICES = Words(
    "device",
    "devices",
    (
        Word("cpu", "the CPU, every framework's default"),
        Word("gpu", "a GPU where the framework sees one (else the CPU, said on stderr)"),
    ),
    hints=(
        ("cuda", "a GPU is `device gpu`"),
        ("tpu", "the devices specc trains on are `cpu` and `gpu`"),
    ),
)

NUMBERS = ("shortest", "python")
LOG_OPTIONS = Word(
    "log",
    "what the script prints while it trains",
    options=(
        Option("every", "integer", "`every`", **_COUNT),  # type: ignore[arg-type]
        Option("show", "names", "`show`"),
        Option("format", "string", "`format`"),
        Option("numbers", "word", "`numbers`", default="shortest", choices=NUMBERS),
    ),
)

# Data -----------------------------------------------------------------------------------

# Functions that make data: the leading parameters, then the sizes (`linspace` has a count).
GENERATORS = Words(
    "data function",
    "data functions",
    (
        Word("randn", "standard normal samples", usage="randn(rows) or randn(rows, columns)"),
        Word("rand", "uniform samples in [0, 1)", usage="rand(rows) or rand(rows, columns)"),
        Word("uniform", "uniform samples", usage="uniform(low, high, rows[, columns])"),
        Word("normal", "normal samples", usage="normal(mean, std, rows[, columns])"),
        Word(
            "randint",
            "whole numbers in [low, high): labels, or token ids",
            usage="randint(low, high, rows[, columns])",
        ),
        Word(
            "linspace", "evenly spaced numbers, as a column", usage="linspace(start, stop, count)"
        ),
        Word(
            "csv", "columns of a CSV file, read at run time", usage='csv("file.csv", "column", ...)'
        ),
    ),
)
# The leading parameters, before the sizes.
PARAMETERS = {"randn": 0, "rand": 0, "uniform": 2, "normal": 2, "randint": 2, "linspace": 3}

_MATH = (
    Word("exp", "e to the power"),
    Word("log", "the natural logarithm"),
    Word("sin", "the sine"),
    Word("cos", "the cosine"),
    Word("tanh", "the hyperbolic tangent"),
    Word("abs", "the absolute value"),
    Word("sqrt", "the square root"),
)
DATA_FUNCTIONS = Words("function", "functions", _MATH)
FORMULA_FUNCTIONS = Words(
    "function",
    "functions",
    (*_MATH, Word("relu", "max(0, x)"), Word("sigmoid", "1 / (1 + exp(-x))")),
)

# What a data expression may call besides them: labels, samples of a shape, the bundled data
# sets, and windows of a series.
RESHAPE = Word(
    "reshape",
    "each row as a sample of a shape of its own, channels last: an image is height, width, "
    "channels",
    usage="reshape(pixels, 8, 8, 1)",
)
ARGMAX = Word(
    "argmax",
    "the column of each row's largest value: integer labels 0, 1, ...",
    usage="argmax(x @ [[1, -1], [0, 1]])",
)
DATASET = Word(
    "dataset",
    "one of scikit-learn's bundled data sets, features and labels",
    usage='data x, y = dataset("iris")',
)
WINDOWS = Word(
    "windows",
    "each run of n rows of a series as one sample of n steps, and the row after it as its "
    "target",
    usage="data x, y = windows(series, 10)",
)
DATASETS = Words(
    "data set",
    "data sets",
    (
        Word("iris", "150 irises: 4 measurements, 3 species"),
        Word("digits", "1,797 handwritten digits: 8x8 pixels of 0 to 16, 10 classes"),
        Word("wine", "178 wines: 13 chemical measurements, 3 cultivars"),
        Word("breast_cancer", "569 tumours: 30 measurements, benign (1) or malignant (0)"),
        Word(
            "diabetes",
            "442 patients: 10 measurements (scaled), and a number for the disease's progress a "
            "year later (25 to 346): a regression",
        ),
    ),
)
# Each data set's samples, features and classes, as scikit-learn bundles it; None classes: its
# targets are numbers, not labels (a regression).
DATASET_SHAPES: dict[str, tuple[int, int, int | None]] = {
    "iris": (150, 4, 3),
    "digits": (1797, 64, 10),
    "wine": (178, 13, 3),
    "breast_cancer": (569, 30, 2),
    "diabetes": (442, 10, None),
}

# Numbers a spec may name wherever it writes one: in data, formulas, lists and options.
CONSTANTS = Words("constant", "constants", (Word("pi", "the number \u03c0, 3.141592653589793"),))
CONSTANT_VALUES = {"pi": math.pi}

OPERATORS = ("+", "-", "*", "/", "**", "@")
COMPARISONS = (">", "<", ">=", "<=")  # data only: 1.0 where it holds, else 0.0


def __getattr__(name: str) -> object:
    """`LAYERS`: the layer kinds' words, each declared in its kind's module (specc/layers/),
    which builds on the IR, which builds on this module."""
    if name == "LAYERS":
        from .layers import LAYERS

        return LAYERS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
