"""The IR: one typed description of the experiment that every target renders.

A program may build these models directly (pydantic validates them) and pass them to
`specc.render.render`; the checker builds them from a spec.
"""

from __future__ import annotations

import builtins
import functools
import keyword
import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from . import vocabulary as v

# Names the generated scripts define or import themselves. A spec's names must not shadow
# them; tests check that every top-level name of every template is listed here.
RESERVED_NAMES = frozenset(
    {
        "np", "os", "torch", "nn", "tf", "keras",
        "rng", "init", "fmt", "glorot_uniform", "orthogonal",
        "model", "criterion", "optimizer", "loss", "loss_value", "train_op",
        "epochs", "epoch", "inputs", "targets", "outputs", "hidden",
        "x_new", "predictions", "prediction", "features", "sess", "name", "value",
        "LossLogger", "TrainingLog", "GradientDescent", "logs", "self", "_", "layer", "forward",
        "steps", "step", "learning_rate", "read_csv", "table", "path", "columns",
        "snapshot", "tape", "gradients", "variable", "gradient", "param", "feed",
        "loss_fn", "values", "weights", "weight", "decay", "zero_mean_square", "RMSprop",
        "csv", "file", "header", "rows", "picked", "batch_size", "batches", "order", "start",
        "total", "training_batches", "logits", "probabilities", "correct", "accuracy",
        "load_iris", "load_digits", "load_wine", "load_breast_cancer", "load_diabetes",
        "total_correct",
        "correct_value", "beta1", "beta2",
        "backward", "saved", "relu", "sigmoid", "log_softmax", "SGD", "Adam", "AdamW",
        "pad", "windows", "conv2d", "conv2d_backward", "max_pool2d", "max_pool2d_backward",
        "conv1d", "conv1d_backward", "max_pool1d", "max_pool1d_backward", "avg_pool2d",
        "avg_pool2d_backward", "avg_pool1d", "avg_pool1d_backward", "window_counts", "share",
        "BiasedBatchNorm1d", "BiasedBatchNorm2d", "running", "training", "masks", "dropout_mask",
        "simple_rnn", "simple_rnn_backward", "lstm", "lstm_backward", "lstm_step",
        "gru", "gru_backward", "gru_step", "swap_gates", "tanh_in_dtype",
        "held_out", "x_test", "y_test", "test_rows", "test_loss", "test_accuracy",
        "test_outputs", "test_inputs", "test_targets", "test_correct", "patience",
        "best_test_loss", "waited", "early_stopping",
        "DenseAdam", "DenseAdamW", "DenseRMSprop", "saver", "Normalize",
        "norm", "factor", "clipped", "grads", "grad", "CoupledSGD", "CoupledAdam", "CoupledRMSprop",
        "DenseCoupledAdam", "DenseCoupledRMSprop",
        "scheduler", "VelocitySGD", "schedule", "CoupledVelocitySGD",
        "sys", "contextlib", "jax", "replicas", "backend", "cpu", "devices", "device", "gpu",
        "gpus", "warnings", "scope", "padded", "evaluated", "MeanLoss", "Accuracy",
        "TrainingBatches",
        "orders", "test_batch", "padding", "found", "logical",
        "dist", "distributed", "rank", "replica", "shard", "summed", "DistributedDataParallel",
        "config", "split_rows", "sum_gradients", "batch_rows", "batch_values", "shards", "tower",
        "shard_inputs", "shard_targets", "shard_outputs", "shard_losses", "tower_loss",
        "tower_outputs", "tower_losses", "tower_gradients",
    }
)  # fmt: skip


# Names the scripts derive from layers and weights (fc1, conv1_kernel, fc1_out, bn1_mean, hidden1,
# grad_w, ...; the layer kinds' prefixes) and the NumPy target's forward formula steps: v1, ...
@functools.cache
def _generated() -> re.Pattern[str]:
    prefixes = "|".join(_layers.PREFIXES)
    return re.compile(rf"(({prefixes})\d+(_\w+)?|hidden\d*|v\d+|grad_\w+|new_\w+|\w+_value)")


def python_name(name: str) -> str:
    """The one gate for spec names that become Python names in generated code."""
    if not name.isidentifier() or not name.isascii():
        raise ValueError(f"`{name}` is not a valid name")
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise ValueError(f"`{name}` is a Python keyword")
    if name.startswith("__"):
        raise ValueError(f"`{name}`: names may not start with two underscores")
    if name in RESERVED_NAMES or name in dir(builtins) or _generated().fullmatch(name):
        raise ValueError(f"`{name}` is a name the generated script uses itself")
    return name


