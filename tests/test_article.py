"""`specc article`: the scripts cut into concepts, the examples' pages, and the command.

The examples' articles (examples/<name>/<name>.html) are goldens built from the session's
shared runs (`executions`), compared as `--check` compares them: everything but the plot's
image bytes. `SPECC_REGEN=1` rewrites them. How the page looks in a browser is
tests/test_article_browser.py's, and how its Markdown renders under MkDocs is
tests/test_article_mkdocs.py's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pytest
from support import EXAMPLES, REGEN, TARGETS, Case, build_cases, case_targets, specc
from test_golden import _diff

from specc import article, runner
from specc.compare import Plan
from specc.compiler import analyze, generate, sections
from specc.diagnostics import Source
from specc.lower import SECTIONS
from specc.runner import Execution

# Examples with a rendered article beside their scripts.
ARTICLES = ["simplenet", "iris", "digits_convnet", "digits_batchnorm", "sine_lstm"]
SIMPLENET = EXAMPLES / "simplenet.spec"


def _source(path: Path) -> Source:
    return Source(path.name, path.read_text(encoding="utf-8"))


def _shared(executions: Mapping[tuple[str, str], Execution], case: str) -> article.Runner:
    """A runner handing out the session's runs of one case instead of running anything."""

    def run(plan: Plan, spec: object, scripts: object) -> dict[str, Execution]:
        return {name: executions[(case, name)] for name in plan.jobs}

    return run


@pytest.mark.parametrize("case", build_cases(), ids=lambda c: c.name)
def test_every_line_of_a_script_is_in_one_concept(case: Case) -> None:
    spec, _ = analyze(_source(case.spec), [])
    for target in case_targets(case):
        parts = sections(spec, target)
        assert list(parts) == list(SECTIONS)
        assert all(part.strip() for part in parts.values()), f"{target}: an empty concept"
        code = [line for part in parts.values() for line in part.splitlines() if line.strip()]
        whole = [line for line in generate(spec, target).splitlines() if line.strip()]
        assert code == whole, f"{case.name} ({target}): the concepts are not the script"
        assert not any(line.strip().startswith("# specc-section") for line in code)


def test_each_concept_holds_what_it_names() -> None:
    spec, _ = analyze(_source(SIMPLENET), [])
    torch, keras = sections(spec, "torch"), sections(spec, "keras")
    assert "class SimpleNet(nn.Module):" in torch["model"]
    assert "optimizer = torch.optim.SGD(" in torch["training"]
    assert "loss.backward()" in torch["loop"]
    assert "model.compile(" in keras["training"] and "train_on_batch(" in keras["loop"]
    assert "rng = np.random.RandomState(0)" in torch["data"]
    assert torch["data"] == keras["data"]  # the same experiment, drawn alike
    assert 'print("fc1.kernel"' in torch["report"]


@pytest.mark.parametrize("name", ARTICLES)
def test_examples_articles_are_current(
    name: str, executions: Mapping[tuple[str, str], Execution]
) -> None:
    spec_path = EXAMPLES / f"{name}.spec"
    page = EXAMPLES / name / f"{name}.html"
    made = article.make(
        _source(spec_path),
        name,
        "html",
        list(runner.RUNS),
        explicit=False,
        run=_shared(executions, f"examples/{name}"),
        command=f"specc article {name}.spec -o {name}.html",
        image=f"{name}.png",
    )
    assert made.results is not None and made.results.agree, made.results
    if REGEN:
        page.write_text(made.text, encoding="utf-8")
    expected = page.read_text(encoding="utf-8")
    assert article.masked(made.text) == article.masked(expected), _diff(
        article.masked(expected), article.masked(made.text), page.name
    )


def test_results_name_every_run_and_agree(
    executions: Mapping[tuple[str, str], Execution],
) -> None:
    made = article.make(
        _source(SIMPLENET),
        "simplenet",
        "mkdocs",
        list(runner.RUNS),
        explicit=False,
        run=_shared(executions, "examples/simplenet"),
        command="specc article simplenet.spec -o simplenet.md",
        image="simplenet.png",
    )
    assert made.results is not None and made.results.agree
    rows = {row.run: row for row in made.results.rows}
    assert set(rows) == {*runner.RUNS, runner.EXACT}
    assert rows[runner.EXACT].verdict == "the exact answer"
    assert rows[runner.EXACT].framework == "NumPy, in float64"
    assert all(rows[r].verdict.startswith("agrees") for r in rows if r != runner.EXACT)
    headings = [column.heading for column in made.results.columns]
    assert headings == [
        "Final loss", "Predictions", "Final loss: distance to the exact answer", "Band there"
    ]  # fmt: skip
    assert all(re.fullmatch(r"< 1e-\d+", rows["torch"].cells[i]) for i in (2, 3))
    assert any("the exact answer (the NumPy reference computed in float64" in note
               for note in made.results.notes)  # fmt: skip
    assert rows["keras[jax]"].framework == "Keras 3 on JAX"
    assert made.png is not None and made.png.startswith(b"\x89PNG")
    assert "![" in made.text and "(simplenet.png)" in made.text
    assert "| `keras[torch]` | Keras 3 on PyTorch |" in made.text


