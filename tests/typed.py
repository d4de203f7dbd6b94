"""Well-typed specs: a Hypothesis strategy for specs the checker should accept.

Sentences of the grammar mostly fail the checker early, so the stages after it (lowering,
differentiation, rendering, formatting) would barely be fuzzed by them. These specs are built
the way a user writes one: shapes that chain, names that exist, values in range, across every
statement and every option the vocabulary declares (read from `specc.vocabulary`, so a new
option is drawn as soon as it is declared). The numbers are tame, so that a spec's NumPy
script trains to finite numbers: tests/test_fuzz.py runs a sample of them.
"""

from __future__ import annotations

import itertools
import math

from hypothesis import strategies as st

from specc import vocabulary as v

ROWS = st.integers(1, 24)
NAMES = st.sampled_from(["a", "b", "c", "w", "v", "k", "bias2", "scale", "W", "W2"])


def _number(low: float, high: float) -> st.SearchStrategy[str]:
    """A literal between `low` and `high`, written as users write them."""
    return st.one_of(
        st.sampled_from([n for n in ("0", "0.5", "1", "0.1", "2", "0.01", "1e-3") if
                         low <= float(n) <= high]),
        st.floats(low, high, allow_nan=False, allow_infinity=False).map(lambda f: f"{f:g}"),
    )  # fmt: skip


def _option_value(option: v.Option) -> st.SearchStrategy[str]:
    """A value in range for one declared option (its bounds kept tame for training)."""
    if option.type == "bool":
        return st.sampled_from(["true", "false"])
    if option.type == "word":
        return st.sampled_from(option.choices)
    if option.type == "integer":
        return st.integers(1, 6).map(str)
    if option.name == "lr":
        return _number(1e-3, 0.05)
    if option.name == "eps":
        return st.sampled_from(["1e-8", "1e-7", "0.001"])
    if option.name == "weight_decay":
        return _number(0, 0.1)
    if option.name == "factor":  # a schedule's: above 0
        return _number(0.1, 1)
    if option.name == "min":  # a cosine schedule's: below every drawn `lr`
        return st.sampled_from(["0", "1e-4"])
    high = option.high if option.high is not None else 1.0
    low = option.low or 0.0
    return _number(low + 0.01 if option.low_open else low, min(high, 0.99))  # `clip=0` refused


@st.composite
def _options(draw: st.DrawFn, word: v.Word) -> str:
    """Some of a word's number, word and bool options, each at most once, in any order."""
    given = {
        option.name: draw(_option_value(option))
        for option in word.options
        if option.type in ("number", "integer", "bool", "word") and draw(st.booleans())
    }
    for option in word.options:  # `nesterov=true` needs momentum above 0
        if option.requires and given.get(option.name) == "true":
            if float(given.get(option.requires, "0")) <= 0:
                given[option.requires] = "0.5"
    return " ".join(draw(st.permutations([f"{k}={value}" for k, value in given.items()])))


def _draw(rows: int, cols: int) -> st.SearchStrategy[str]:
    """A generator of a (rows, cols) table of tame numbers."""
    lo = _number(-2, 0)
    return st.one_of(
        st.just(f"randn({rows}, {cols})"),
        st.just(f"rand({rows}, {cols})"),
        st.builds(lambda a: f"uniform({a}, 1, {rows}, {cols})", lo),
        st.builds(
            lambda m, s: f"normal({m}, {s}, {rows}, {cols})", _number(-1, 1), _number(0.1, 2)
        ),
        st.builds(
            lambda a, b: f"randint({a}, {b}, {rows}, {cols})", st.integers(-2, 0), st.integers(1, 3)
        ),
        *([st.just(f"linspace(-1, 1, {rows})")] if cols == 1 else []),
        st.lists(
            st.lists(_number(-2, 2), min_size=cols, max_size=cols), min_size=rows, max_size=rows
        ).map(lambda table: "[" + ", ".join("[" + ", ".join(r) + "]" for r in table) + "]"),
    )


