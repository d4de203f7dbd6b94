"""`save "name"`: each target's script writes the trained model in its framework's own format,
and that framework reads the file back to the weights (and, for Keras, the predictions) the
script printed. The four scripts run at once, each followed by a loader of its own that knows
only the file: torch.load, tf.train.load_checkpoint, keras.models.load_model and np.load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import specc
from specc.agreement import parse_output
from specc.diagnostics import Source
from specc.runner import Job, missing_extras, run_all, write_scripts

SPEC = """\
model Tiny
seed 3
data x = randn(24, 2)
data y = x @ [[1.5], [-0.5]] + 0.25
layer Dense 2->3 tanh
layer Dense 3->1
optim adam lr=0.05
train epochs=4 batch=8
predict [[0.5, -1], [2, 0.25]]
save "tiny"
"""

# Each target's file, and the code that reads it back, printing `loaded <weight> <values>`
# with the script's own `fmt`, kernels as (inputs, outputs) as the script prints them. The
# loaders run in a function of their own: nothing but the file reaches them.
LOADERS = {
    "torch": (
        "tiny_torch.pt",
        """
def _load():
    roles = {"weight": "kernel", "bias": "bias"}
    for key, tensor in torch.load("tiny_torch.pt").items():
        layer, role = key.split(".")
        value = tensor.numpy().T if role == "weight" else tensor.numpy()
        print("loaded", f"{layer}.{roles[role]}", fmt(value))
""",
    ),
    "tfgraph": (
        "tiny_tfgraph.ckpt.index",
        """
def _load():
    reader = tf.train.load_checkpoint("tiny_tfgraph.ckpt")
    for key in sorted(reader.get_variable_to_shape_map()):
        print("loaded", key.replace("/", "."), fmt(reader.get_tensor(key)))
""",
    ),
    "keras": (
        "tiny_keras_tensorflow.keras",
        """
def _load():
    loaded = keras.models.load_model("tiny_keras_tensorflow.keras")
    for each in loaded.layers:
        for weight in each.weights:
            print("loaded", f"{each.name}.{weight.name}", fmt(weight.numpy()))
    inputs = np.array([[0.5, -1], [2, 0.25]], dtype=np.float32)
    print("loaded predictions", fmt(loaded.predict(inputs, verbose=0)))
""",
    ),
    "numpy": (
        "tiny_numpy.npz",
        """
def _load():
    with np.load("tiny_numpy.npz") as arrays:
        for key in arrays.files:
            print("loaded", key, fmt(arrays[key]))
""",
    ),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, Path]]:
    """Each target that runs here: its stdout, and the folder it ran in."""
    targets = [t for t in LOADERS if not missing_extras(t)]
    if not targets:
        pytest.skip("no framework installed")
    result = specc.build(Source("tiny.spec", SPEC), targets)
    folder = tmp_path_factory.mktemp("save")
    scripts = {t: result.scripts[t] + LOADERS[t][1] + "\n\n_load()\n" for t in targets}
    paths = write_scripts(scripts, folder, "tiny", result.spec, folder)
    done = run_all([(t, Job(paths[t], {})) for t in targets], warm=True)
    for target, execution in done.items():
        assert execution.returncode == 0, f"{target}:\n{execution.stderr}"
    return {t: (done[t].stdout, folder) for t in targets}


@pytest.mark.parametrize("target", LOADERS)
def test_saved_model_loads_back_to_the_trained_weights(
    runs: dict[str, tuple[str, Path]], target: str
) -> None:
    if target not in runs:
        pytest.skip(f"{target} is not installed")
    stdout, folder = runs[target]
    name, _ = LOADERS[target]
    assert (folder / name).is_file(), f"{target} wrote no {name}"
    printed = name.removesuffix(".index")  # a checkpoint is named by its prefix
    assert f"saved {printed}" in stdout.splitlines()
    trained = parse_output(stdout)
    loaded = {
        key: np.array([float(v) for v in values.split()])
        for line in stdout.splitlines()
        if line.startswith("loaded ")
        for key, _, values in [line.removeprefix("loaded ").partition(" ")]
    }
    predictions = loaded.pop("predictions", None)
    assert set(loaded) == set(trained.params), "the file holds other tensors than the model's"
    for key, values in loaded.items():
        # The trained values to the last bit, not the initial ones: saved after training.
        np.testing.assert_array_equal(values, trained.params[key], err_msg=key)
    if predictions is not None:  # Keras: the whole model, rebuilt from the file alone
        expected = np.concatenate([p for _, p in trained.predictions])
        np.testing.assert_allclose(predictions, expected, rtol=1e-6)
