"""Every layer kind (specc/layers/) is whole: a spelling or a located refusal in every target,
and a NumPy backward that is the derivative of its forward, in float64."""

from __future__ import annotations

import importlib
import subprocess
import sys
import typing

import pytest
from test_gradients import _check_gradients, _script

import specc
from specc import ir, layers
from specc.diagnostics import Source, Span
from specc.layers import (
    GraphSpelling,
    KerasSpelling,
    NumpySpelling,
    Refused,
    Spelling,
    TorchSpelling,
)

SPELLINGS: dict[str, type[Spelling]] = {
    "torch": TorchSpelling,
    "tfgraph": GraphSpelling,
    "keras": KerasSpelling,
    "numpy": NumpySpelling,
}

# A small float64 model for each kind, with a layer of it between others: its backward is
# checked on its own and where the chain rule passes through it.
GRADIENT_SPECS = {
    "Dense": "data x = randn(20, 3)\nlayer Dense 3->4 tanh\nlayer Dense 4->2 sigmoid\n"
    "layer Dense 2->1",
    # An even window with `same` padding, stride 2 on an odd size, then one on an even size,
    # then a dilated one.
    "Conv2D": "data x = reshape(randn(6, 98), 7, 7, 2)\n"
    "layer Conv2D 2->3 kernel=2 stride=2 padding=same tanh\n"
    "layer Conv2D 3->2 kernel=3 stride=2 padding=same sigmoid\n"
    "layer Conv2D 2->2 kernel=2 dilation=2 padding=same\nlayer Flatten\nlayer Dense 1",
    # Overlapping windows, and `same` padding on an odd size (its -inf border never wins).
    "MaxPool2D": "data x = reshape(randn(6, 50), 5, 5, 2)\nlayer Conv2D 2->3 kernel=2 tanh\n"
    "layer MaxPool2D 3 stride=2 padding=same\nlayer MaxPool2D 2\nlayer Flatten\nlayer Dense 1",
    # An odd window with `same` padding, stride 2 on an odd length, then an even one, dilated.
    "Conv1D": "data x = reshape(randn(6, 18), 9, 2)\n"
    "layer Conv1D 2->3 kernel=3 stride=2 padding=same tanh\n"
    "layer Conv1D 3->2 kernel=2 dilation=2 padding=same sigmoid\nlayer Flatten\nlayer Dense 1",
    "MaxPool1D": "data x = reshape(randn(6, 14), 7, 2)\nlayer Conv1D 2->3 kernel=2 tanh\n"
    "layer MaxPool1D 3 stride=2 padding=same\nlayer MaxPool1D 2\nlayer Flatten\nlayer Dense 1",
    # Uneven `same` padding: the windows at the end hold fewer real inputs.
    "AvgPool2D": "data x = reshape(randn(6, 50), 5, 5, 2)\nlayer Conv2D 2->3 kernel=2 tanh\n"
    "layer AvgPool2D 2 stride=1 padding=same\nlayer AvgPool2D 3 stride=2 padding=same\n"
    "layer Flatten\nlayer Dense 1",
    "AvgPool1D": "data x = reshape(randn(6, 14), 7, 2)\nlayer Conv1D 2->3 kernel=2 tanh\n"
    "layer AvgPool1D 3 stride=2 padding=same\nlayer AvgPool1D 2\nlayer Flatten\nlayer Dense 1",
    "GlobalAvgPool2D": "data x = reshape(randn(6, 32), 4, 4, 2)\nlayer Conv2D 2->3 kernel=2 tanh\n"
    "layer GlobalAvgPool2D\nlayer Dense 3->1",
    "GlobalAvgPool1D": "data x = reshape(randn(6, 12), 6, 2)\nlayer Conv1D 2->3 kernel=2 tanh\n"
    "layer GlobalAvgPool1D\nlayer Dense 3->1",
    "Flatten": "data x = reshape(randn(6, 12), 2, 3, 2)\nlayer Flatten\nlayer Dense 12->2 tanh\n"
    "layer Dense 1",
    # In training, through the batch's statistics: over the rows, then over images' pixels.
    "BatchNorm": "data x = reshape(randn(6, 32), 4, 4, 2)\nlayer Conv2D 2->3 kernel=2\n"
    "layer BatchNorm eps=0.01 tanh\nlayer Flatten\nlayer Dense 27->3\nlayer BatchNorm sigmoid\n"
    "layer Dense 1",
    # Each sample alone over its last axis: each pixel's channels after a convolution, then
    # the rows after Flatten and Dense, with an activation after each.
    "LayerNorm": "data x = reshape(randn(6, 32), 4, 4, 2)\nlayer Conv2D 2->3 kernel=2\n"
    "layer LayerNorm eps=0.01 tanh\nlayer Flatten\nlayer Dense 27->3\nlayer LayerNorm sigmoid\n"
    "layer Dense 1",
    # Every step's output into a second one, then its last step's (through relu).
    "SimpleRNN": "data x = reshape(randn(6, 12), 4, 3)\nlayer SimpleRNN 3->5 sequences=true\n"
    "layer SimpleRNN 5->4 relu\nlayer Dense 4->1",
    # Every step's output into a second one, then its last step's (through relu).
    "LSTM": "data x = reshape(randn(6, 12), 4, 3)\nlayer LSTM 3->5 sequences=true\n"
    "layer LSTM 5->4 relu\nlayer Dense 4->1",
    # Every step's output into a second one, then its last step's (through relu); both biases.
    "GRU": "data x = reshape(randn(6, 12), 4, 3)\nlayer GRU 3->5 sequences=true bias=0.1\n"
    "layer GRU 5->4 relu bias=uniform(-0.5, 0.5)\nlayer Dense 4->1",
    # Repeated ids (8 of them over 24 lookups) gather their rows' gradients; then every
    # step's numbers into a recurrent layer, and flattened.
    "Embedding": "data x = randint(0, 8, 6, 4)\nlayer Embedding 8->3\n"
    "layer SimpleRNN 3->4 sequences=true tanh\nlayer Flatten\nlayer Dense 1",
    # Images normalized per channel over rows and pixels by fixed statistics, then a
    # convolution: the gradient flows through the layers after it, none into the data.
    "Normalize": "data x = reshape(randn(6, 32), 4, 4, 2)\nlayer Normalize\n"
    "layer Conv2D 2->3 kernel=2 tanh\nlayer Flatten\nlayer Dense 1",
    # In training, with its masks: after a row of values, and over images before a convolution.
    "Dropout": "data x = reshape(randn(6, 32), 4, 4, 2)\nlayer Dropout 0.25\n"
    "layer Conv2D 2->3 kernel=2 tanh\nlayer Flatten\nlayer Dropout 0.5\nlayer Dense 1",
}


