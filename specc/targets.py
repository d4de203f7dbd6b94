"""One small table per target: the facts that differ between frameworks.

Structure lives in `templates/<target>/script.py.j2`; spellings live here. Code snippets are
`str.format` patterns whose fields are filled with validated IR values only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .ir import FORMULA_FUNCTIONS


@dataclass(frozen=True)
class Target:
    name: str  # what `--target` takes, and the generated file's suffix
    title: str  # how the docstring names the framework
    activations: Mapping[str, str | None]  # IR activation -> function (None: no call)
    functions: Mapping[str, str]  # formula function -> the framework's
    dtypes: Mapping[str, str]  # IR dtype -> the framework's spelling
    losses: Mapping[tuple[str, str], str]  # (kind, reduction) -> code
    optimizers: Mapping[tuple[str, bool], str]  # (kind, with momentum) -> code
    # dtype -> how a hyperparameter is spelled, when the bare Python float is not right
    hyperparameters: Mapping[str, str] = field(default_factory=dict)


TORCH = Target(
    name="torch",
    title="PyTorch",
    activations={
        "linear": None,
        "relu": "torch.relu",
        "sigmoid": "torch.sigmoid",
        "tanh": "torch.tanh",
    },
    functions={fn: f"torch.{fn}" for fn in FORMULA_FUNCTIONS},
    dtypes={"float32": "torch.float32", "float64": "torch.float64"},
    losses={
        ("mse", "mean"): "nn.MSELoss()",
        ("mse", "sum"): 'nn.MSELoss(reduction="sum")',
        ("mae", "mean"): "nn.L1Loss()",
        ("mae", "sum"): 'nn.L1Loss(reduction="sum")',
    },
    optimizers={
        ("sgd", False): "torch.optim.SGD({params}, lr={lr})",
        ("sgd", True): "torch.optim.SGD({params}, lr={lr}, momentum={momentum})",
    },
)

TFGRAPH = Target(
    name="tfgraph",
    title="TensorFlow (graph mode, tf.compat.v1)",
    activations={"linear": None, "relu": "tf.nn.relu", "sigmoid": "tf.sigmoid", "tanh": "tf.tanh"},
    functions={
        **{fn: f"tf.{fn}" for fn in FORMULA_FUNCTIONS},
        "log": "tf.math.log",
        "relu": "tf.nn.relu",
    },
    dtypes={"float32": "tf.float32", "float64": "tf.float64"},
    losses={
        ("mse", "mean"): "tf.reduce_mean(tf.square(outputs - targets))",
        ("mse", "sum"): "tf.reduce_sum(tf.square(outputs - targets))",
        ("mae", "mean"): "tf.reduce_mean(tf.abs(outputs - targets))",
        ("mae", "sum"): "tf.reduce_sum(tf.abs(outputs - targets))",
    },
    optimizers={
        ("sgd", False): "tf.compat.v1.train.GradientDescentOptimizer(learning_rate={lr})",
        ("sgd", True): (
            "tf.compat.v1.train.MomentumOptimizer(learning_rate={lr}, momentum={momentum})"
        ),
    },
    # TF1 optimizers turn a Python float into a float32 tensor before casting it to the
    # variable's dtype, so a float64 model would step with lr rounded to float32.
    hyperparameters={"float64": "tf.constant({}, dtype=tf.float64)"},
)

KERAS = Target(
    name="keras",
    title="Keras 3",
    activations={"linear": None, "relu": '"relu"', "sigmoid": '"sigmoid"', "tanh": '"tanh"'},
    functions={fn: f"keras.ops.{fn}" for fn in FORMULA_FUNCTIONS},
    dtypes={"float32": '"float32"', "float64": '"float64"'},
    # Keras reduces per sample over the last axis first; with reduction="sum" that is the
    # summed error only for one output, which the checker requires.
    losses={
        ("mse", "mean"): "keras.losses.MeanSquaredError()",
        ("mse", "sum"): 'keras.losses.MeanSquaredError(reduction="sum")',
        ("mae", "mean"): "keras.losses.MeanAbsoluteError()",
        ("mae", "sum"): 'keras.losses.MeanAbsoluteError(reduction="sum")',
    },
    optimizers={
        ("sgd", False): "keras.optimizers.SGD(learning_rate={lr})",
        ("sgd", True): "keras.optimizers.SGD(learning_rate={lr}, momentum={momentum})",
    },
)

TARGETS: Mapping[str, Target] = {t.name: t for t in (TORCH, TFGRAPH, KERAS)}