def _matrix(rows: int, cols: int) -> st.SearchStrategy[str]:
    return st.lists(
        st.lists(st.sampled_from(["1", "-1", "0.5", "2", "0"]), min_size=cols, max_size=cols),
        min_size=rows,
        max_size=rows,
    ).map(lambda m: "[" + ", ".join("[" + ", ".join(r) + "]" for r in m) + "]")


@st.composite
def _inputs(draw: st.DrawFn, rows: int, cols: int) -> list[str]:
    """`data` lines ending with `x`, (rows, cols): drawn, or computed from earlier data."""
    lines = []
    if draw(st.booleans()):
        lines.append(f"data raw = {draw(_draw(rows, cols))}")
        function = draw(st.sampled_from(["", "sin", "cos", "tanh", "abs", "exp"]))
        scale = draw(st.sampled_from(["", "0.5 * ", "2 * "]))
        body = f"{function}(raw)" if function else "raw"
        lines.append(f"data x = {scale}{body}{draw(st.sampled_from(['', ' + 1', ' - 0.5']))}")
    else:
        lines.append(f"data x = {draw(_draw(rows, cols))}")
    return lines


@st.composite
def _targets(draw: st.DrawFn, loss: str, rows: int, cols: int, outputs: int) -> str:
    """The `data y` line a loss trains on: class labels, 0/1, or a table of `outputs`."""
    if loss in v.CLASSIFICATION_LOSSES and draw(st.integers(0, 3)) == 0:  # drawn labels
        return f"data y = randint(0, {outputs if loss == 'crossentropy' else 2}, {rows})"
    if loss == "crossentropy":
        return f"data y = argmax(x @ {draw(_matrix(cols, outputs))})"
    if loss == "bce":
        op = draw(st.sampled_from(v.COMPARISONS))
        return f"data y = (x @ {draw(_matrix(cols, 1))} {op} 0)"
    function = draw(st.sampled_from(["", "sin", "tanh", "sqrt", "log"]))
    product = f"x @ {draw(_matrix(cols, outputs))}"
    if function in ("sqrt", "log"):  # of something positive
        return f"data y = {function}(1 + ({product}) ** 2)"
    return f"data y = {function}({product})" if function else f"data y = {product} + 0.5"


@st.composite
def _layers(draw: st.DrawFn, cols: int, outputs: int, loss: str) -> list[str]:
    sizes = [cols, *draw(st.lists(st.integers(1, 6), max_size=3)), outputs]
    lines = []
    for n, (a, b) in enumerate(itertools.pairwise(sizes)):
        last = n == len(sizes) - 2
        activations = (
            ["linear"] if last and loss in v.CLASSIFICATION_LOSSES else v.ACTIVATIONS.names
        )
        activation = draw(st.sampled_from(["", *activations]))
        init = draw(
            st.sampled_from(["", "", "init=zeros", "init=ones", "init=uniform(-0.5, 0.5)",
                             "init=normal(0, 0.1)", "init=glorot_uniform", "init=0.1", "", "",
                             "init=native"])
        )  # fmt: skip
        bias = draw(st.sampled_from(["", "", "bias=zeros", "bias=0.1", "bias=ones", "", "", "",
                                     "bias=native"]))  # fmt: skip
        parts = [f"layer Dense {a}->{b}", activation, init, bias]
        lines.append(" ".join(p for p in parts if p))
        if not last:
            lines += draw(_shape_kept())
    return lines


@st.composite
def _shape_kept(draw: st.DrawFn) -> list[str]:
    """Maybe a layer that keeps the shape of what it takes: BatchNorm or LayerNorm (its
    options, maybe an activation) or Dropout."""
    kind = draw(st.sampled_from(["", "", "BatchNorm", "LayerNorm", "Dropout"]))
    if kind in ("BatchNorm", "LayerNorm"):
        activation = draw(st.sampled_from(["", *v.ACTIVATIONS.names]))
        parts = [f"layer {kind}", draw(_options(v.LAYERS[kind])), activation]
        return [" ".join(p for p in parts if p)]
    if kind == "Dropout":
        return [f"layer Dropout {draw(st.sampled_from(['0', '0.1', '0.25', '0.5', '0.9']))}"]
    return []