def test_a_run_that_differs_is_named_on_the_page(
    executions: Mapping[tuple[str, str], Execution],
) -> None:
    shared = _shared(executions, "examples/simplenet")

    def tampered(plan: Plan, spec: object, scripts: object) -> dict[str, Execution]:
        runs = shared(plan, spec, scripts)  # type: ignore[arg-type]
        keras = runs["keras"]
        # The last logged loss a little off: the page must say so, not hide it.
        stdout = re.sub(r"(epoch 100/100\s+loss )\S+", r"\g<1>0.5", keras.stdout)
        runs["keras"] = Execution(keras.returncode, stdout, keras.stderr, keras.seconds)
        return runs

    made = article.make(_source(SIMPLENET), "simplenet", "html", list(runner.RUNS), False,
                        tampered, "specc article", "simplenet.png")  # fmt: skip
    assert made.results is not None and not made.results.agree
    assert made.results.verdict == "keras leaves the band first at epoch 100/100."
    rows = {row.run: row for row in made.results.rows}
    assert rows["keras"].verdict == "differs at epoch 100/100"
    assert 'class="differs"' in made.text


# The command line -----------------------------------------------------------------------


def test_no_run_pages_in_both_flavours(tmp_path: Path) -> None:
    for page in ("simplenet.html", "simplenet.md"):
        result = specc("article", str(SIMPLENET), "-o", str(tmp_path / page), "--no-run")
        assert result.returncode == 0, result.stderr
        text = (tmp_path / page).read_text(encoding="utf-8")
        assert "--no-run" in text and "Not run" in text
    html = (tmp_path / "simplenet.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    for label in ("PyTorch", "TensorFlow (graph)", "Keras 3", "NumPy"):
        assert f">{label}</div>" in html and f">{label}</label>" in html
    assert html.count('<h3 class="concept"') == len(SECTIONS)
    # Self-contained: nothing it loads comes from elsewhere (a link to follow is not a load).
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    markdown = (tmp_path / "simplenet.md").read_text(encoding="utf-8")
    assert '=== "PyTorch"' in markdown and "```specc" in markdown
    assert not (tmp_path / "simplenet.png").exists()  # nothing ran, nothing to draw


def test_the_flavour_comes_from_the_suffix_or_format(tmp_path: Path) -> None:
    result = specc("article", str(SIMPLENET), "-o", str(tmp_path / "page.txt"), "--no-run")
    assert result.returncode == 2 and "--format html or --format mkdocs" in result.stderr
    result = specc("article", str(SIMPLENET), "-o", str(tmp_path / "page.txt"), "--no-run",
                   "--format", "mkdocs")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "page.txt").read_text(encoding="utf-8").count("=== ") > 4


def test_check_compares_all_but_the_image(tmp_path: Path) -> None:
    page = tmp_path / "simplenet.html"
    assert specc("article", str(SIMPLENET), "-o", str(page), "--no-run").returncode == 0
    check = ["article", str(SIMPLENET), "-o", str(page), "--no-run", "--check"]
    result = specc(*check)
    assert result.returncode == 0 and result.stdout == "", result.stdout
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("<h1>SimpleNet in", "<h1>SimpleNet, in"), encoding="utf-8")
    result = specc(*check)
    assert result.returncode == 1
    assert "-<h1>SimpleNet, in" in result.stdout and "+<h1>SimpleNet in" in result.stdout
    assert "<h1>SimpleNet, in" in page.read_text(encoding="utf-8")  # --check writes nothing
    # The plot's bytes depend on matplotlib's version and fonts: --check leaves them out.
    one, other = "data:image/png;base64,iVBORw0KGgo=", "data:image/png;base64,AAAA"
    assert article.masked(f'<img src="{one}">') == article.masked(f'<img src="{other}">')
    assert article.masked("<p>0.25</p>") != article.masked("<p>0.26</p>")
    # So are the figures each run measured, which float32 rounding moves from machine to
    # machine within the band (OPENBLAS_CORETYPE, ATEN_CPU_CAPABILITY); the verdicts are not.
    row = '<td>PyTorch</td><td class="number">{}</td><td class="agrees">{}</td>'
    assert article.masked(row.format("1.423", "agrees")) == article.masked(
        row.format("1.421", "agrees")
    )
    assert article.masked(row.format("1.423", "agrees")) != article.masked(
        row.format("1.423", "differs")
    )
    line = "| `torch` | PyTorch | {} | < 1e-7 | {} |"
    assert article.masked(line.format("1.423", "agrees")) == article.masked(
        line.format("1.421", "agrees")
    )
    assert article.masked(line.format("1.423", "agrees")) != article.masked(
        line.format("1.423", "differs")
    )