def test_every_target_has_a_spelling_or_a_refusal_of_every_kind() -> None:
    assert set(SPELLINGS) == set(specc.TARGETS)
    for name, kind in layers.KINDS.items():
        assert kind.word.name == name and kind.node.model_fields["kind"].default == name
        for target, spelling in SPELLINGS.items():
            found = kind.spellings.get(target)
            assert isinstance(found, spelling | Refused), f"{name} has no spelling for {target}"


@pytest.mark.parametrize("kind", layers.KINDS)
def test_every_kind_has_a_backward_that_finite_differences_confirm(kind: str) -> None:
    assert set(GRADIENT_SPECS) == set(layers.KINDS), "a kind without a gradient check"
    spec = specc.build(Source("model.spec", GRADIENT_SPECS[kind]), ["numpy"]).spec
    assert any(layer.kind == kind for layer in spec.network.layers)  # type: ignore[union-attr]
    _check_gradients(_script("dtype float64\n" + GRADIENT_SPECS[kind]), samples=8)


def test_the_ir_union_is_the_kinds_nodes() -> None:
    union = typing.get_args(typing.get_args(ir.Layer)[0])
    assert union == layers.NODES and {node.__name__ for node in union} == set(layers.KINDS)
    assert all(getattr(ir, node.__name__) is node for node in union)
    assert specc.vocabulary.LAYERS.names == tuple(layers.KINDS)