@st.composite
def _convnet(draw: st.DrawFn, sample: tuple[int, ...], outputs: int, loss: str) -> list[str]:
    """Convolutions and pools that fit the samples (signals or images), then Flatten or a
    global pool, and a Dense layer."""
    *axes, channels = sample
    dims, lines = len(axes), []
    for _ in range(draw(st.integers(1, 2))):
        kernel = draw(st.integers(1, min(*axes, 3)))
        stride = draw(st.integers(1, 2))
        padding = draw(st.sampled_from(["valid", "same"]))
        filters = draw(st.integers(1, 3))
        # A dilation (never with a stride) whose span fits, or is padded to fit.
        dilated = (kernel - 1) * 2 + 1
        dilation = 1
        if stride == 1 and kernel > 1 and (padding == "same" or dilated <= min(axes)):
            dilation = draw(st.sampled_from([1, 1, 2]))
        span = (kernel - 1) * dilation + 1
        axes = [_outputs(n, span, stride, padding) for n in axes]
        sizes = draw(st.sampled_from([f"{channels}->{filters}", f"{filters}"]))
        options = [
            f"kernel={kernel}",
            f"stride={stride}" if stride > 1 else "",
            f"dilation={dilation}" if dilation > 1 else "",
            f"padding={padding}",
        ]
        activation = draw(st.sampled_from(["", *v.ACTIVATIONS.names]))
        init = draw(st.sampled_from(["", "init=uniform(-0.5, 0.5)", "bias=0.1", "init=native"]))
        parts = [f"layer Conv{dims}D {sizes}", *draw(st.permutations([*options, activation, init]))]
        lines.append(" ".join(p for p in parts if p))
        lines += draw(_shape_kept())
        channels = filters
        if min(axes) >= 2 and draw(st.booleans()):
            pool = draw(st.sampled_from(["MaxPool", "AvgPool"]))
            size, stride = draw(st.integers(1, 2)), draw(st.sampled_from([0, 1, 2]))
            padding = draw(st.sampled_from(["valid", "same"]))
            options = [f"stride={stride}" if stride else "", f"padding={padding}"]
            parts = [f"layer {pool}{dims}D {size}", *draw(st.permutations(options))]
            lines.append(" ".join(p for p in parts if p))
            axes = [_outputs(n, size, stride or size, padding) for n in axes]
    lines.append(draw(st.sampled_from(["layer Flatten", f"layer GlobalAvgPool{dims}D"])))
    last = "" if loss in v.CLASSIFICATION_LOSSES else draw(st.sampled_from(["", "tanh"]))
    lines.append(f"layer Dense {outputs} {last}".rstrip())
    return lines


@st.composite
def _embedded(draw: st.DrawFn, tokens: tuple[int, int], outputs: int, loss: str) -> list[str]:
    """An Embedding over rows of token ids (ids, steps), its rows flattened, averaged or read
    as a sequence by a SimpleRNN, then a Dense layer."""
    ids, _ = tokens
    units = draw(st.integers(1, 4))
    init = draw(st.sampled_from(["", "", "init=uniform(-0.5, 0.5)", "init=native", "init=zeros"]))
    lines = [f"layer Embedding {ids}->{units} {init}".rstrip()]
    after = ["layer Flatten", "layer GlobalAvgPool1D", f"layer SimpleRNN {units}"]
    lines.append(draw(st.sampled_from(after)))
    last = "" if loss in v.CLASSIFICATION_LOSSES else draw(st.sampled_from(["", "tanh"]))
    lines.append(f"layer Dense {outputs} {last}".rstrip())
    return lines