Identifier = Annotated[str, AfterValidator(python_name)]
LayerName = Annotated[str, Field(pattern=r"^[a-z]+[1-9][0-9]*$")]  # specc names layers: fc1
PositiveInt = Annotated[int, Field(gt=0)]


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


Real = Annotated[float, AfterValidator(_finite)]
Scalar = Annotated[int, Field(strict=True)] | Real


class Node(BaseModel):
    # Validators are built on first use only. The checker, which has checked every value
    # itself, makes its nodes with `model_construct` and never uses them: building them
    # (and importing pydantic's plugin loader) was a sixth of a cold build. The tests
    # validate every IR the checker makes (tests/test_ir.py).
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    @classmethod
    def model_rebuild(cls, **options: Any) -> bool | None:
        """pydantic rebuilds a node on its first validation: the layer union is made first,
        of every kind's node (`Layer`), where a build imports only the kinds it uses."""
        _union()
        return super().model_rebuild(**options)


# Expressions: data formulas (NumPy, float64, computed once) and forward formulas (in
# the framework). The checker keeps draws, files and literals out of forward formulas.

DATA_FUNCTIONS = v.DATA_FUNCTIONS.names
FORMULA_FUNCTIONS = v.FORMULA_FUNCTIONS.names


class Const(Node):
    kind: Literal["const"] = "const"
    value: Scalar


class Ref(Node):
    kind: Literal["ref"] = "ref"
    name: Identifier


class Draw(Node):
    """A draw from the script's NumPy generator: rng.<fn>(*params, size=shape)."""

    kind: Literal["draw"] = "draw"
    fn: Literal[tuple(f for f in v.PARAMETERS if f != "linspace")]  # type: ignore[misc]
    params: tuple[Scalar, ...] = ()
    shape: tuple[PositiveInt, ...] = Field(min_length=2)

    @model_validator(mode="after")
    def _params(self) -> Draw:
        if len(self.params) != v.PARAMETERS[self.fn]:
            raise ValueError(f"`{self.fn}` takes {v.PARAMETERS[self.fn]} parameter(s)")
        if self.fn == "randint":
            low, high = self.params
            if not all(isinstance(n, int) for n in self.params) or low >= high:
                raise ValueError("`randint` needs whole numbers low < high")
        return self


class Linspace(Node):
    kind: Literal["linspace"] = "linspace"
    start: Scalar
    stop: Scalar
    num: PositiveInt


class ArrayLiteral(Node):
    """A literal table; `column` when the spec wrote a flat list (one value per row)."""

    kind: Literal["array"] = "array"
    rows: tuple[tuple[Scalar, ...], ...]
    column: bool = False

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.rows), len(self.rows[0]))


class Csv(Node):
    """Columns of a CSV file with a header row, read when the script runs."""

    kind: Literal["csv"] = "csv"
    path: Annotated[str, Field(min_length=1, max_length=v.MAX_PATH)]
    columns: tuple[Annotated[str, Field(min_length=1, max_length=v.MAX_COLUMN)], ...] = Field(
        min_length=1
    )


class BinOp(Node):
    kind: Literal["binop"] = "binop"
    op: Literal[v.OPERATORS]  # type: ignore[valid-type]
    left: Expr
    right: Expr


class Compare(Node):
    """`a > b` in data: 1.0 where it holds, else 0.0."""

    kind: Literal["compare"] = "compare"
    op: Literal[v.COMPARISONS]  # type: ignore[valid-type]
    left: Expr
    right: Expr


class Argmax(Node):
    """`argmax(e)` in data: the column of each row's largest value, as integer labels."""

    kind: Literal["argmax"] = "argmax"
    arg: Expr
    classes: Annotated[int, Field(ge=2)]  # the columns of `arg`


class Dataset(Node):
    """One of scikit-learn's bundled data sets: its features, or its labels (a regression's
    targets) as a column."""

    kind: Literal["dataset"] = "dataset"
    name: Literal[v.DATASETS.names]  # type: ignore[valid-type]
    part: Literal["features", "labels"]

    @property
    def shape(self) -> tuple[int, int]:
        samples, features, _ = v.DATASET_SHAPES[self.name]
        return (samples, features if self.part == "features" else 1)


