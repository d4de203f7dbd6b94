"""The IR: one typed description of the experiment that every target renders.

A program may build these models directly (pydantic validates them) and pass them to
`specc.render.render`; the checker builds them from a spec.
"""

from __future__ import annotations

import builtins
import keyword
import math
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# Names the generated scripts define or import themselves. A spec's names must not shadow
# them; tests check that every top-level name of every template is listed here.
RESERVED_NAMES = frozenset(
    {
        "np", "os", "torch", "nn", "tf", "keras",
        "rng", "init", "fmt", "glorot_uniform",
        "model", "criterion", "optimizer", "loss", "loss_value", "train_op",
        "epochs", "epoch", "inputs", "targets", "outputs", "hidden",
        "x_new", "predictions", "prediction", "features", "sess", "name", "value",
        "LossLogger", "logs", "self", "_",
    }
)  # fmt: skip


# Names the scripts derive from layer positions: fc1, fc1_kernel, hidden1, ...
_GENERATED = re.compile(r"(fc\d+(_kernel|_bias)?|hidden\d*)")


def _python_name(name: str) -> str:
    """The one gate for spec names that become Python names in generated code."""
    if not name.isidentifier() or not name.isascii():
        raise ValueError(f"`{name}` is not a valid name")
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise ValueError(f"`{name}` is a Python keyword")
    if name.startswith("__"):
        raise ValueError(f"`{name}`: names may not start with two underscores")
    if name in RESERVED_NAMES or name in dir(builtins) or _GENERATED.fullmatch(name):
        raise ValueError(f"`{name}` is a name the generated script uses itself")
    return name


Identifier = Annotated[str, AfterValidator(_python_name)]
LayerName = Annotated[str, Field(pattern=r"^fc[1-9][0-9]*$")]  # specc names layers itself
PositiveInt = Annotated[int, Field(gt=0)]


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


Real = Annotated[float, AfterValidator(_finite)]
Scalar = Annotated[int, Field(strict=True)] | Real


class Node(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# Data: NumPy expressions, drawn and computed once in float64 in every script ------------


class Const(Node):
    kind: Literal["const"] = "const"
    value: Scalar


class Ref(Node):
    kind: Literal["ref"] = "ref"
    name: Identifier


class Draw(Node):
    """A draw from the script's NumPy generator: rng.<fn>(*params, size=shape)."""

    kind: Literal["draw"] = "draw"
    fn: Literal["randn", "rand", "uniform", "normal"]
    params: tuple[Real, ...] = ()
    shape: tuple[PositiveInt, PositiveInt]


class Linspace(Node):
    kind: Literal["linspace"] = "linspace"
    start: Real
    stop: Real
    num: PositiveInt


class ArrayLiteral(Node):
    """A literal table; `column` when the spec wrote a flat list (one value per row)."""

    kind: Literal["array"] = "array"
    rows: tuple[tuple[Scalar, ...], ...]
    column: bool = False


class BinOp(Node):
    kind: Literal["binop"] = "binop"
    op: Literal["+", "-", "*", "/", "**"]
    left: DataExpr
    right: DataExpr


class Neg(Node):
    kind: Literal["neg"] = "neg"
    operand: DataExpr


DataExpr = Annotated[
    Const | Ref | Draw | Linspace | ArrayLiteral | BinOp | Neg, Field(discriminator="kind")
]


class Data(Node):
    """`data name = expr`: a table of `shape` (rows are samples)."""

    name: Identifier
    expr: DataExpr
    shape: tuple[int, ...]
    default: bool = False  # filled in by specc because the spec gave no data of this name


# The model --------------------------------------------------------------------------


class Init(Node):
    """How a weight's initial value is drawn with NumPy."""

    kind: Literal["glorot_uniform", "zeros", "ones", "constant", "uniform", "normal"]
    args: tuple[Real, ...] = ()


Activation = Literal["linear", "relu", "sigmoid", "tanh"]


class Dense(Node):
    """A fully connected layer: outputs = activation(inputs @ kernel + bias)."""

    name: LayerName
    units_in: PositiveInt
    units_out: PositiveInt
    activation: Activation = "linear"
    kernel_init: Init = Init(kind="glorot_uniform")
    bias_init: Init = Init(kind="zeros")


class Param(Node):
    """A trainable tensor as every target names and lays it out: kernels are (in, out)."""

    name: str  # "fc1.kernel"
    layer: LayerName
    role: Literal["kernel", "bias"]
    shape: tuple[PositiveInt, ...]
    init: Init


# Training ---------------------------------------------------------------------------


class Loss(Node):
    kind: Literal["mse"] = "mse"
    reduction: Literal["mean", "sum"] = "mean"


class Optimizer(Node):
    kind: Literal["sgd"] = "sgd"
    lr: Annotated[float, Field(gt=0)] = 0.01
    momentum: Annotated[float, Field(ge=0, lt=1)] = 0.0


class Training(Node):
    epochs: PositiveInt = 100


class Logging(Node):
    every: PositiveInt


class Prediction(Node):
    inputs: ArrayLiteral


class Spec(Node):
    """One experiment: data, model, loss, optimizer, schedule and what to print."""

    source_name: str  # the spec's file name, for the stamp
    name: Identifier = "Model"
    seed: Annotated[int, Field(ge=0, lt=2**32)] = 0
    dtype: Literal["float32", "float64"] = "float32"
    data: tuple[Data, ...]
    inputs: Identifier = "x"
    targets: Identifier = "y"
    layers: tuple[Dense, ...] = Field(min_length=1)
    loss: Loss = Loss()
    optimizer: Optimizer = Optimizer()
    training: Training = Training()
    logging: Logging
    predict: Prediction | None = None

    @property
    def params(self) -> list[Param]:
        """Every trainable tensor, in the order initial values are drawn."""
        return [
            Param(
                name=f"{layer.name}.{role}",
                layer=layer.name,
                role=role,
                shape=shape,
                init=init,
            )
            for layer in self.layers
            for role, shape, init in (
                ("kernel", (layer.units_in, layer.units_out), layer.kernel_init),
                ("bias", (layer.units_out,), layer.bias_init),
            )
        ]

    @property
    def units_in(self) -> int:
        return self.layers[0].units_in

    @property
    def units_out(self) -> int:
        return self.layers[-1].units_out


BinOp.model_rebuild()
Neg.model_rebuild()