@st.composite
def _recurrent(draw: st.DrawFn, sample: tuple[int, ...], outputs: int, loss: str) -> list[str]:
    """SimpleRNN, LSTM and GRU layers over sequences (steps, features), every step's output
    into the next (`sequences=true`), the last one's last step into a Dense layer."""
    features, lines = sample[-1], []
    count = draw(st.integers(1, 2))
    for n in range(count):
        kind = draw(st.sampled_from(["SimpleRNN", "LSTM", "GRU"]))
        units = draw(st.integers(1, 4))
        sizes = draw(st.sampled_from([f"{features}->{units}", f"{units}"]))
        options = [
            "sequences=true" if n < count - 1 else draw(st.sampled_from(["", "sequences=false"]))
        ]
        options.append(draw(st.sampled_from(["", "recurrent=orthogonal", "recurrent=zeros",
                                             "init=uniform(-0.5, 0.5)", "bias=0.1",
                                             "init=native recurrent=native"])))  # fmt: skip
        options.append(draw(st.sampled_from(["", "", *v.ACTIVATIONS.names])))
        parts = [f"layer {kind} {sizes}", *draw(st.permutations(options))]
        lines.append(" ".join(p for p in parts if p))
        features = units
    last = "" if loss in v.CLASSIFICATION_LOSSES else draw(st.sampled_from(["", "tanh"]))
    lines.append(f"layer Dense {outputs} {last}".rstrip())
    return lines