class Reshape(Node):
    """`reshape(pixels, 8, 8, 1)` in data: each row as a sample of its own shape."""

    kind: Literal["reshape"] = "reshape"
    arg: Expr
    sample: tuple[PositiveInt, ...] = Field(min_length=1)


class Windows(Node):
    """`data x, y = windows(series, n)`: each run of `steps` rows of a series as one sample
    of `steps` steps (the inputs), or the row after each run (the targets)."""

    kind: Literal["windows"] = "windows"
    arg: Ref
    steps: PositiveInt
    part: Literal["inputs", "targets"]

    def shape_from(self, series: tuple[int, int]) -> tuple[int, ...]:
        """Its shape, from the series' (rows, columns): (windows, steps, columns) for the
        inputs, channels last; (windows, columns) for the targets."""
        rows, columns = series
        if self.part == "inputs":
            return (rows - self.steps, self.steps, columns)
        return (rows - self.steps, columns)


class Rows(Node):
    """`x[:3]` in data and `predict`: rows of earlier data, as Python slices them."""

    kind: Literal["rows"] = "rows"
    arg: Ref
    start: int | None = None
    stop: int | None = None


class Neg(Node):
    kind: Literal["neg"] = "neg"
    operand: Expr


class Call(Node):
    kind: Literal["call"] = "call"
    fn: Literal[FORMULA_FUNCTIONS]  # type: ignore[valid-type]
    arg: Expr


Expr = Annotated[
    Const
    | Ref
    | Draw
    | Linspace
    | ArrayLiteral
    | Csv
    | Dataset
    | BinOp
    | Compare
    | Argmax
    | Neg
    | Call
    | Reshape
    | Windows
    | Rows,
    Field(discriminator="kind"),
]


class Data(Node):
    """`data name = expr`: rows of samples, `shape` (rows, *sample); None rows: known at run
    time. A sample is a row of values, or has a shape of its own, channels last."""

    name: Identifier
    expr: Expr
    shape: tuple[PositiveInt | None, ...] = Field(min_length=2)
    default: bool = False  # filled in by specc because the spec gave no data of this name
    # Integer labels 0 .. labels-1, one column (argmax, comparisons, a data set's classes);
    # None for numbers that are not labels, or labels whose count is known only at run time.
    labels: PositiveInt | None = None


def integral(expr: Expr, data: Mapping[str, Expr]) -> bool:
    """NumPy computes `expr` as integers: whole numbers drawn, listed or picked (`randint`,
    `[1, 2]`, `argmax`, a data set's labels), and what `+ - * ** @`, `abs` and slicing make
    of them alone; `data` holds the expressions of the names it reads."""
    if isinstance(expr, Const):
        return isinstance(expr.value, int)
    if isinstance(expr, Ref):
        return expr.name in data and integral(data[expr.name], data)
    if isinstance(expr, ArrayLiteral):
        return all(isinstance(n, int) for row in expr.rows for n in row)
    if isinstance(expr, BinOp):
        return expr.op != "/" and integral(expr.left, data) and integral(expr.right, data)
    if isinstance(expr, Neg):
        return integral(expr.operand, data)
    if isinstance(expr, Reshape | Rows | Windows):
        return integral(expr.arg, data)
    if isinstance(expr, Call):
        return expr.fn == "abs" and integral(expr.arg, data)
    if isinstance(expr, Dataset):  # a regression's targets are floats
        return expr.part == "labels" and v.DATASET_SHAPES[expr.name][2] is not None
    return isinstance(expr, Argmax) or (isinstance(expr, Draw) and expr.fn == "randint")


# The model --------------------------------------------------------------------------


class Init(Node):
    """How a weight's initial value is made: drawn or filled with NumPy, or `native`ly."""

    kind: Literal[(*v.INITIALIZERS.names, "constant", "array")]  # type: ignore[misc]
    args: tuple[Scalar, ...] = ()
    values: ArrayLiteral | None = None  # for kind="array"


Activation = Literal[v.ACTIVATIONS.names]  # type: ignore[valid-type]


class LayerNode(Node):
    """A layer of a stack: each kind (specc/layers/<kind>.py) declares its own node."""

    name: LayerName
    kind: str  # the kind's word: "Dense"
    activation: Activation = "linear"  # applied to the layer's outputs