def test_a_bad_spec_is_a_located_error_and_writes_nothing(tmp_path: Path) -> None:
    spec = tmp_path / "bad.spec"
    spec.write_text("layer Dense 1->2 relu\noptim sgd lr=-1\n", encoding="utf-8")
    result = specc("article", str(spec), "-o", str(tmp_path / "bad.html"))
    assert result.returncode == 1
    assert f"{spec}:2:" in result.stderr and "^" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "bad.html").exists()


def test_strings_from_the_spec_are_escaped(tmp_path: Path) -> None:
    spec = tmp_path / "odd.spec"
    spec.write_text(
        "# </code></pre><script>alert(1)</script>\nmodel Odd\nlayer Dense 1->1\n"
        'log every=1 format="<b>{loss}</b> & {epoch}"\ntrain epochs=2\n',
        encoding="utf-8",
    )
    result = specc("article", str(spec), "-o", str(tmp_path / "odd.html"), "--no-run")
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "odd.html").read_text(encoding="utf-8")
    assert "<script" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;" in html


def test_targets_pick_the_columns(tmp_path: Path) -> None:
    page = tmp_path / "two.html"
    result = specc("article", str(SIMPLENET), "-o", str(page), "--no-run",
                   "--targets", "torch,keras")  # fmt: skip
    assert result.returncode == 0, result.stderr
    html = page.read_text(encoding="utf-8")
    assert "--columns: 2" in html and ">NumPy</div>" not in html
    assert "SimpleNet in PyTorch and Keras 3" in html
    assert "--targets torch,keras" in html  # the command that rebuilds it, in the page


def test_a_run_page_in_markdown_writes_its_plot_beside_it(tmp_path: Path) -> None:
    # The NumPy run alone: a second or two, and the whole command's path, plot included.
    spec = tmp_path / "tiny.spec"
    spec.write_text("model Tiny\nlayer Dense 1->1\ntrain epochs=5\nlog every=1\n", "utf-8")
    page = tmp_path / "tiny.md"
    result = specc("article", str(spec), "-o", str(page), "--targets", "numpy")
    assert result.returncode == 0, result.stderr
    assert "numpy: done" in result.stderr  # the progress lines
    text = page.read_text(encoding="utf-8")
    assert "| `numpy` | NumPy |" in text and "| `exact` | NumPy, in float64 |" in text
    assert "the exact answer |" in text and "| agrees |" in text
    assert "![" in text and "](tiny.png)" in text
    assert (tmp_path / "tiny.png").read_bytes().startswith(b"\x89PNG")
    check = specc("article", str(spec), "-o", str(page), "--targets", "numpy", "--check")
    assert check.returncode == 0, check.stdout


def test_markdown_cells_cannot_break_the_table() -> None:
    from specc.render import markdown_cell

    assert markdown_cell("failed: a | b <tail> *x*") == r"failed: a \| b &lt;tail> \*x\*"


def test_code_the_same_in_every_target_is_shown_once() -> None:
    """The data and initial weights are drawn once with NumPy, alike in every script: the
    page shows them once, across the columns; with one target nothing is shared."""
    source = _source(SIMPLENET)
    spec, _ = analyze(source, list(TARGETS))
    scripts = {t: generate(spec, t) for t in TARGETS}
    made = article.page(spec, source.text, "simplenet", scripts, "specc article", None)
    assert made.shared == {"data"}
    html = article.render_page(made, "html")
    assert html.count('class="cell shared"') == 1 and html.count('class="cell"') == 4 * 5
    alone = article.page(spec, source.text, "simplenet", {"torch": scripts["torch"]}, "", None)
    assert alone.shared == frozenset()
