"""`specc compare`: real runs through the command line on a tiny spec, and the runner and
agreement functions it is built from, each on its own."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from support import ROOT, specc

from specc import compare, ir, runner
from specc.agreement import (
    FLOAT32,
    MEMBERS,
    STATISTICAL,
    Run,
    band_gap,
    disagreements,
    first_divergence,
    largest,
    logged_steps,
    loss_curve,
    loss_gaps,
    param_gap,
    parse_output,
)
from specc.compiler import analyze
from specc.diagnostics import Source
from specc.runner import REFERENCE, RUNS, Execution, Job

# A few epochs of a tiny network: each run takes about as long as its framework's import.
TINY = """\
model Tiny
seed 1
data x = randn(16, 2)
data y = randn(16, 1)
layer Dense 2->4 tanh
layer Dense 4->1
optim sgd lr=0.1
train epochs=6
log every=2
predict [[0.5, -1.0], [1.0, 2.0]]
"""
# The scripts read a CSV file that is not there: every run fails when it starts.
MISSING_DATA = """\
data x = csv("missing.csv", "a")
data y = csv("missing.csv", "b")
layer Dense 1->1
train epochs=3
"""
PNG = b"\x89PNG\r\n\x1a\n"


def _spec(text: str) -> ir.Spec:
    return analyze(Source("tiny.spec", text), ())[0]


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.spec"
    path.write_text(TINY, encoding="utf-8")
    return path


# The command, run for real ------------------------------------------------------------


def _rows(stdout: str) -> dict[str, str]:
    """The table's rows by run (a run's name, or `exact (float64)`), and its header."""
    lines = stdout.splitlines()
    rows = {"header": lines[0]}
    for line in lines[1 : lines.index("")]:
        name = "exact" if line.startswith(compare.EXACT_LABEL) else line.split()[0]
        rows[name] = line
    return rows


def test_runs_held_to_the_band_give_a_table_a_plot_and_exit_0(tiny: Path, tmp_path: Path) -> None:
    plot = tmp_path / "tiny.png"
    result = specc("compare", str(tiny), "--targets", "numpy,torch", "--plot", str(plot))
    assert result.returncode == 0, result.stdout + result.stderr
    rows = _rows(result.stdout)
    assert rows["header"].split() == [
        "run", "final", "loss", "predictions", "distance", "band", "at", "seconds", "verdict"
    ]  # fmt: skip
    assert rows.keys() == {"header", "exact", "numpy", "torch"}
    assert rows["exact"].startswith("exact (float64)") and rows["exact"].endswith("reference")
    for run in ("numpy", "torch"):
        cells = rows[run].split()
        assert cells[-1] == "agrees", rows[run]
        distance, band = float(cells[4]), float(cells[5])
        assert distance <= band  # within the band at its furthest value
        # where it is furthest: a trained tensor, a logged loss or a prediction (which one
        # moves with the kernels a machine picks; the verdict does not)
        assert any(at in rows[run] for at in (" after training ", " at epoch ", " prediction "))
    # The final loss is the trained model's: the exact run's, to float32's digits.
    trained = float(rows["exact"].split()[2])
    assert float(rows["torch"].split()[1]) == pytest.approx(trained, rel=1e-6)
    assert (
        "Distances are to the exact answer (the NumPy reference computed in float64 on the "
        "same float32 experiment); the band at each value is 10 times the spread of 8 float32 "
        "runs whose roundings differ (at least one float32 ulp)." in result.stdout
    )
    assert "Exit 0: 2 runs agree with the exact answer within the band." in result.stdout
    assert "Tolerance" not in result.stdout
    # progress on stderr, one plain line per event when stderr is not a terminal, the band's too
    for run in ("torch", "exact", "ensemble 1", "ensemble 5"):
        assert f"{run}: running" in result.stderr and f"{run}: done in" in result.stderr
    assert "Traceback" not in result.stderr
    data = plot.read_bytes()
    assert data.startswith(PNG) and len(data) > 20_000


def test_json_holds_the_same_facts(tiny: Path) -> None:
    result = specc("compare", str(tiny), "--targets", "numpy,torch", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)  # nothing but the document on stdout
    assert document["reference"] == "exact" and document["exit_status"] == 0
    assert "tolerance" not in document
    band = document["band"]
    assert (band["members"], band["multiple"], band["wider"]["runs"]) == (8, 10, {})
    assert band["description"].startswith("Distances are to the exact answer")
    runs = {run["name"]: run for run in document["runs"]}
    assert list(runs) == ["exact", "numpy", "torch"]
    exact, torch = runs["exact"], runs["torch"]
    assert (exact["label"], exact["status"], exact["distance"]) == (
        "exact (float64)", "reference", None
    )  # fmt: skip
    assert torch["target"] == "torch" and torch["returncode"] == 0 and torch["seconds"] > 0
    assert torch["status"] == "agrees" and torch["leaves_at"] is None
    assert list(torch["losses"]) == ["epoch 2/6", "epoch 4/6", "epoch 6/6"]
    # The trained model's loss, after the last update: not the last logged one, before it.
    assert torch["final_loss"] < torch["losses"]["epoch 6/6"]
    assert torch["final_loss"] == pytest.approx(exact["final_loss"], rel=1e-6)
    assert torch["accuracy"] is None  # the spec logs no accuracy
    assert len(torch["predictions"]) == 2
    assert 0 <= torch["distance"] <= torch["band"] and torch["multiple"] == 10
    assert torch["ratio"] == pytest.approx(torch["distance"] / (torch["band"] / 10))
    assert torch["at"].startswith(("fc", "loss", "the trained model", "prediction"))
    assert list(torch["steps"]) == ["epoch 2/6", "epoch 4/6", "epoch 6/6", "after training"]
    assert max(torch["steps"].values()) == pytest.approx(torch["ratio"])
    for key in ("loss_gaps", "largest_loss_gap", "largest_weight_gap", "tolerance", "known_gap"):
        assert key not in torch


def test_a_given_script_that_trains_otherwise_differs_where_it_starts_to(
    tiny: Path, tmp_path: Path
) -> None:
    """`--script torch=FILE` runs the user's file in specc's place: here the generated
    script with another learning rate, which leaves the band at the first logged epoch."""
    built = specc("build", str(tiny), "--target", "torch")
    assert built.returncode == 0, built.stderr
    assert built.stdout.count("lr=0.1)") == 1
    mine = tmp_path / "my_torch.py"
    mine.write_text(built.stdout.replace("lr=0.1)", "lr=0.11)"), encoding="utf-8")
    result = specc("compare", str(tiny), "--targets", "torch", "--script", f"torch={mine}")
    assert result.returncode == 1, result.stdout + result.stderr
    rows = _rows(result.stdout)
    assert rows["torch"].startswith("torch (my_torch.py) ")
    assert rows["torch"].endswith("DIFFERS at epoch 2/6")
    assert "torch (my_torch.py) leaves the band at epoch 2/6:" in result.stdout
    assert "    loss at epoch 2/6 is " in result.stdout or "at epoch 2/6" in result.stdout
    assert "Exit 1: torch (my_torch.py) leaves the band first at epoch 2/6." in result.stdout


def test_a_given_numpy_script_is_held_to_the_band_of_specc_s_reference(
    tiny: Path, tmp_path: Path
) -> None:
    """The exact answer and the band come from specc's NumPy reference, not the user's."""
    built = specc("build", str(tiny), "--target", "numpy")
    assert built.stdout.count("learning_rate = 0.1\n") == 1
    mine = tmp_path / "mine.py"
    mine.write_text(built.stdout.replace("learning_rate = 0.1\n", "learning_rate = 0.2\n"))
    result = specc("compare", str(tiny), "--targets", "numpy", "--script", f"numpy={mine}")
    assert result.returncode == 1, result.stdout + result.stderr
    rows = _rows(result.stdout)
    assert rows["exact"].endswith("reference")
    assert rows["numpy"].startswith("numpy (mine.py) ")
    assert rows["numpy"].endswith("DIFFERS at epoch 2/6")


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("pytorch=x.py", "'pytorch' is not a target (choose from torch, tfgraph, keras, numpy)"),
        ("keras[jax]=x.py", "a Keras script runs on every Keras backend: keras=FILE"),
        ("torch=missing.py", "missing.py: no such file"),
        ("torch", "give it as TARGET=FILE"),
    ],
)
def test_a_script_option_that_cannot_run_is_misuse(tiny: Path, option: str, message: str) -> None:
    (tiny.parent / "x.py").write_text("print(1)\n", encoding="utf-8")
    result = specc("compare", str(tiny), "--script", option, cwd=tiny.parent)
    assert result.returncode == 2
    assert result.stderr == f"specc: error: --script {option}: {message}\n" or (
        result.stderr.startswith(f"specc: error: --script {option}: ")
        and message in result.stderr
        and result.stderr.count("\n") == 1
    ), result.stderr
    assert result.stdout == ""


def test_help_names_the_script_option() -> None:
    result = specc("compare", "--help")
    assert result.returncode == 0
    assert "--script TARGET=FILE" in result.stdout and "Repeatable" in result.stdout


def test_a_script_for_a_target_that_does_not_run_is_misuse(tiny: Path) -> None:
    (tiny.parent / "x.py").write_text("print(1)\n", encoding="utf-8")
    result = specc("compare", "tiny.spec", "--targets", "numpy", "--script", "torch=x.py",
                   cwd=tiny.parent)  # fmt: skip
    assert result.returncode == 2
    assert result.stderr == "specc: error: --script torch=x.py: --targets runs no torch script\n"


def test_a_crashing_script_shows_its_last_lines_and_exit_1(tmp_path: Path) -> None:
    spec = tmp_path / "crash.spec"
    spec.write_text(MISSING_DATA, encoding="utf-8")
    result = specc("compare", str(spec), "--targets", "numpy")
    assert result.returncode == 1
    assert "failed: exit status 1" in result.stdout
    assert "numpy failed (exit status 1); its last lines:" in result.stdout
    assert "exact (float64) failed (exit status 1); its last lines:" in result.stdout
    assert "    error: cannot read the data file 'missing.csv'" in result.stdout
    assert "Exit 1: " in result.stdout
    assert "Traceback" not in result.stderr


def test_a_run_whose_framework_is_missing_is_skipped_with_its_extra(
    tiny: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(runner.PRETEND_MISSING, "jax")
    result = specc("compare", str(tiny), "--targets", "keras[jax]")
    assert result.returncode == 0, result.stdout + result.stderr
    row = next(line for line in result.stdout.splitlines() if line.startswith("keras[jax]"))
    assert row.endswith("skipped: install specc[jax]")
    assert "keras[jax]: skipped: install specc[jax]" in result.stderr
    assert "keras[jax]: running" not in result.stderr


def test_unknown_targets_are_misuse_naming_the_valid_ones(tiny: Path) -> None:
    result = specc("compare", str(tiny), "--targets", "torch,pytorch")
    assert result.returncode == 2
    assert "unknown target 'pytorch'" in result.stderr
    assert ", ".join(RUNS) in result.stderr


def test_plot_without_matplotlib_stops_before_running(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(runner.PRETEND_MISSING, "matplotlib")
    result = specc("compare", str(tiny), "--plot", str(tmp_path / "p.png"))
    assert result.returncode == 2
    assert result.stderr == "specc: error: --plot needs matplotlib: pip install specc[plot]\n"
    assert result.stdout == ""


def test_a_bad_spec_is_reported_as_build_reports_it(tmp_path: Path) -> None:
    spec = tmp_path / "bad.spec"
    spec.write_text("layer Dense 1->32 relu\nlayer Dense 16->1\n", encoding="utf-8")
    compared = specc("compare", "bad.spec", cwd=tmp_path)
    built = specc("build", "bad.spec", "--target", "torch", cwd=tmp_path)
    assert compared.returncode == built.returncode == 1
    assert compared.stderr == built.stderr and "error: this layer takes 16 inputs" in built.stderr
    assert compared.stdout == ""


# Evaluating runs: the band, and disagreements fabricated honestly from printed reports -----

REPORT = """\
epoch 2/6  loss 1.5
epoch 4/6  loss 1.25
epoch 6/6  loss 1.0
trained  loss 0.875
predict 0.5 -1.0 -> 0.25
predict 1.0 2.0 -> 0.75
fc1.kernel 0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8
fc1.bias 0.0 0.0 0.0 0.0
fc2.kernel 1.0 2.0 3.0 4.0
fc2.bias 0.5
"""
_VALUE = re.compile(r"(?<![\w.])-?\d+\.\d+")


def _perturbed(report: str, relative: float) -> str:
    """A report whose every printed value (not a prediction's inputs) is off by `relative`:
    a member of the ensemble, whose roundings differed."""
    lines = []
    for line in report.splitlines():
        head, arrow, tail = line.rpartition(" -> ") if " -> " in line else ("", "", line)
        tail = _VALUE.sub(lambda m: repr(float(m[0]) * (1 + relative)), tail)
        lines.append(head + arrow + tail)
    return "\n".join(lines) + "\n"


def _ensemble(report: str) -> dict[str, Execution]:
    """The band's runs for an exact run that printed `report`: members 1-8, each off from
    it by a few parts in 1e7, two drivers of four."""
    members = {m: f"### member {m}\n" + _perturbed(report, (m - 4.5) * 4e-8) for m in range(1, 9)}
    return {
        runner.EXACT: _execution(report),
        "ensemble 1": _execution("".join(members[m] for m in range(1, 5))),
        "ensemble 5": _execution("".join(members[m] for m in range(5, 9))),
    }


def _band_plan(*runs: str, given: dict[str, Path] | None = None) -> compare.Plan:
    return compare.Plan(runner.EXACT, list(runs), {}, band=compare.band_runs(), given=given or {})


def _execution(stdout: str, returncode: int = 0, stderr: str = "") -> Execution:
    return Execution(returncode, stdout, stderr, 1.5)


def test_the_band_runs_are_those_the_runner_writes(tmp_path: Path) -> None:
    script = tmp_path / "m_numpy.py"
    script.write_text("import numpy as np\n", encoding="utf-8")
    assert list(runner.band_scripts(script, MEMBERS)) == compare.band_runs()
    assert compare.band_runs() == ["exact", "ensemble 1", "ensemble 5"]


def test_a_run_that_leaves_the_band_is_named_with_its_first_step() -> None:
    spec = _spec(TINY)
    plan = _band_plan("numpy", "tfgraph", "keras")
    diverging = REPORT.replace("loss 1.25", "loss 1.2501").replace("loss 1.0", "loss 1.01")
    executions = _ensemble(REPORT) | {
        "numpy": _execution(_perturbed(REPORT, 1e-7)),
        "tfgraph": _execution(REPORT),
        "keras": _execution(diverging),
    }
    comparison = compare.evaluate(spec, plan, executions)
    outcomes = {o.name: o for o in comparison.outcomes}
    assert list(outcomes) == ["exact", "numpy", "tfgraph", "keras"]
    assert outcomes["exact"].status == "reference"
    assert outcomes["exact"].final_loss == 0.875  # the trained model's, not the last logged
    assert outcomes["numpy"].status == outcomes["tfgraph"].status == "agrees"
    assert outcomes["tfgraph"].distance == 0 and outcomes["tfgraph"].ratio == 0
    keras = outcomes["keras"]
    assert keras.status == "differs" and keras.leaves_at == "epoch 4/6"
    assert keras.at == "loss at epoch 6/6" and keras.distance == pytest.approx(0.01)
    assert keras.steps["epoch 2/6"] == 0 and keras.steps["epoch 4/6"] > 10
    assert list(keras.steps) == ["epoch 2/6", "epoch 4/6", "epoch 6/6", "after training"]
    assert comparison.exit_status == 1
    assert comparison.first_divergence == ("keras", "epoch 4/6")
    text = compare.table(comparison)
    rows = _rows(text)
    assert rows["keras"].endswith("DIFFERS at epoch 4/6")
    assert rows["tfgraph"].endswith("agrees") and rows["exact"].endswith("reference")
    assert "keras leaves the band at epoch 4/6:" in text
    assert "    loss at epoch 6/6 is 1.00e-02 from the exact answer" in text
    assert "Exit 1: keras leaves the band first at epoch 4/6." in text
    assert " from after" not in text and " at after" not in text
    document = compare.to_json(comparison)
    assert document["first_divergence"] == {"run": "keras", "at": "epoch 4/6"}
    runs = {run["name"]: run for run in document["runs"]}
    assert runs["keras"]["leaves_at"] == "epoch 4/6" and runs["keras"]["status"] == "differs"
    json.dumps(document, allow_nan=False)  # plain JSON, even for a run that blew up


def test_weights_that_leave_the_band_after_logged_steps_that_agree_differ_after_training() -> None:
    plan = _band_plan("torch")
    executions = _ensemble(REPORT) | {
        "torch": _execution(REPORT.replace("fc2.kernel 1.0 2.0 3.0", "fc2.kernel 1.0 2.0 3.1"))
    }
    comparison = compare.evaluate(_spec(TINY), plan, executions)
    torch = comparison.outcomes[1]
    assert (torch.status, torch.leaves_at) == ("differs", "after training")
    assert torch.at == "fc2.kernel after training"
    text = compare.table(comparison)
    assert _rows(text)["torch"].endswith("DIFFERS after training")
    assert "torch leaves the band after training:" in text
    assert "Exit 1: torch leaves the band first after training." in text
    assert "from after" not in text and "at after" not in text


def test_the_trained_model_s_loss_alone_leaves_the_band_after_training() -> None:
    plan = _band_plan("torch")
    executions = _ensemble(REPORT) | {
        "torch": _execution(REPORT.replace("trained  loss 0.875", "trained  loss 0.9"))
    }
    comparison = compare.evaluate(_spec(TINY), plan, executions)
    torch = comparison.outcomes[1]
    assert (torch.leaves_at, torch.at) == ("after training", "the trained model's loss")
    assert torch.final_loss == 0.9
    assert _rows(compare.table(comparison))["torch"].endswith("DIFFERS after training")


def test_a_given_script_s_run_is_named_by_its_file(tmp_path: Path) -> None:
    plan = _band_plan("keras", "keras[jax]", given={"keras": tmp_path / "mine.py"})
    executions = _ensemble(REPORT) | {"keras": _execution(REPORT), "keras[jax]": _execution(REPORT)}
    comparison = compare.evaluate(_spec(TINY), plan, executions)
    rows = _rows(compare.table(comparison))
    assert rows["keras"].startswith("keras (mine.py) ")
    assert rows["keras[jax]"].startswith("keras[jax] (mine.py) ")
    runs = compare.to_json(comparison)["runs"]
    assert runs[1]["script"] == str(tmp_path / "mine.py") and runs[1]["label"] == "keras (mine.py)"


def test_adam_in_keras_and_tf1_is_held_to_the_wider_band() -> None:
    spec = _spec(TINY.replace("optim sgd lr=0.1", "optim adam lr=0.01"))
    plan = _band_plan("torch", "keras", "tfgraph")
    executions = _ensemble(REPORT) | {
        name: _execution(REPORT) for name in ("torch", "keras", "tfgraph")
    }
    comparison = compare.evaluate(spec, plan, executions)
    outcomes = {o.name: o for o in comparison.outcomes}
    assert outcomes["torch"].multiple == 10 and outcomes["keras"].multiple == 40
    text = compare.table(comparison)
    assert _rows(text)["keras"].endswith("agrees (wider band)")
    assert _rows(text)["torch"].endswith("agrees")
    keras, tfgraph = band_gap("keras", spec), band_gap("tfgraph", spec)
    assert keras and tfgraph and "bias correction" in keras
    assert f"Wider band: keras is held to 40 spreads, since {keras} (see the README)." in text
    assert "Exit 0: 3 runs agree with the exact answer within the band (or the wider band)." in text
    document = compare.to_json(comparison)
    assert document["band"]["wider"] == {
        "multiple": 40,
        "runs": {"keras": keras, "tfgraph": tfgraph},
    }


def test_torch_s_binary_cross_entropy_is_held_to_its_loss_floor() -> None:
    spec = _spec(
        "data x = randn(4, 2)\ndata y = [[0], [1], [1], [0]]\nlayer Dense 2->1\nloss bce\n"
        "train epochs=2\nlog every=1\n"
    )
    report = "epoch 1/2  loss 0.75\nepoch 2/2  loss 0.01\ntrained  loss 0.005\nfc1.kernel 0.5 1.5\n"
    off = _execution(report.replace("loss 0.01\n", "loss 0.0100001\n"))  # 1e-7: 100 ulps
    plan = _band_plan("torch", "tfgraph")
    comparison = compare.evaluate(spec, plan, _ensemble(report) | {"torch": off, "tfgraph": off})
    torch, tfgraph = comparison.outcomes[1:]
    assert torch.loss_floor == 2.0**-24 and tfgraph.loss_floor == 0
    assert torch.status == "agrees", torch.problems  # within ten floors of 6e-8
    assert (tfgraph.status, tfgraph.leaves_at) == ("differs", "epoch 2/2")
    text = compare.table(comparison)
    assert "Loss floor: torch's losses are held to a spread of at least 6.0e-08" in text
    assert compare.to_json(comparison)["runs"][1]["loss_floor"] == 2.0**-24


def test_accuracy_is_the_trained_model_s_beside_the_loss() -> None:
    spec = _spec(
        "data x = randn(8, 2)\ndata y = [0, 1, 2, 1, 0, 2, 2, 1]\nlayer Dense 2->3\n"
        "loss crossentropy\ntrain epochs=2\nlog every=1 show=loss,accuracy\n"
        "predict [[0.5, 1.0]]\n"
    )
    report = (
        "epoch 1/2  loss 1.5  accuracy 0.25\nepoch 2/2  loss 1.25  accuracy 0.5\n"
        "trained  loss 1.0  accuracy 0.625\n"
        "predict 0.5 1.0 -> class 2  probabilities 0.25 0.25 0.5\n"
        "fc1.kernel 0.1 0.2 0.3 0.4 0.5 0.6\nfc1.bias 0.0 0.0 0.0\n"
    )
    plan = _band_plan("torch")
    comparison = compare.evaluate(spec, plan, _ensemble(report) | {"torch": _execution(report)})
    torch = comparison.outcomes[1]
    assert (torch.final_loss, torch.accuracy, torch.status) == (1.0, 0.625, "agrees")
    rows = _rows(compare.table(comparison))
    assert rows["header"].split()[:5] == ["run", "final", "loss", "accuracy", "predictions"]
    assert rows["torch"].split()[1:4] == ["1", "0.625", "class"]


def test_a_spec_s_own_log_format_leaves_the_band_at_the_step_it_logs() -> None:
    spec = _spec(
        "param w[1] = 0.5\nforward y = w * x\ndata x = randn(4, 1)\ndata y = randn(4, 1)\n"
        'train steps=4\nlog every=2 show=w format="w {w} and loss: {loss:.4f}!"\n'
    )
    report = "w [0.5] and loss: 1.2500!\nw [0.6] and loss: 0.5000!\ntrained  loss 0.25\nw 0.7\n"
    plan = _band_plan("torch")
    run = report.replace("0.5000", "0.6000")
    comparison = compare.evaluate(spec, plan, _ensemble(report) | {"torch": _execution(run)})
    torch = comparison.outcomes[1]
    assert (torch.status, torch.leaves_at) == ("differs", "step 2")
    assert torch.steps.keys() >= {"step 0", "step 2", "after training"}
    assert _rows(compare.table(comparison))["torch"].endswith("DIFFERS at step 2")


def test_a_failed_band_run_leaves_the_others_not_compared() -> None:
    plan = _band_plan("torch")
    executions = _ensemble(REPORT) | {"torch": _execution(REPORT)}
    executions["ensemble 5"] = _execution("", 1, "Traceback ...\nMemoryError\n")
    comparison = compare.evaluate(_spec(TINY), plan, executions)
    statuses = [(o.shown, o.status) for o in comparison.outcomes]
    assert statuses == [
        ("exact (float64)", "reference"), ("torch", "not compared"), ("ensemble 5", "failed")
    ]  # fmt: skip
    assert comparison.outcomes[1].reason == "the band's runs failed"
    assert comparison.exit_status == 1
    assert "ensemble 5 failed (exit status 1); its last lines:" in compare.table(comparison)


def test_float64_runs_are_held_to_the_reference_within_tolerance() -> None:
    spec = _spec(TINY.replace("seed 1", "seed 1\ndtype float64"))
    assert not compare.banded(spec)
    diverging = REPORT.replace("loss 1.25", "loss 1.2501").replace("loss 1.0", "loss 1.01")
    plan = compare.Plan(REFERENCE, [REFERENCE, "tfgraph", "keras"], {})
    executions = {
        REFERENCE: _execution(REPORT),
        "tfgraph": _execution(REPORT.replace("loss 1.0", "loss 1.0000000000001")),
        "keras": _execution(diverging),
    }
    comparison = compare.evaluate(spec, plan, executions)
    outcomes = {o.name: o for o in comparison.outcomes}
    assert outcomes[REFERENCE].status == "reference" and outcomes[REFERENCE].final_loss == 0.875
    assert outcomes["tfgraph"].status == "agrees"
    assert outcomes["tfgraph"].loss_gap == ("epoch 6/6", pytest.approx(1e-13, rel=1e-2))
    assert outcomes["keras"].status == "differs"
    assert outcomes["keras"].diverges_at == "epoch 4/6"
    assert outcomes["keras"].loss_gap == ("epoch 6/6", pytest.approx(0.01))
    assert comparison.first_divergence == ("keras", "epoch 4/6")
    text = compare.table(comparison)
    assert _rows(text)["header"].split()[4:9] == ["loss", "gap", "at", "weight", "gap"]
    assert "DIFFERS at epoch 4/6" in text
    assert f"keras diverges from {REFERENCE} at epoch 4/6:" in text
    assert f"Exit 1: keras differs from {REFERENCE} first at epoch 4/6." in text
    assert "Tolerance (float64, sgd): loss 1e-12 relative" in text
    document = compare.to_json(comparison)
    assert document["tolerance"]["loss"] == 1e-12 and "band" not in document
    assert document["runs"][2]["diverges_at"] == "epoch 4/6"
    json.dumps(document, allow_nan=False)


def test_float64_weights_that_differ_diverge_after_training() -> None:
    spec = _spec(TINY.replace("seed 1", "seed 1\ndtype float64"))
    plan = compare.Plan(REFERENCE, [REFERENCE, "torch"], {})
    executions = {
        REFERENCE: _execution(REPORT),
        "torch": _execution(REPORT.replace("fc2.kernel 1.0 2.0 3.0", "fc2.kernel 1.0 2.0 3.1")),
    }
    comparison = compare.evaluate(spec, plan, executions)
    outcome = comparison.outcomes[1]
    assert (outcome.status, outcome.diverges_at) == ("differs", "after training")
    assert outcome.weight_gap == ("fc2.kernel[2, 0]", pytest.approx(0.1))
    text = compare.table(comparison)
    assert _rows(text)["torch"].endswith("DIFFERS after training")
    assert f"torch diverges from {REFERENCE} after training:" in text
    assert "from after" not in text and "at after" not in text


def test_a_failed_reference_leaves_the_others_not_compared() -> None:
    spec = _spec(TINY.replace("seed 1", "seed 1\ndtype float64"))
    plan = compare.Plan(REFERENCE, [REFERENCE, "keras"], {"keras[jax]": "install specc[jax]"})
    executions = {
        REFERENCE: _execution("", 1, "Traceback ...\n" + "".join(f"line {i}\n" for i in range(9))),
        "keras": _execution(REPORT),
    }
    comparison = compare.evaluate(spec, plan, executions)
    statuses = [(o.name, o.status) for o in comparison.outcomes]
    assert statuses == [(REFERENCE, "failed"), ("keras", "not compared"), ("keras[jax]", "skipped")]
    assert comparison.outcomes[0].stderr_tail == [f"line {i}" for i in range(4, 9)]
    assert comparison.exit_status == 1


def test_native_weights_are_shown_but_not_held() -> None:
    spec = _spec(TINY.replace("layer Dense 4->1", "layer Dense 4->1 init=native"))
    assert not compare.banded(spec)
    plan = compare.Plan("torch", ["torch", "keras"], {})
    executions = {"torch": _execution(REPORT), "keras": _execution(REPORT.replace("1.0\n", "2\n"))}
    comparison = compare.evaluate(spec, plan, executions)
    assert comparison.outcomes[1].status == "ran" and comparison.outcomes[1].loss_gap[1] == 1.0
    assert comparison.exit_status == 0
    assert "agree only statistically" in compare.table(comparison)


def test_the_plot_draws_the_band_and_the_gaps(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    spec = _spec(TINY.replace("optim sgd lr=0.1", "optim adam lr=0.01"))
    plan = _band_plan("torch", "keras")
    executions = _ensemble(REPORT) | {"torch": _execution(REPORT), "keras": _execution(
        REPORT.replace("fc2.kernel 1.0 2.0 3.0", "fc2.kernel 1.0 2.0 3.1"))}  # fmt: skip
    compare.plot(compare.evaluate(spec, plan, executions), tmp_path / "band.png")
    assert (tmp_path / "band.png").read_bytes().startswith(PNG)
    float64 = _spec(TINY.replace("seed 1", "seed 1\ndtype float64"))
    plan = compare.Plan(REFERENCE, [REFERENCE, "tfgraph"], {})
    executions = {REFERENCE: _execution(REPORT), "tfgraph": _execution(REPORT)}
    compare.plot(compare.evaluate(float64, plan, executions), tmp_path / "gaps.png")
    assert (tmp_path / "gaps.png").read_bytes().startswith(PNG)


# Planning -------------------------------------------------------------------------------


def test_select_reads_a_comma_separated_list() -> None:
    assert compare.select(None) == list(RUNS)
    assert compare.select("keras[jax], torch,torch") == ["keras[jax]", "torch"]
    with pytest.raises(ValueError, match=r"unknown target 'tf' \(choose from torch"):
        compare.select("tf")
    with pytest.raises(ValueError, match="unknown target ''"):
        compare.select("")


def test_a_float32_plan_runs_the_band_and_only_the_runs_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(runner.PRETEND_MISSING, "jax")
    plan = compare.plan(_spec(TINY), ["keras", "keras[jax]", REFERENCE])
    assert plan.reference == runner.EXACT
    assert plan.runs == [REFERENCE, "keras"]  # the float32 reference first, as a run
    assert plan.band == compare.band_runs() and plan.jobs == [*plan.runs, *plan.band]
    assert plan.skipped == {"keras[jax]": "install specc[jax]"}
    plan = compare.plan(_spec(TINY), ["torch"])
    assert plan.runs == ["torch"] and compare.generated_targets(plan) == ["torch", "numpy"]
    given = compare.plan(_spec(TINY), ["torch", REFERENCE], given={REFERENCE: Path("mine.py")})
    assert compare.generated_targets(given) == ["torch", "numpy"]  # the band's reference


def test_a_float64_plan_puts_the_reference_first_and_skips_what_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(runner.PRETEND_MISSING, "jax")
    plan = compare.plan(_spec(TINY.replace("seed 1", "dtype float64")), ["keras", "keras[jax]"])
    assert plan.reference == REFERENCE and plan.band == []
    assert plan.runs == [REFERENCE, "keras"]
    assert plan.skipped == {"keras[jax]": "install specc[jax]"}


def test_without_the_reference_the_first_run_stands_in(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(run: str, spec: ir.Spec | None = None) -> list[str]:
        return ["specc[gone]"] if run == REFERENCE else []

    monkeypatch.setattr(compare, "missing_extras", missing)
    plan = compare.plan(_spec(TINY), ["keras[jax]", "tfgraph"])
    assert plan.reference == "keras[jax]" and plan.runs == ["keras[jax]", "tfgraph"]
    assert plan.band == [], "without NumPy there is no exact answer"
    assert REFERENCE not in plan.skipped, "a reference nobody asked for gets no row"
    assert (
        plan.note == f"{REFERENCE} is skipped (install specc[gone]), so keras[jax] is the reference"
    )


NATIVE = TINY.replace("layer Dense 4->1", "layer Dense 4->1 init=native")


def test_native_weights_are_held_to_the_draws_of_each_framework(tmp_path: Path) -> None:
    """One group of draws per distribution the runs' frameworks draw from (torch's own, and
    the Glorot and zeros of TensorFlow and Keras), each of NATIVE_MEMBERS NumPy runs."""
    spec = _spec(NATIVE)
    plan = compare.plan(spec, ["torch", "keras", "keras[jax]"])
    assert plan.reference == compare.DRAWS and plan.runs == ["torch", "keras", "keras[jax]"]
    members = range(1, runner.NATIVE_MEMBERS + 1)
    assert plan.band == [f"draw torch {m}" for m in members] + [f"draw keras {m}" for m in members]
    assert compare.generated_targets(plan) == ["torch", "keras"]  # no NumPy target
    written = runner.native_scripts(spec, ["torch", "keras"], tmp_path, "m", len(members))
    assert list(written) == plan.band


def test_dropout_holds_every_run_numpy_s_own_included_to_other_masks(tmp_path: Path) -> None:
    """With Dropout each framework draws its own masks, and so does the NumPy reference: one
    group of draws for every run, from NumPy runs whose masks come from other seeds."""
    spec = _spec(DROPOUT)
    plan = compare.plan(spec, ["torch", "keras"])
    assert plan.reference == compare.DRAWS and plan.runs == [REFERENCE, "torch", "keras"]
    members = range(1, runner.NATIVE_MEMBERS + 1)
    assert plan.band == [f"draw numpy+torch+keras {m}" for m in members]
    written = runner.native_scripts(spec, ["numpy", "torch", "keras"], tmp_path, "m", 2)
    first, second = (path.read_text(encoding="utf-8") for path in written.values())
    assert f"masks = np.random.default_rng({spec.seed + 1})" in first
    assert f"masks = np.random.default_rng({spec.seed + 2})" in second
    # Nothing else differs: the data, the initial weights and the batches are the spec's.
    seeds = (f"default_rng({spec.seed + 1})", f"default_rng({spec.seed + 2})")
    assert first.replace(seeds[0], "") == second.replace(seeds[1], "")


DROPOUT = TINY.replace(
    "layer Dense 4->1", "layer Dense 4->4 relu\nlayer Dropout 0.5\nlayer Dense 1"
)


def test_native_weights_fall_back_to_the_first_run_without_numpy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def missing(run: str, spec: ir.Spec | None = None) -> list[str]:
        return ["specc[numpy]"] if run == REFERENCE else []

    monkeypatch.setattr(compare, "missing_extras", missing)
    plan = compare.plan(_spec(NATIVE), ["torch", "keras"])
    assert plan.band == [] and plan.reference == "torch"


def _draws(report: str, label: str) -> dict[str, Execution]:
    """A group's draws: each run's report a little off from `report`, as draws scatter."""
    return {
        f"draw {label} {m}": _execution(_perturbed(report, (m - 8.5) * 1e-2))
        for m in range(1, runner.NATIVE_MEMBERS + 1)
    }


def test_a_native_run_within_its_draws_agrees_and_one_beyond_them_differs() -> None:
    spec = _spec(NATIVE)
    plan = compare.plan(spec, ["torch", "keras"])
    far = REPORT.replace("loss 1.25", "loss 2.5").replace("-> 0.75", "-> 1.75")
    executions = _draws(REPORT, "torch") | _draws(REPORT, "keras")
    executions |= {"torch": _execution(REPORT), "keras": _execution(far)}
    comparison = compare.evaluate(spec, plan, executions)
    torch, keras = comparison.outcomes
    assert comparison.drawn and comparison.banded and not comparison.statistical
    assert torch.status == "agrees" and torch.multiple == STATISTICAL
    assert 0 <= torch.distance <= torch.band
    assert keras.status == "differs" and keras.leaves_at == "epoch 4/6"
    assert comparison.exit_status == 1
    text = compare.table(comparison)
    assert "distances are to the mean of 16 NumPy runs" in text
    assert "keras leaves the band at epoch 4/6:" in text
    document = compare.to_json(comparison)
    assert document["reference"] == "draws" and document["band"]["multiple"] == STATISTICAL
    comparison = compare.evaluate(spec, plan, executions | {"keras": _execution(REPORT)})
    assert comparison.exit_status == 0
    assert "Exit 0: 2 runs agree, each with its framework's draws, within the band." in (
        compare.table(comparison)
    )


# The runner -----------------------------------------------------------------------------


def test_availability_is_asked_without_importing(monkeypatch: pytest.MonkeyPatch) -> None:
    assert runner.installed("json")
    assert not runner.installed("specc_no_such_framework")
    monkeypatch.setenv(runner.PRETEND_MISSING, "json, csv")
    assert not runner.installed("json") and not runner.installed("csv")
    assert "specc_no_such_framework" not in sys.modules


def test_each_run_requires_its_framework_and_keras_its_backend() -> None:
    assert runner.requirements("keras[jax]")["jax"] == "jax"
    assert runner.requirements("keras[torch]")["torch"] == "torch"
    assert runner.requirements("keras")["tensorflow"] == "tensorflow"  # Keras's default
    assert runner.requirements("tfgraph")["tensorflow"] == "tensorflow"
    iris = _spec(
        'data x, y = dataset("iris")\nlayer Dense 4->3\nloss crossentropy\ntrain epochs=2\n'
    )
    assert runner.requirements("torch", iris)["sklearn"] == "data"


def test_missing_extras_name_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(runner.PRETEND_MISSING, "keras,jax")
    assert runner.missing_extras("keras[jax]") == ["specc[keras]", "specc[jax]"]
    assert runner.missing_extras("tfgraph") == []


def test_a_build_is_written_with_the_data_files_it_reads(tmp_path: Path) -> None:
    origin = tmp_path / "project"
    (origin / "data").mkdir(parents=True)
    (origin / "data" / "a.csv").write_text("a,b\n1,2\n")
    (tmp_path / "outside.csv").write_text("a,b\n1,2\n")
    text = (
        'data x = csv("data/a.csv", "a")\ndata y = csv("../outside.csv", "b")\n'
        "layer Dense 1->1\n"
    )
    spec = _spec(text)
    paths = runner.write_scripts({"torch": "print(1)\n"}, tmp_path / "out", "m", spec, origin)
    # One level down, as `../outside.csv` climbs one: its copy lands inside the folder too.
    assert paths == {"torch": tmp_path / "out" / "run" / "m_torch.py"}
    assert (tmp_path / "out" / "run" / "data" / "a.csv").read_text() == "a,b\n1,2\n"
    assert (tmp_path / "out" / "outside.csv").read_text() == "a,b\n1,2\n"
    assert sorted(p.name for p in (tmp_path / "out" / "run").iterdir()) == ["data", "m_torch.py"]


def test_compare_runs_a_spec_whose_data_is_in_a_sibling_folder(tmp_path: Path) -> None:
    """`../data/f.csv`, relative to the spec's folder, where its built scripts run."""
    (tmp_path / "data").mkdir()
    rows = "\n".join(f"{i / 10},{2 * i / 10 + 1}" for i in range(10))
    (tmp_path / "data" / "f.csv").write_text(f"x,y\n{rows}\n")
    (tmp_path / "specs").mkdir()
    spec = tmp_path / "specs" / "fit.spec"
    spec.write_text(
        'data x = csv("../data/f.csv", "x")\ndata y = csv("../data/f.csv", "y")\n'
        "layer Dense 1->1\noptim sgd lr=0.1\ntrain epochs=3\n"
    )
    result = specc("compare", "fit.spec", "--targets", "numpy", cwd=spec.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _rows(result.stdout)["numpy"].endswith("agrees")


def test_run_all_runs_fresh_interpreters_and_reports_each_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TF_SOMETHING", "1")
    script = tmp_path / "show.py"
    script.write_text(
        "import os, sys\n"
        "print(os.getcwd() == os.path.dirname(os.path.abspath(__file__)))\n"
        "print(sorted(k for k in os.environ if k.startswith(('TF_', 'KERAS_'))))\n"
        "sys.exit(int(os.environ.get('EXIT', '0')))\n"
    )
    events: list[tuple[str, str]] = []
    jobs = [
        ("a", Job(script, {"KERAS_BACKEND": "jax"})),
        ("b", Job(script, {"EXIT": "3"})),
    ]
    results = runner.run_all(jobs, lambda key, event, _: events.append((key, event)))
    # The caller's TF_SOMETHING is gone; the runner's own thread settings are there.
    threads = sorted(k for k in runner.thread_limits(min(2, os.cpu_count() or 1)) if "TF_" in k)
    assert list(results) == ["a", "b"]
    a, b = sorted(["KERAS_BACKEND", *threads]), threads
    assert results["a"].stdout == f"True\n{a}\n" and results["a"].returncode == 0
    assert results["b"].stdout == f"True\n{b}\n" and results["b"].returncode == 3
    for key in "ab":
        assert events.index((key, "started")) < events.index((key, "finished"))


def test_runs_at_once_share_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each of several runs at once gets its share of the cores: frameworks' thread pools
    spin when they are more than the cores. A setting the caller made is theirs."""
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("XLA_FLAGS", raising=False)
    assert runner.thread_limits(1) == {}
    assert runner.thread_limits(4) == dict.fromkeys(
        ["OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"], "2"
    )
    assert runner.thread_limits(8)["XLA_FLAGS"].startswith("--xla_cpu_multi_thread_eigen=false")
    assert runner.thread_limits(16)["OMP_NUM_THREADS"] == "1"
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert "OMP_NUM_THREADS" not in runner.thread_limits(8)
    assert runner.thread_limits(8)["TF_NUM_INTRAOP_THREADS"] == "1"


def test_keras_runs_start_first() -> None:
    order = runner.slowest_first(RUNS)
    keras = [run for run in RUNS if RUNS[run][0] == "keras"]
    assert order[: len(keras)] == keras


# The progress display -------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_one_plain_line_per_event_off_a_terminal() -> None:
    stream = io.StringIO()
    progress = compare.Progress(["torch"], {"keras[jax]": "install specc[jax]"}, stream)
    progress.event("torch", "started", None)
    progress.event("torch", "finished", _execution(REPORT, 1))
    progress.close()
    assert stream.getvalue().splitlines() == [
        "keras[jax]: skipped: install specc[jax]",
        "torch: running",
        "torch: failed in 1.5 s",
    ]


def test_progress_redraws_its_lines_in_place_on_a_terminal() -> None:
    stream = _Terminal()
    progress = compare.Progress(["torch", "keras"], {}, stream)
    progress.event("torch", "started", None)
    progress.event("torch", "finished", _execution(REPORT))
    progress.close()
    text = stream.getvalue()
    assert "\x1b[2F" in text  # back up over the two lines drawn before
    assert text.rsplit("\x1b[2F", 1)[1] == "\x1b[2K  torch  done 1.5 s\n\x1b[2K  keras  waiting\n"


# The agreement functions compare reports with ----------------------------------------------


def test_logged_steps_are_named_as_the_scripts_print_them() -> None:
    assert logged_steps(_spec(TINY)) == ["epoch 2/6", "epoch 4/6", "epoch 6/6"]
    steps = _spec("layer Dense 1->1\ntrain steps=5\nlog every=2\n")
    assert logged_steps(steps) == ["step 0", "step 2", "step 4"]


def test_a_loss_curve_is_read_from_a_spec_s_own_format() -> None:
    spec = _spec(
        "param w[1] = 0.5\nforward y = w * x\ntrain steps=4\nlog every=2 show=loss,w "
        'format="w {w} and loss: {loss:.4f}!"\n'
    )
    run = parse_output("w [0.5] and loss: 1.2500!\nw [0.6] and loss: 0.0100!\nw 0.7\n")
    assert loss_curve(run, spec) == {"step 0": 1.25, "step 2": 0.01}
    other = parse_output("w [0.5] and loss: 1.2500!\nw [0.6] and loss: 0.0200!\nw 0.7\n")
    assert first_divergence(run, other, spec, FLOAT32) == "step 2"
    assert first_divergence(run, run, spec, FLOAT32) is None


def test_loss_gaps_are_relative_and_near_zero_relative_to_the_floor() -> None:
    gaps = loss_gaps({"a": 100.0, "b": 2.0, "c": 1e-6}, {"a": 101.0, "b": 2.0, "c": 2e-6})
    assert gaps == {"a": pytest.approx(0.01), "b": 0.0, "c": pytest.approx(1e-6)}
    assert largest(gaps) == ("a", pytest.approx(0.01))
    assert largest({}) == largest({"a": 0.0}) == (None, 0.0)
    nan = float("nan")
    assert loss_gaps({"a": nan, "b": 1.0}, {"a": nan, "b": nan}) == {"a": 0.0, "b": float("inf")}


def test_the_largest_weight_gap_is_located_by_row_and_column() -> None:
    spec = _spec(TINY)
    ref = Run(params={"fc1.kernel": np.arange(8.0), "fc2.bias": np.zeros(1)})
    kernel = np.arange(8.0)
    kernel[5] += 1e-3  # row 1, column 1 of the 2x4 kernel
    run = Run(params={"fc1.kernel": kernel, "fc2.bias": np.full(1, 1e-4)})
    # as float32 values: 5.001 is 5.00099992752...
    assert param_gap(ref, run, spec) == ("fc1.kernel[1, 1]", pytest.approx(1e-3, rel=1e-4))
    assert param_gap(ref, ref, spec) == (None, 0.0)  # no gap, so no place


def test_the_first_divergence_counts_weights_shown_in_the_log() -> None:
    spec = _spec(TINY)
    ref = parse_output("epoch 2/6  loss 1.0  w 0.5\nepoch 4/6  loss 0.5  w 0.6\nw 0.7\n")
    run = parse_output("epoch 2/6  loss 1.0  w 0.5\nepoch 4/6  loss 0.5  w 0.61\nw 0.7\n")
    assert first_divergence(ref, run, spec, FLOAT32) == "epoch 4/6"
    short = parse_output("epoch 2/6  loss 1.0  w 0.5\nw 0.7\n")
    assert first_divergence(ref, short, spec, FLOAT32) == "epoch 4/6"


def test_building_loads_neither_numpy_nor_the_compare_modules(tmp_path: Path) -> None:
    """Only `specc compare` pays for NumPy: the compiler path stays as light as it was."""
    spec = tmp_path / "tiny.spec"
    spec.write_text(TINY, encoding="utf-8")
    # -X importtime logs every module the process imports, including the CLI's own.
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "specc", "build", str(spec), "-t", "torch"],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines()}
    loaded = imported & {"numpy", "matplotlib", "specc.compare", "specc.runner", "specc.agreement"}
    assert not loaded, sorted(loaded)


def test_a_run_that_blows_up_never_agrees() -> None:
    """NaN compares false with everything: a NaN on one side must count as a gap."""
    nan_report = REPORT.replace("loss 1.0", "loss nan").replace("fc2.bias 0.5", "fc2.bias nan")
    ref, run = parse_output(REPORT), parse_output(nan_report)
    problems = disagreements("a", ref, "b", run, FLOAT32)
    assert any("loss at epoch 6/6" in p for p in problems)
    assert any("trained fc2.bias[0]" in p for p in problems)
    assert first_divergence(ref, run, _spec(TINY), FLOAT32) == "epoch 6/6"
    assert disagreements("a", run, "b", run, FLOAT32) == []  # the same NaN in both agrees


def test_printed_float32s_are_compared_as_the_float32s_they_are() -> None:
    """5.355161 and 5.355162 are two float32 steps apart, 9.5e-7: within 1e-6."""
    ref = Run(predictions=[(np.array([0.6, 2.0]), np.array([5.355161]))])
    run = Run(predictions=[(np.array([0.6, 2.0]), np.array([5.355162]))])
    assert disagreements("numpy", ref, "keras", run, FLOAT32) == []
    run = Run(predictions=[(np.array([0.6, 2.0]), np.array([5.3551635]))])
    assert disagreements("numpy", ref, "keras", run, FLOAT32)