if TYPE_CHECKING:  # at run time, the union of every kind's node (`_union`)
    Layer = LayerNode


class Sequential(Node):
    """A stack of layers: `layer Dense 1->32 relu` ..."""

    kind: Literal["sequential"] = "sequential"
    layers: tuple[Layer, ...] = Field(min_length=1)

    @property
    def sample_in(self) -> tuple[int, ...]:
        """The shape of each sample the model takes: (features,), or an image's shape."""
        return _layers.kind_of(self.layers[0]).sample_in(self.layers[0])

    @property
    def units_out(self) -> int:
        """The model's outputs per sample (the last layer gives a row of them)."""
        (units,) = _layers.kind_of(self.layers[-1]).sample_out(self.layers[-1])
        return units


class ParamDef(Node):
    """`param w[1] = uniform(0, 1)`: a named trainable tensor of a formula model."""

    name: Identifier
    shape: tuple[PositiveInt, ...] = Field(min_length=1, max_length=2)
    init: Init


class Formula(Node):
    """`forward y = w * x**2 + b` over named params and the inputs."""

    kind: Literal["formula"] = "formula"
    params: tuple[ParamDef, ...] = Field(min_length=1)
    expr: Expr
    units_in: PositiveInt
    units_out: PositiveInt

    @property
    def sample_in(self) -> tuple[int, ...]:
        return (self.units_in,)


Network = Annotated[Sequential | Formula, Field(discriminator="kind")]


class Weight(Node):
    """A trainable tensor as every target names, orders and lays it out."""

    name: str  # as printed: "fc1.kernel" or "w"
    var: str  # as a Python name in the scripts: "fc1_kernel" or "w"
    shape: tuple[PositiveInt, ...]
    init: Init
    layer: LayerName | None = None  # the layer it belongs to, if any
    layer_kind: str | None = None  # that layer's kind: "Dense"
    role: Literal[  # a layer's weights are named as Keras names them
        "kernel",
        "bias",
        "gamma",
        "beta",
        "moving_mean",
        "moving_variance",
        "embeddings",
        "param",
    ] = "param"
    trainable: bool = True  # else a layer's state: BatchNorm's running statistics


# Training ---------------------------------------------------------------------------


class Loss(Node):
    """The loss and how it reduces the per-element errors (see `vocabulary.LOSSES`)."""

    kind: Literal[v.LOSSES.names] = "mse"  # type: ignore[valid-type]
    reduction: Literal[v.LOSSES["mse"].option("reduction").choices] = "mean"  # type: ignore[misc]


class Optimizer(Node):
    """An optimizer of `vocabulary.OPTIMIZERS` and every one of its options' values.

    Options the caller leaves out take the vocabulary's defaults; `optimizer["lr"]` reads one.
    """

    kind: Literal[v.OPTIMIZERS.names] = "sgd"  # type: ignore[valid-type]
    options: dict[str, Scalar | bool | None] = Field(default_factory=dict)  # None: left out

    @model_validator(mode="before")
    @classmethod
    def _complete(cls, data: object) -> object:
        """Check the options against the vocabulary and fill in its defaults."""
        if not isinstance(data, dict):
            return data
        kind = data.get("kind", "sgd")
        if kind not in v.OPTIMIZERS:
            return data  # the Literal reports it
        word = v.OPTIMIZERS[kind]
        given = dict(data.get("options") or {})
        if unknown := given.keys() - word.defaults().keys():
            raise ValueError(f"`{kind}` takes no option {', '.join(sorted(unknown))}")
        options = word.defaults() | given
        for option in word.options:
            if problem := option.problem(options[option.name]):
                raise ValueError(f"{option.what} {problem}")
            if option.requires and options[option.name] and not options[option.requires]:
                raise ValueError(f"`{option.name}` needs `{option.requires}`")
        return {**data, "options": options}

    def __getitem__(self, name: str) -> Scalar | bool | None:
        return self.options[name]


