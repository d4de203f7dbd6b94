"""`specc compare`: real runs through the command line on a tiny spec, and the runner and
agreement functions it is built from, each on its own."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from support import ROOT, specc

from specc import compare, ir, runner
from specc.agreement import (
    FLOAT32,
    Run,
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


def test_runs_that_agree_give_a_table_a_plot_and_exit_0(tiny: Path, tmp_path: Path) -> None:
    plot = tmp_path / "tiny.png"
    result = specc("compare", str(tiny), "--targets", "torch,keras[jax]", "--plot", str(plot))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["run", "final", "loss"]
    rows = {line.split()[0]: line for line in lines[1 : lines.index("")]}
    assert rows.keys() == {REFERENCE, "torch", "keras[jax]"}
    assert rows[REFERENCE].endswith("reference")
    assert rows["keras[jax]"].endswith("agrees")
    assert "epoch " in rows["keras[jax]"] and "kernel[" in rows["keras[jax]"]
    assert "Tolerance (float32, sgd): loss 1e-05 relative" in result.stdout
    assert f"agree with {REFERENCE} within tolerance" in result.stdout
    # progress on stderr, one plain line per event when stderr is not a terminal
    assert "keras[jax]: running" in result.stderr and "keras[jax]: done in" in result.stderr
    assert "Traceback" not in result.stderr
    data = plot.read_bytes()
    assert data.startswith(PNG) and len(data) > 20_000


def test_json_holds_the_same_facts(tiny: Path) -> None:
    result = specc("compare", str(tiny), "--targets", "torch", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)  # nothing but the document on stdout
    assert document["reference"] == REFERENCE and document["exit_status"] == 0
    assert document["tolerance"] == {
        "loss": 1e-5, "value": 1e-6, "dtype": "float32", "loss_floor": 1e-2
    }  # fmt: skip
    runs = {run["name"]: run for run in document["runs"]}
    torch = runs["torch"]
    assert torch["target"] == "torch" and torch["returncode"] == 0 and torch["seconds"] > 0
    assert list(torch["losses"]) == ["epoch 2/6", "epoch 4/6", "epoch 6/6"]
    assert torch["final_loss"] == torch["losses"]["epoch 6/6"]
    assert len(torch["predictions"]) == 2
    assert torch["status"] in ("reference", "agrees")
    if torch["status"] == "agrees":
        assert torch["largest_weight_gap"]["at"].startswith("fc")
        assert set(torch["loss_gaps"]) == set(torch["losses"])


def test_a_crashing_script_shows_its_last_lines_and_exit_1(tmp_path: Path) -> None:
    spec = tmp_path / "crash.spec"
    spec.write_text(MISSING_DATA, encoding="utf-8")
    result = specc("compare", str(spec), "--targets", "torch")
    assert result.returncode == 1
    assert "failed: exit status 1" in result.stdout
    assert "torch failed (exit status 1); its last lines:" in result.stdout
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


# Evaluating runs: a disagreement, fabricated honestly from printed reports ---------------

REPORT = """\
epoch 2/6  loss 1.5
epoch 4/6  loss 1.25
epoch 6/6  loss 1.0
predict 0.5 -1.0 -> 0.25
predict 1.0 2.0 -> 0.75
fc1.kernel 0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8
fc1.bias 0.0 0.0 0.0 0.0
fc2.kernel 1.0 2.0 3.0 4.0
fc2.bias 0.5
"""


def _execution(stdout: str, returncode: int = 0, stderr: str = "") -> Execution:
    return Execution(returncode, stdout, stderr, 1.5)


def test_a_run_that_diverges_is_named_with_its_first_step() -> None:
    spec = _spec(TINY)
    diverging = REPORT.replace("loss 1.25", "loss 1.2501").replace("loss 1.0", "loss 1.01")
    plan = compare.Plan(REFERENCE, [REFERENCE, "tfgraph", "keras"], {})
    executions = {
        REFERENCE: _execution(REPORT),
        "tfgraph": _execution(REPORT.replace("loss 1.0", "loss 1.000001")),
        "keras": _execution(diverging),
    }
    comparison = compare.evaluate(spec, plan, executions)
    outcomes = {o.name: o for o in comparison.outcomes}
    assert outcomes["tfgraph"].status == "agrees"
    assert outcomes["tfgraph"].loss_gap == ("epoch 6/6", pytest.approx(1e-6))
    assert outcomes["keras"].status == "differs"
    assert outcomes["keras"].diverges_at == "epoch 4/6"
    assert outcomes["keras"].loss_gap == ("epoch 6/6", pytest.approx(0.01))
    assert comparison.exit_status == 1
    assert comparison.first_divergence == ("keras", "epoch 4/6")
    text = compare.table(comparison)
    assert "DIFFERS from epoch 4/6" in text
    assert f"Exit 1: keras differs from {REFERENCE} first at epoch 4/6." in text
    assert "keras diverges from" in text and "loss at epoch 6/6" in text
    document = compare.to_json(comparison)
    assert document["first_divergence"] == {"run": "keras", "at": "epoch 4/6"}
    json.dumps(document, allow_nan=False)  # plain JSON, even for a run that blew up


def test_weights_that_differ_after_logged_steps_that_agree_diverge_after_training() -> None:
    spec = _spec(TINY)
    plan = compare.Plan(REFERENCE, [REFERENCE, "torch" if REFERENCE != "torch" else "keras"], {})
    other = plan.runs[1]
    executions = {
        REFERENCE: _execution(REPORT),
        other: _execution(REPORT.replace("fc2.kernel 1.0 2.0 3.0", "fc2.kernel 1.0 2.0 3.1")),
    }
    comparison = compare.evaluate(spec, plan, executions)
    outcome = comparison.outcomes[1]
    assert (outcome.status, outcome.diverges_at) == ("differs", "after training")
    assert outcome.weight_gap == ("fc2.kernel[2, 0]", pytest.approx(0.1))


def test_a_failed_reference_leaves_the_others_not_compared() -> None:
    plan = compare.Plan(REFERENCE, [REFERENCE, "keras"], {"keras[jax]": "install specc[jax]"})
    executions = {
        REFERENCE: _execution("", 1, "Traceback ...\n" + "".join(f"line {i}\n" for i in range(9))),
        "keras": _execution(REPORT),
    }
    comparison = compare.evaluate(_spec(TINY), plan, executions)
    statuses = [(o.name, o.status) for o in comparison.outcomes]
    assert statuses == [(REFERENCE, "failed"), ("keras", "not compared"), ("keras[jax]", "skipped")]
    assert comparison.outcomes[0].stderr_tail == [f"line {i}" for i in range(4, 9)]
    assert comparison.exit_status == 1


def test_native_weights_are_shown_but_not_held() -> None:
    spec = _spec(TINY.replace("layer Dense 4->1", "layer Dense 4->1 init=native"))
    plan = compare.Plan("torch", ["torch", "keras"], {})
    executions = {"torch": _execution(REPORT), "keras": _execution(REPORT.replace("1.0\n", "2\n"))}
    comparison = compare.evaluate(spec, plan, executions)
    assert comparison.outcomes[1].status == "ran" and comparison.outcomes[1].loss_gap[1] == 1.0
    assert comparison.exit_status == 0
    assert "agree only statistically" in compare.table(comparison)


def test_the_plot_draws_every_run_with_zero_gaps_at_a_floor(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    plan = compare.Plan(REFERENCE, [REFERENCE, "tfgraph"], {})
    executions = {REFERENCE: _execution(REPORT), "tfgraph": _execution(REPORT)}
    comparison = compare.evaluate(_spec(TINY), plan, executions)
    compare.plot(comparison, tmp_path / "p.png")
    assert (tmp_path / "p.png").read_bytes().startswith(PNG)


# Planning -------------------------------------------------------------------------------


def test_select_reads_a_comma_separated_list() -> None:
    assert compare.select(None) == list(RUNS)
    assert compare.select("keras[jax], torch,torch") == ["keras[jax]", "torch"]
    with pytest.raises(ValueError, match=r"unknown target 'tf' \(choose from torch"):
        compare.select("tf")
    with pytest.raises(ValueError, match="unknown target ''"):
        compare.select("")


def test_the_plan_puts_the_reference_first_and_skips_what_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(runner.PRETEND_MISSING, "jax")
    plan = compare.plan(_spec(TINY), ["keras", "keras[jax]"])
    assert plan.reference == REFERENCE
    assert plan.runs == [REFERENCE, "keras"]
    assert plan.skipped == {"keras[jax]": "install specc[jax]"}


def test_without_the_reference_the_first_run_stands_in(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(run: str, spec: ir.Spec | None = None) -> list[str]:
        return ["specc[gone]"] if run == REFERENCE else []

    monkeypatch.setattr(compare, "missing_extras", missing)
    plan = compare.plan(_spec(TINY), ["keras[jax]", "tfgraph"])
    assert plan.reference == "keras[jax]" and plan.runs == ["keras[jax]", "tfgraph"]
    assert REFERENCE not in plan.skipped, "a reference nobody asked for gets no row"
    assert (
        plan.note == f"{REFERENCE} is skipped (install specc[gone]), so keras[jax] is the reference"
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
    assert paths == {"torch": tmp_path / "out" / "m_torch.py"}
    assert (tmp_path / "out" / "data" / "a.csv").read_text() == "a,b\n1,2\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["data", "m_torch.py"]


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
