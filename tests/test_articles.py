"""The seed articles' published numbers, reproduced by the examples that express them."""

from __future__ import annotations

import re

import numpy as np
import pytest
from support import RUNS

# Seed 003's output, as the article prints it (TensorFlow, np.random.seed(100), w0 = 0.20236146).
ARTICLE_003 = """\
损失值, 权重, 偏移量分别为 10.0000, [0.20236146], [0.]
损失值, 权重, 偏移量分别为 0.1559, [1.7073209], [2.5402448]
损失值, 权重, 偏移量分别为 0.0818, [2.074751], [2.4366689]
损失值, 权重, 偏移量分别为 0.0440, [2.3316913], [2.341815]
损失值, 权重, 偏移量分别为 0.0244, [2.516549], [2.2733293]
损失值, 权重, 偏移量分别为 0.0142, [2.649602], [2.224032]
损失值, 权重, 偏移量分别为 0.0090, [2.7453692], [2.188551]
损失值, 权重, 偏移量分别为 0.0063, [2.8142998], [2.163012]
损失值, 权重, 偏移量分别为 0.0049, [2.863912], [2.1446302]
损失值, 权重, 偏移量分别为 0.0041, [2.8996227], [2.1313996]
""".splitlines()


@pytest.mark.parametrize("target", ["tfgraph", "keras", "keras[jax]"])
def test_quadratic_gd_prints_the_article_log_exactly(target: str, executions: dict) -> None:
    run = executions[("examples/quadratic_gd", target)]
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[:10] == ARTICLE_003


@pytest.mark.parametrize("target", ["torch", "keras[torch]"])
def test_quadratic_gd_on_torch_is_within_one_float32_step_of_the_article(
    target: str, executions: dict
) -> None:
    """torch (and Keras on it) reduces the mean in another order: one value lands one ulp away."""
    run = executions[("examples/quadratic_gd", target)]
    lines = run.stdout.splitlines()[:10]
    differing = [(a, b) for a, b in zip(ARTICLE_003, lines, strict=True) if a != b]
    assert differing == [(ARTICLE_003[1], ARTICLE_003[1].replace("1.7073209", "1.707321"))]


@pytest.mark.parametrize("case", ["examples/linear_regression", "fixed_point_far_start"])
@pytest.mark.parametrize("target", RUNS)
def test_summed_loss_reaches_the_published_float32_fixed_point(
    case: str, target: str, executions: dict
) -> None:
    """Seed 002 prints 18.999998092651367 for x = 10 and a last loss of 5.151434834260726e-13.

    Keras on JAX predicts the same, from the neighbouring float32 fixed point (XLA adds the
    squared errors in another order): its last loss is 1.6200374375330284e-12, held over the
    last logged epochs, so training has stopped there as it has in the article.
    """
    run = executions[(case, target)]
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    last = "1.6200374375330284e-12" if target == "keras[jax]" else "5.151434834260726e-13"
    logged = [line for line in lines if line.startswith("epoch")]
    assert logged[-1] == f"epoch 500/500  loss {last}"
    assert logged[-2].endswith(f"  loss {last}")  # a fixed point: the loss no longer changes
    assert "predict 10.0 -> 18.999998092651367" in lines


def test_quadratic_gd_in_numpy_prints_the_article_losses_and_its_weights_within_ulps(
    executions: dict,
) -> None:
    """The reference sums the gradient's terms in NumPy's pairwise order, TensorFlow in its
    own: every loss prints as the article's, and each weight is a few float32 steps away."""
    run = executions[("examples/quadratic_gd", "numpy")]
    assert run.returncode == 0, run.stderr
    number = r"[-\d.]+"
    for ours, article in zip(run.stdout.splitlines()[:10], ARTICLE_003, strict=True):
        assert ours.split(",")[:3] == article.split(",")[:3]  # the words and the loss
        a, b = (
            np.array(re.findall(number, line)[-2:], dtype=np.float32) for line in (ours, article)
        )
        assert np.all(np.abs(a - b) <= 2 * np.spacing(np.abs(b))), (ours, article)