class Schedule(Node):
    """The learning rate per epoch (per step with `train steps=`): every update of epoch e
    (1-based) steps with `rate(lr, e - 1, epochs)` (see `vocabulary.SCHEDULES`)."""

    kind: Literal[v.SCHEDULES.names]  # type: ignore[valid-type]
    every: PositiveInt | None = None  # `step`: epochs between decays
    factor: Scalar | None = None  # `step`, `exponential`: in (0, 1]
    min: Scalar = 0  # `cosine`: the rate it ends toward, >= 0

    @model_validator(mode="after")
    def _options(self) -> Schedule:
        given = {"every": self.every is not None, "factor": self.factor is not None}
        for name in v.SCHEDULE_REQUIRED[self.kind]:
            if not given[name]:
                raise ValueError(f"`{self.kind}` needs `{name}`")
        if self.factor is not None and not 0 < self.factor <= 1:
            raise ValueError("`factor` must be > 0 and <= 1")
        if self.min < 0:
            raise ValueError("`min` must be >= 0")
        word = v.SCHEDULES[self.kind]
        for name in ("every", "factor"):
            if given[name] and name not in {o.name for o in word.options}:
                raise ValueError(f"`{self.kind}` takes no option {name}")
        if self.min and self.kind != "cosine":
            raise ValueError(f"`{self.kind}` takes no option min")
        return self


class Training(Node):
    """`epochs` are counted from 1 and logged as `epoch e/N`; `steps` from 0, as `step s`.

    With `batch`, each epoch is a pass over the data in mini-batches of that size (the last
    one smaller if it must), in the data's order or, with `shuffle`, in a new NumPy-drawn
    order each epoch.
    """

    unit: Literal["epoch", "step"] = "epoch"
    count: PositiveInt = 100
    batch: PositiveInt | None = None
    shuffle: bool = False
    # Stop after an epoch when the test loss has not improved for this many (Keras's rule).
    patience: PositiveInt | None = None

    @model_validator(mode="after")
    def _batches_count_epochs(self) -> Training:
        if self.batch is None and self.shuffle:
            raise ValueError("`shuffle` needs `batch`")
        if self.batch is not None and self.unit == "step":
            raise ValueError("mini-batches are counted in epochs, not steps")
        return self


def check_format(text: str, fields: set[str]) -> str:
    """A log format may name only `fields`, with plain format specs: nothing else runs."""
    import string

    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as error:
        raise ValueError(f"bad format string: {error}") from None
    for _, field_name, spec, conversion in parsed:
        if field_name is None:
            continue
        if field_name not in fields:
            names = ", ".join(f"`{{{f}}}`" for f in sorted(fields))
            raise ValueError(f"`{{{field_name}}}` is not a log field; the fields are {names}")
        if conversion not in (None, "r", "s"):
            raise ValueError(f"unknown conversion `!{conversion}`")
        if spec and not re.fullmatch(
            r"[<>=^]?[+\- ]?#?0?\d{0,3}[,_]?(\.\d{1,3})?[eEfFgGn%]?", spec
        ):
            raise ValueError(f"unsupported format spec `{spec}`")
    return text


class Logging(Node):
    """What the script prints while it trains."""

    every: PositiveInt
    show: tuple[str, ...] = ()  # names of weights printed with the loss
    format: str | None = None  # a str.format pattern over step/epoch, loss and `show`
    numbers: Literal[v.NUMBERS] = "shortest"  # type: ignore[valid-type]
    accuracy: bool = False  # the fraction of samples classified right, after the loss
    test_loss: bool = False  # the held-out rows' loss, after the epoch's updates
    test_accuracy: bool = False  # ... and the fraction of them classified right

    @property
    def format_fields(self) -> set[str]:
        """The names the format string uses."""
        import string

        if self.format is None:
            return set()
        return {name for _, name, _, _ in string.Formatter().parse(self.format) if name}


class Split(Node):
    """`split test=0.2`: ceil(test x rows) rows held out for testing (as scikit-learn's
    `train_test_split` counts them), chosen by one NumPy-drawn permutation of the rows."""

    test: Annotated[float, Field(gt=0, lt=1)]
    rows: PositiveInt | None = None  # the rows held out, where the data's rows are known


class Distribution(Node):
    """`distribute replicas=2`: data-parallel training. Each global batch is split into
    `replicas` contiguous shards, as even as they can be (the first ones a row larger, as
    `np.array_split` splits), and each shard's loss weighted by its rows: the combined
    gradient is the one-process step's."""

    replicas: Annotated[int, Field(ge=1, le=v.MAX_REPLICAS)]


class Prediction(Node):
    inputs: ArrayLiteral | Rows  # a literal, or rows of data the checker held to the model