def test_the_index_is_what_each_kind_s_module_declares() -> None:
    """A build imports a kind's module by the index alone: word, module, name prefix."""
    declared = {
        kind.word.name: (module, kind.prefix)
        for module in layers.MODULES
        for kind in importlib.import_module(f"specc.layers.{module}").KINDS
    }
    assert declared == layers.INDEX and list(declared) == list(layers.INDEX)


def test_a_build_imports_only_the_kinds_its_spec_uses() -> None:
    """A cold build of a Dense stack imports no other kind's module, and builds no validator
    (the layer union is made on first validation)."""
    code = (
        "import sys, specc\n"
        "from specc.diagnostics import Source\n"
        "specc.build(Source('m.spec', 'layer Dense 2->3 relu\\nlayer Dense 1\\nloss mse'),"
        " ['torch', 'keras'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('specc.layers.')))\n"
        "print('Layer' in vars(specc.ir))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "['specc.layers.base', 'specc.layers.dense']\nFalse\n"


def test_a_refused_kind_is_an_error_at_its_own_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    dense = layers.KINDS["Dense"]
    refused = {**dense.spellings, "keras": Refused("the layer `Dense`", "a reason to act on")}
    monkeypatch.setattr(type(dense), "spellings", refused)
    spec = "layer Dense 1->2 relu\nloss mse\nlayer Dense 2->1\n"
    with pytest.raises(specc.SpecError) as caught:
        specc.compile(spec, "keras", "m.spec")
    first, second = caught.value.diagnostics
    assert first.message == "target `keras` does not support the layer `Dense`"
    assert (first.span, second.span) == (Span(1, 1, 1, 22), Span(3, 1, 3, 17))
    assert first.help == "a reason to act on"
    specc.compile(spec, "torch", "m.spec")  # the other targets still build


@pytest.mark.parametrize(
    ("pools", "warned"),
    [
        ("layer AvgPool2D 3 stride=2 padding=same", True),  # 4 -> 2: a window of 2 real, 1 pad
        ("layer AvgPool2D 2 stride=1 padding=same", False),  # the padded window holds 1 real
        ("layer AvgPool2D 3 stride=1 padding=same", False),  # even padding: torch's own
        ("layer MaxPool2D 3 stride=2 padding=same", False),  # the edge never beats the max
        ("layer AvgPool1D 3 stride=2 padding=same", True),
    ],
)
def test_keras_torch_backend_is_warned_where_repeating_the_edge_changes_a_mean(
    pools: str, warned: bool
) -> None:
    """Keras 3.15's torch backend pads uneven `same` pooling by repeating the edge: a
    located warning where that changes an average, at the pool's own line."""
    data = "reshape(randn(8, 4), 4, 1)" if "1D" in pools else "reshape(randn(8, 16), 4, 4, 1)"
    text = f"data x = {data}\n{pools}\nlayer Flatten\nlayer Dense 1\n"
    warnings = specc.build(Source("model.spec", text), ["keras"]).warnings
    found = [w for w in warnings if "repeating the edge" in w.message]
    assert len(found) == warned
    assert all(w.span is not None and w.span.line == 2 for w in found)


def test_each_dropout_layer_of_a_graph_draws_its_own_masks() -> None:
    """A tf.cond branch is a graph of its own, where an unseeded op takes op seed 0: two
    Dropout layers left unseeded draw one mask (found by execution). Each gets its own."""
    text = (
        "data x = randn(16, 4)\ndata y = randn(16, 1)\nlayer Dense 4->8 relu\n"
        "layer Dropout 0.5\nlayer Dense 8->8 relu\nlayer Dropout 0.5\nlayer Dense 8->1\n"
    )
    script = specc.build(Source("two.spec", text), ["tfgraph"]).scripts["tfgraph"]
    seeds = [
        line.split("seed=")[1].split(")")[0] for line in script.splitlines() if "dropout(" in line
    ]
    assert seeds == ["1", "2"]
