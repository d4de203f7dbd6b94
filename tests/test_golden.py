"""Golden cases: the CLI's output for every case and example is exactly the checked-in files.

Error cases (tests/errors/) hold a spec and the exact stderr of `specc check`: errors exit 1,
warnings alone exit 0.

`SPECC_REGEN=1 python -m pytest tests/test_golden.py` rewrites them through the real CLI.
"""

from __future__ import annotations

import ast
import difflib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import (
    EXAMPLES,
    REGEN,
    ROOT,
    TARGETS,
    Case,
    build_cases,
    case_targets,
    error_cases,
    specc_main,
)

from specc.backends import backend
from specc.compiler import analyze, generate
from specc.diagnostics import Source
from specc.format import LINE_LENGTH, black_format, format_python, width
from specc.lower import lower
from specc.render import render


def _diff(expected: str, produced: str, name: str) -> str:
    lines = difflib.unified_diff(
        expected.splitlines(keepends=True),
        produced.splitlines(keepends=True),
        fromfile=f"{name} (golden)",
        tofile=f"{name} (specc now)",
    )
    return "".join(lines) + "\n(regenerate with SPECC_REGEN=1 if the change is intended)"


@pytest.mark.parametrize("case", build_cases(), ids=lambda c: c.name)
def test_build_matches_golden(case: Case, tmp_path: Path) -> None:
    out = case.directory if REGEN else tmp_path
    targets = case_targets(case)
    result = specc_main(
        "build", case.spec.name, "--target", ",".join(targets), "-o", str(out), cwd=case.spec.parent
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    for target in set(TARGETS) - set(targets):  # no stale file for a target it cannot build
        assert not case.expected(target).exists(), f"{case.expected(target)} is not built"
    if REGEN:
        return
    for target in targets:
        name = case.expected(target).name
        produced = (tmp_path / name).read_text(encoding="utf-8")
        expected = case.expected(target).read_text(encoding="utf-8")
        assert produced == expected, _diff(expected, produced, name)


@pytest.mark.parametrize("case", build_cases(), ids=lambda c: c.name)
def test_every_line_fits_88_columns(case: Case) -> None:
    """What black cannot break (a docstring, a comment, a string) is written to fit: a reader
    never scrolls, and a script whose lines all fit is built without importing black."""
    for target in case_targets(case):
        path = case.expected(target)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            assert width(line) <= LINE_LENGTH, f"{path.name}:{number} is {width(line)} wide"


@pytest.mark.parametrize("case", build_cases(), ids=lambda c: c.name)
def test_output_is_exactly_blacks(case: Case) -> None:
    """black is the formatter of record, though it runs only where a line is too wide for the
    templates' own layout: every script is exactly what black makes of the rendered text,
    whichever way it was formatted, and black would leave it as it is. The exception is a
    list of numbers too long for a line, wrapped between `# fmt: off` and `# fmt: on`: that
    script is the rendered program (the same syntax tree), and black leaves it as it is."""
    source = Source(case.spec.name, case.spec.read_text(encoding="utf-8"))
    spec, _ = analyze(source, case_targets(case))
    for target in case_targets(case):
        rendered = render(lower(spec, backend(target)), target)
        script = format_python(rendered, target)
        if "# fmt: off" in script:
            assert ast.dump(ast.parse(script)) == ast.dump(ast.parse(rendered)), target
        else:
            assert script == black_format(rendered), f"{target}: not black's layout"
            if script == rendered:  # black_format(script) is the call just made: it is black's
                continue
        assert black_format(script) == script, f"{target}: black would change it"


def test_a_statement_black_laid_out_is_kept_for_the_next_build(tmp_path: Path) -> None:
    """The TF graph's BatchNorm line of the digits example is laid out by black alone: the
    first build imports black, the next reads the layout from the cache directory and does
    not, and both write the golden's bytes."""
    code = (
        "import sys\n"
        "from specc.cli import main\n"
        "status = main(['build', sys.argv[1], '--target', 'tfgraph', '-o', sys.argv[2]])\n"
        "print(status, 'black' in sys.modules)\n"
    )
    spec = EXAMPLES / "digits_batchnorm.spec"
    (tmp_path / "tmp").mkdir()
    environment = {**os.environ, "TMPDIR": str(tmp_path / "tmp"), "PYTHONPATH": str(ROOT)}
    said = [
        subprocess.run(
            [sys.executable, "-c", code, str(spec), str(tmp_path / f"{run}.py")],
            capture_output=True,
            text=True,
            env=environment,
        ).stdout
        for run in ("first", "second")
    ]
    assert said == ["0 True\n", "0 False\n"]
    golden = (EXAMPLES / "digits_batchnorm" / "digits_batchnorm_tfgraph.py").read_bytes()
    assert (tmp_path / "first.py").read_bytes() == (tmp_path / "second.py").read_bytes() == golden


@pytest.mark.parametrize("target", TARGETS)
def test_deep_and_long_scripts_are_blacks_without_black(
    target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 60-layer model and a 300-number list: black's layout (its wrapped lines of numbers
    aside), laid out without running black, which formats about a thousand lines a second."""
    middle = "layer Dense 16->16 relu\n" * 58
    numbers = ", ".join(f"{i / 100:g}" for i in range(300))
    text = (
        f"data x = [{numbers}]\ndata y = 2 * x\nlayer Dense 1->16 relu\n{middle}"
        "layer Dense 16->1\nloss mse\noptim sgd lr=0.01\ntrain epochs=1\n"
    )
    spec, _ = analyze(Source("deep.spec", text), [target])
    rendered = render(lower(spec, backend(target)), target)
    expected = black_format(rendered.replace(f"[{numbers}]", "[0]"))
    monkeypatch.setattr("specc.format.black_format", None)
    monkeypatch.setattr("specc.format._black_alone", None)
    script = format_python(rendered, target)
    assert ast.dump(ast.parse(script)) == ast.dump(ast.parse(rendered))
    assert black_format(script) == script
    wrapped = script.index("# fmt: off"), script.index("# fmt: on\n") + len("# fmt: on\n")
    unwrapped = script[: wrapped[0]] + "x = np.array([0]).reshape(-1, 1)\n" + script[wrapped[1] :]
    assert unwrapped == expected


def test_a_row_that_fills_its_line_to_the_bracket_is_wrapped_without_black(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A row's last number is followed by `],`: the wrapper counts the bracket where the
    number goes (here the first line would be 89 columns with it)."""
    row = "-0.1234567890123456, -0.1234567890123456, -0.1234567890123456, 0.12345678901234566"
    text = "data x = randn(10, 4)\ndata y = randn(10, 1)\nlayer Dense 4->1\n"
    text += f"predict [[{row}], [1, 2, 3, 4]]\n"
    spec, _ = analyze(Source("row.spec", text), ["torch"])
    rendered = render(lower(spec, backend("torch")), "torch")
    monkeypatch.setattr("specc.format.black_format", None)
    monkeypatch.setattr("specc.format._black_alone", None)
    script = format_python(rendered, "torch")
    assert ast.dump(ast.parse(script)) == ast.dump(ast.parse(rendered))
    assert max(width(line) for line in script.splitlines()) == LINE_LENGTH
    assert "     0.12345678901234566],\n" in script


@pytest.mark.parametrize("target", TARGETS)
def test_powers_are_spaced_as_black_spaces_them(target: str) -> None:
    """black hugs `**` between simple operands only: `x**2`, `w**-1`, but `(x + 1) ** 2`,
    `v1 ** (-2)` and `sin(x) ** w`; so do the scripts, data, formula and gradients alike."""
    text = (
        "data x = rand(8, 1) + 1\ndata y = (x + 1) ** 2 + sqrt(x) ** 3\n"
        "param w[1] = 0.5\nparam b[1] = 0.1\n"
        "forward y = (x + b) ** 2 * w + x**-1 + sin(x) ** w + x ** (-2) + b**w\n"
        "optim adam\ntrain steps=2\n"
    )
    spec, _ = analyze(Source("powers.spec", text), [target])
    script = generate(spec, target)
    assert black_format(script) == script


@pytest.mark.parametrize("target", TARGETS)
def test_a_call_whose_names_are_too_wide_is_broken_as_black_breaks_it(target: str) -> None:
    """`grad_fc1_kernel, ..., grad_fc3_bias = tf.gradients(` is wider than a line: black
    breaks the names first, and so does the script (found by the well-typed fuzz test)."""
    text = "layer Dense 1->1\nlayer Dense 1->1\nlayer Dense 1->1\noptim gd\ntrain epochs=1\n"
    spec, _ = analyze(Source("wide.spec", text), [target])
    script = generate(spec, target)
    assert black_format(script) == script


@pytest.mark.parametrize("case", error_cases(), ids=lambda d: d.name)
def test_error_matches_golden(case: Path) -> None:
    result = specc_main("check", "model.spec", cwd=case)
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    golden = case / "stderr.txt"
    if REGEN:
        golden.write_text(result.stderr, encoding="utf-8")
    expected = golden.read_text(encoding="utf-8")
    # A case with only warnings must still build: warnings never change the exit code.
    assert result.returncode == (1 if ": error: " in expected else 0)
    assert result.stderr == expected, _diff(expected, result.stderr, f"{case.name}/stderr.txt")