class Spec(Node):
    """One experiment: data, model, loss, optimizer, schedule and what to print."""

    # the spec's file name, for the stamp comment: one printable line
    source_name: Annotated[str, Field(pattern=r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*$")]
    name: Identifier = "Model"
    seed: Annotated[int, Field(ge=0, le=v.MAX_SEED)] = 0
    dtype: Literal[v.DTYPES.names] = "float32"  # type: ignore[valid-type]
    data: tuple[Data, ...]
    inputs: Identifier = "x"
    targets: Identifier = "y"
    network: Network
    # Defaults made as validation would make them, without building a validator.
    loss: Loss = Loss.model_construct()
    optimizer: Optimizer = Optimizer.model_construct(options=v.OPTIMIZERS["sgd"].defaults())
    schedule: Schedule | None = None  # else the learning rate is the optimizer's `lr` throughout
    training: Training = Training.model_construct()
    split: Split | None = None
    logging: Logging
    predict: Prediction | None = None
    # `save "name"`: where each target writes the trained model, as its own file of that stem
    save: Annotated[str, Field(pattern=rf"^{v.SAVE_NAME}$", max_length=v.MAX_SAVE_NAME)] | None = (
        None
    )
    # The seed of NumPy's Dropout masks: the spec's own unless set (the runs that hold the
    # frameworks' to the reference draw other masks).
    mask_seed: Annotated[int, Field(ge=0)] | None = None
    distribute: Distribution | None = None  # else one process on one device
    device: Literal[v.DEVICES.names] = "cpu"  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _consistent(self) -> Spec:
        """What the checker guarantees, for IRs that programs build by hand."""
        data = {d.name: d for d in self.data}
        for item in self.data:
            if isinstance(item.expr, Windows):
                series = data.get(item.expr.arg.name)
                shape = series.shape if series else ()
                if len(shape) != 2 or shape[0] is None or shape[0] <= item.expr.steps:
                    raise ValueError(f"`{item.name}`: no windows of `{item.expr.arg.name}`")
                if item.shape != item.expr.shape_from(shape):  # type: ignore[arg-type]
                    raise ValueError(f"`{item.name}` has shape {item.shape}, not its windows'")
        y_sample = (1,) if self.loss.kind == "crossentropy" else (self.units_out,)
        for name, sample in ((self.inputs, self.sample_in), (self.targets, y_sample)):
            if name not in data:
                raise ValueError(f"no data named `{name}`")
            if data[name].shape[1:] != sample:
                raise ValueError(f"`{name}` has samples of {data[name].shape[1:]}, not {sample}")
        rows = data[self.inputs].shape[0]
        if self.training.batch and rows and self.training.batch > rows:
            raise ValueError(f"batches of {self.training.batch} from {rows} samples")
        inputs = self.predict.inputs if self.predict else None
        if isinstance(inputs, ArrayLiteral) and inputs.shape[1] != self.units_in:
            raise ValueError("`predict` inputs do not match the model's inputs")
        weights = {w.var for w in self.weights}
        if unknown := set(self.logging.show) - weights:
            raise ValueError(f"`show` names unknown weights {sorted(unknown)}")
        if self.logging.accuracy and not self.classifies:
            raise ValueError("`accuracy` needs a classification loss")
        if self.loss.kind == "bce" and self.units_out != 1:
            raise ValueError("`bce` needs a model with one output, its logit")
        if self.logging.format is not None:
            check_format(self.logging.format, self.log_fields)
        if self.schedule is not None and self.schedule.min >= self.optimizer["lr"]:
            raise ValueError("a cosine schedule's `min` must be below the learning rate")
        if self.distribute is not None:
            layers = self.network.layers if isinstance(self.network, Sequential) else ()
            if any(layer.kind == "BatchNorm" for layer in layers):
                raise ValueError("BatchNorm's batch statistics are per shard under `distribute`")
            trained = rows - self.split.rows if rows and self.split and self.split.rows else rows
            batch = min(self.training.batch or trained, trained) if trained else 0
            smallest = min(batch, trained % batch or batch) if batch else 0
            if trained and smallest < self.distribute.replicas:
                raise ValueError("a batch of fewer rows than replicas leaves a shard empty")
        return self

    @property
    def classifies(self) -> bool:
        """The loss is on logits, and y holds labels."""
        return self.loss.kind in v.CLASSIFICATION_LOSSES

    @property
    def log_fields(self) -> set[str]:
        """What a log `format` may name."""
        logging = self.logging
        figures = {
            figure
            for figure, shown in (
                ("accuracy", logging.accuracy),
                ("test_loss", logging.test_loss),
                ("test_accuracy", logging.test_accuracy),
            )
            if shown
        }
        return {self.training.unit, "loss", *figures, *logging.show}

    @functools.cached_property
    def weights(self) -> list[Weight]:
        """Every trainable tensor, in the order initial values are drawn (made once: the
        backends ask for them per layer)."""
        if isinstance(self.network, Formula):
            return [
                Weight.model_construct(name=p.name, var=p.name, shape=p.shape, init=p.init)
                for p in self.network.params
            ]
        return [
            Weight.model_construct(
                name=f"{layer.name}.{weight.role}",
                var=f"{layer.name}_{weight.role}",
                shape=weight.shape,
                init=weight.init,
                layer=layer.name,
                layer_kind=layer.kind,
                role=weight.role,
                trainable=weight.trainable,
            )
            for layer in self.network.layers
            for weight in _layers.kind_of(layer).weights(layer)
        ]

    @property
    def trainable(self) -> list[Weight]:
        """The weights the optimizer trains: all but the layers' state."""
        return [w for w in self.weights if w.trainable]

    @property
    def state(self) -> list[Weight]:
        """The layers' state: values training updates without the optimizer (BatchNorm's
        running statistics)."""
        return [w for w in self.weights if not w.trainable]

    @property
    def modes(self) -> bool:
        """A layer computes otherwise in training than in inference (BatchNorm, Dropout)."""
        return bool(self.modal)

    @property
    def modal(self) -> list[_layers.LayerKind]:
        """The kinds of layer that compute otherwise in training than in inference, each once,
        in the order the model first has them."""
        if not isinstance(self.network, Sequential):
            return []
        kinds = (_layers.kind_of(layer) for layer in self.network.layers)
        return list(dict.fromkeys(kind for kind in kinds if kind.modes))

    @property
    def draws(self) -> bool:
        """A layer draws random numbers in training (Dropout's masks), each framework its own."""
        return any(kind.draws for kind in self.modal)

    @property
    def statistical(self) -> bool:
        """Each framework draws what no other run draws (its own initial weights, Dropout's
        masks): the runs agree in distribution, and are held to runs from other draws."""
        return self.native or self.draws

    @property
    def shown(self) -> list[Weight]:
        """The weights a log line prints, in the order the spec lists them."""
        by_var = {w.var: w for w in self.weights}
        return [by_var[name] for name in self.logging.show]

    @property
    def native(self) -> bool:
        """Some weights start from the framework's own initializer: agreement is statistical."""
        return any(w.init.kind == "native" for w in self.weights)

    @property
    def sample_in(self) -> tuple[int, ...]:
        """The shape of each sample of `x`: (features,), or (height, width, channels)."""
        return self.network.sample_in

    @property
    def integer_inputs(self) -> bool:
        """`x` holds integer ids that the first layer looks up (an Embedding's): it stays
        integer in every script."""
        if not isinstance(self.network, Sequential):
            return False
        first = self.network.layers[0]
        return _layers.kind_of(first).ids(first) is not None

    @property
    def units_in(self) -> int:
        """The values of each sample of `x`."""
        return math.prod(self.sample_in)

    @property
    def units_out(self) -> int:
        return self.network.units_out


# The layer kinds (specc/layers/, a module per kind or family) declare their nodes on the
# base types above. The IR's union of layers is theirs, made when pydantic first validates a
# node (`Node.model_rebuild`), and each node is an IR class by name (`ir.Dense`): a build,
# which constructs its nodes without validating them, imports only the kinds it uses.
from . import layers as _layers  # noqa: E402


def _union() -> None:
    """`Layer`, the union of every kind's node, for validation."""
    if "Layer" in globals():
        return
    nodes = _layers.NODES
    if len(nodes) == 1:
        globals()["Layer"] = nodes[0]
    else:  # a union built from a tuple of types at run time
        globals()["Layer"] = Annotated[Union[nodes], Field(discriminator="kind")]  # noqa: UP007


def __getattr__(name: str) -> Any:
    """A kind's node by its word (`ir.Dense`), importing that kind; `Layer`, the union."""
    if name in _layers.INDEX:
        return _layers.KINDS[name].node
    if name == "Layer":
        _union()
        return globals()["Layer"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