def _outputs(size: int, window: int, stride: int, padding: str) -> int:
    """A sliding window's outputs along one axis (TensorFlow's `same`)."""
    return -(-size // stride) if padding == "same" else (size - window) // stride + 1


@st.composite
def _formula(draw: st.DrawFn, cols: int, outputs: int) -> tuple[list[str], list[str], list[str]]:
    """`param` lines, a `forward` formula of shape (rows, outputs), and the param names."""
    weight, bias = draw(st.lists(NAMES, min_size=2, max_size=2, unique=True))
    init = draw(st.sampled_from(["0.5", "uniform(-0.5, 0.5)", "normal(0, 0.1)", "zeros", "0.1"]))
    lines = [f"param {weight}[{cols}, {outputs}] = {init}"]
    lines.append(f"param {bias}[{outputs}] = {draw(st.sampled_from(['0', '0.1', 'zeros']))}")
    inner = f"x @ {weight}"
    function = draw(st.sampled_from(["", "tanh", "sigmoid", "sin", "relu", "exp"]))
    core = (
        f"{function}({inner} / 4)"
        if function == "exp"
        else (f"{function}({inner})" if function else inner)
    )
    tail = draw(st.sampled_from(["", f" * {bias}", f" - abs({bias}) / 10", f" + {bias}**2"]))
    return lines, [f"forward y = {core} + {bias}{tail}"], [weight, bias]


@st.composite
def specs(draw: st.DrawFn) -> str:
    """One well-typed spec: every statement is drawn, and every option it may take."""
    lines: list[str] = []
    if draw(st.booleans()):
        lines.append(f"model {draw(st.sampled_from(['Net', 'SimpleNet', 'Model', 'Fit2']))}")
    if draw(st.booleans()):
        lines.append(f"seed {draw(st.integers(0, v.MAX_SEED))}")
    if draw(st.booleans()):
        lines.append(f"dtype {draw(st.sampled_from(v.DTYPES.names))}")
    loss = draw(st.sampled_from(v.LOSSES.names))
    formula = loss != "crossentropy" and draw(st.booleans())
    rows, cols = draw(ROWS), draw(st.integers(1, 3))
    outputs = {"crossentropy": draw(st.integers(2, 4)), "bce": 1}.get(loss, draw(st.integers(1, 2)))
    if formula and outputs > 1 and loss != "crossentropy":
        outputs = 1
    source = draw(st.sampled_from(["drawn"] * 8 + ["dataset", "csv"]))
    tokens: tuple[int, int] | None = None  # (ids, steps) of rows of token ids
    if source == "dataset" and loss in v.CLASSIFICATION_LOSSES:
        # a bundled data set's features and labels (bce: breast_cancer's two classes)
        labelled = sorted(n for n, (_, _, c) in v.DATASET_SHAPES.items() if c is not None)
        name = "breast_cancer" if loss == "bce" else draw(st.sampled_from(labelled))
        rows, cols, classes = v.DATASET_SHAPES[name]
        outputs = 1 if loss == "bce" else classes
        lines.append(f'data x, y = dataset("{name}")')
    elif source == "dataset" and outputs == 1:  # the regression set: targets are numbers
        rows, cols, _ = v.DATASET_SHAPES["diabetes"]
        lines.append('data x, y = dataset("diabetes")')
    elif source == "csv" and loss not in v.CLASSIFICATION_LOSSES:
        # read when the script runs: without the file, a one-line error there
        rows, cols, outputs = 2, 1, 1
        lines += ['data x = csv("data.csv", "a")', 'data y = csv("data.csv", "b")']
    elif not formula and draw(st.integers(0, 7)) == 0:  # windows of a series, and a convnet
        # The targets are the row after each window: labels for a loss on logits.
        steps = draw(st.integers(1, 8))
        length = rows + steps
        if loss in v.CLASSIFICATION_LOSSES:
            classes = outputs if loss == "crossentropy" else 2
            lines.append(f"data s = randint(0, {classes}, {length})")
            sample = (steps, 1)
        else:
            lines.append(f"data s = {draw(_draw(length, outputs))}")
            sample = (steps, outputs)
        lines.append(f"data x, y = windows(s, {steps})")
    elif not formula and draw(st.integers(0, 7)) == 0:  # token ids, and an Embedding first
        ids, cols = draw(st.integers(1, 12)), draw(st.integers(1, 5))
        lines.append(f"data x = randint(0, {ids}, {rows}, {cols})")
        lines.append(draw(_targets(loss, rows, cols, outputs)))
        tokens = (ids, cols)
    elif not formula and draw(st.integers(0, 2)) == 0:  # signals or images, and a convnet
        dims = draw(st.integers(1, 2))
        longest = 8 if dims == 1 else 5
        sample = (*[draw(st.integers(2, longest)) for _ in range(dims)], draw(st.integers(1, 2)))
        cols = math.prod(sample)
        lines.append(f"data flat = {draw(_draw(rows, cols))}")
        lines.append(f"data x = reshape(flat, {', '.join(map(str, sample))})")
        lines.append(draw(_targets(loss, rows, cols, outputs)).replace("x @", "flat @"))
    else:
        lines += draw(_inputs(rows, cols))
        lines.append(draw(_targets(loss, rows, cols, outputs)))
    images = any(line.startswith(("data x = reshape", "data x, y = windows")) for line in lines)
    if tokens is not None:
        layers = draw(_embedded(tokens, outputs, loss))
        lines += layers
        weights = ["emb1_embeddings", "fc1_kernel", "fc1_bias"]
        if "RNN" in layers[1]:
            weights += [f"rnn1_{role}" for role in ("kernel", "recurrent_kernel", "bias")]
    elif images and len(sample) == 2 and draw(st.booleans()):  # signals read as sequences
        layers = draw(_recurrent(sample, outputs, loss))
        lines += layers
        weights = [
            f"{prefix}{n}_{role}"
            for prefix, kind in (("rnn", "SimpleRNN "), ("lstm", "LSTM "), ("gru", "GRU "))
            for n in range(1, sum(kind in layer for layer in layers) + 1)
            for role in ("kernel", "recurrent_kernel", "bias")
        ] + ["fc1_kernel", "fc1_bias"]
    elif images:
        layers = draw(_convnet(sample, outputs, loss))
        lines += layers
        weights = [
            f"conv{n}_{role}"
            for n, layer in enumerate((lay for lay in layers if " Conv" in lay), start=1)
            for role in ("kernel", "bias")
        ] + ["fc1_kernel", "fc1_bias"]
    elif formula:
        params, forward, weights = draw(_formula(cols, outputs))
        lines += params + forward
    else:
        layers = draw(_layers(cols, outputs, loss))
        weights = [
            f"fc{n}_{role}" for n in range(1, len(layers) + 1) for role in ("kernel", "bias")
        ]
        if draw(st.integers(0, 3)) == 0:  # the inputs normalized by the training rows' statistics
            layers.insert(0, "layer Normalize")
        lines += layers
    loss_options = draw(_options(v.LOSSES[loss]))
    if loss != "mse" or loss_options or draw(st.booleans()):
        lines.append(" ".join(p for p in ("loss", loss, loss_options) if p))
    optimizer = draw(st.sampled_from(v.OPTIMIZERS.names))
    if optimizer != "sgd" or draw(st.booleans()):
        options = draw(_options(v.OPTIMIZERS[optimizer]))
        lines.append(" ".join(p for p in ("optim", optimizer, options) if p))
    trained_rows = rows  # what a mini-batch may hold: the rows `split` leaves
    held = rows > 1 and draw(st.booleans())
    if held:
        test = draw(st.sampled_from([0.1, 0.2, 0.25, 0.3, 0.5]))
        trained_rows = rows - math.ceil(test * rows)
        if trained_rows < 1:
            held = False
            trained_rows = rows
        else:
            lines.append(f"split test={test}")
    if draw(st.booleans()):  # the options a kind needs, and maybe the others
        schedule = draw(st.sampled_from(v.SCHEDULES.names))
        word = v.SCHEDULES[schedule]
        given = {o.name: draw(_option_value(o)) for o in word.options
                 if o.name in v.SCHEDULE_REQUIRED[schedule] or draw(st.booleans())}  # fmt: skip
        options = " ".join(draw(st.permutations([f"{k}={n}" for k, n in given.items()])))
        lines.append(" ".join(p for p in ("schedule", schedule, options) if p))
    unit = "epoch"
    batch = trained_rows  # full-batch, unless the mini-batches are drawn
    if draw(st.booleans()):
        steps = draw(st.integers(1, 8))
        lines.append(f"train steps={steps}")
        unit = "step"
    else:
        parts = [f"epochs={draw(st.integers(1, 6))}"]
        if draw(st.booleans()):
            batch = draw(st.integers(1, trained_rows))
            parts.append(f"batch={batch}")
            if draw(st.booleans()):
                parts.append(f"shuffle={draw(st.sampled_from(['true', 'false']))}")
        lines.append("train " + " ".join(draw(st.permutations(parts))))
    if draw(st.booleans()):
        shown = draw(st.lists(st.sampled_from(weights), max_size=2, unique=True))
        if loss in v.CLASSIFICATION_LOSSES and draw(st.booleans()):
            shown.insert(0, "accuracy")
        if held and draw(st.booleans()):
            classifies = loss in v.CLASSIFICATION_LOSSES
            figures = ["test_loss", *(["test_accuracy"] if classifies else [])]
            shown[:0] = draw(st.lists(st.sampled_from(figures), min_size=1, unique=True))
        options = [f"every={draw(st.integers(1, 3))}"]
        if shown or draw(st.booleans()):
            options.append("show=" + ",".join(["loss", *shown]))
        if draw(st.booleans()):
            options.append(f"numbers={draw(st.sampled_from(['shortest', 'python']))}")
        elif draw(st.booleans()):
            fields = " ".join(f"{name}={{{name}}}" for name in [unit, "loss", *shown])
            options.append(f'format="{fields}"')
        lines.append("log " + " ".join(draw(st.permutations(options))))
    if not images and tokens is None and draw(st.booleans()):
        samples = draw(st.lists(st.lists(_number(-2, 2), min_size=cols, max_size=cols),
                                min_size=1, max_size=3))  # fmt: skip
        lines.append("predict [" + ", ".join("[" + ", ".join(s) + "]" for s in samples) + "]")
    elif source != "csv" and draw(st.booleans()):  # rows of the data: any of Python's slices
        start = draw(st.integers(0, rows - 1))
        stop = draw(st.integers(start + 1, min(rows, start + 3)))
        forms = [f"x[{start}:{stop}]", f"x[-{stop - start}:]"]
        forms += [f"x[{start}:-{rows - stop}]"] if stop < rows else []
        forms += [f"x[:{stop}]"] if stop <= 3 else []
        lines.append(f"predict {draw(st.sampled_from(forms))}")
    if draw(st.integers(0, 3)) == 0:  # the fuzz builds the scripts; run, they write here
        lines.append('save "typed"')
    # Data-parallel: a layer model without BatchNorm, every shard of every batch a row.
    shard = min(batch, trained_rows % batch or batch)
    batchnorm = any("BatchNorm" in line for line in lines)
    if not formula and not batchnorm and source != "csv" and draw(st.integers(0, 3)) == 0:
        lines.append(f"distribute replicas={draw(st.integers(1, min(shard, 4)))}")
    if draw(st.integers(0, 5)) == 0:
        lines.append(f"device {draw(st.sampled_from(v.DEVICES.names))}")
    return "\n".join(lines) + "\n"
