"""`specc fmt`: the canonical layout of a spec, its comments and meaning kept.

Over every example, case and error spec (and every fuzzed spec, in test_fuzz.py): formatting
is idempotent, keeps every comment, and gives a spec whose IR is the IR of the spec as
written, or that fails to check as it did. The examples are in the layout already. The
layout itself is pinned on a spec written as carelessly as people write, and the command
line as black's users expect it: in place, `--check`, `--diff`, standard input, folders,
the project config's specs, and a spec that does not parse reported without stopping the
others.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import CASES, ERRORS, EXAMPLES, ROOT, specc, specc_main

from specc import fmt
from specc.compiler import analyze
from specc.diagnostics import Source, SpecError

SPECS = sorted(
    [*EXAMPLES.glob("*.spec"), *CASES.glob("*/model.spec"), *ERRORS.glob("*/model.spec")]
)

MESSY = """\


#top comment, spaces after it   
model   Messy   # the name
seed 1;data x = [  # rows
   [1, 2], [3,4],   # first two
   # a full-line comment
   [5, 6]  # last
]
data y=(x@[[1],[2]]>0.5)
data z = x**2 +(x+1) ** 2 - 1E-3*exp( - x)
layer Dense 2->4 bias=0.1 relu init=zeros    # options in order,
layer Dense 4->1                             # then the activation
loss mse    reduction=sum
data w = (1 +   # no list can hold this one
  2) * -x ** 2



optim sgd momentum=0.9 lr=0.1;   log show=loss every=5  ;train epochs=3
"""

CANONICAL = """\
# top comment, spaces after it
model Messy  # the name
seed 1
data x = [           # rows
    [1, 2], [3, 4],  # first two
    # a full-line comment
    [5, 6],  # last
]
data y = (x @ [[1], [2]] > 0.5)
data z = x**2 + (x + 1) ** 2 - 1e-3 * exp(-x)
layer Dense 2->4 init=zeros bias=0.1 relu    # options in order,
layer Dense 4->1                             # then the activation
loss mse reduction=sum
# no list can hold this one
data w = (1 + 2) * -x**2

optim sgd lr=0.1 momentum=0.9
log every=5 show=loss
train epochs=3
"""


def _formatted(path: Path) -> str:
    return fmt.format_spec(Source(path.name, path.read_text(encoding="utf-8")))


def test_the_layout_of_a_carelessly_written_spec() -> None:
    assert fmt.format_spec(Source("messy.spec", MESSY)) == CANONICAL
    assert fmt.format_spec(Source("messy.spec", CANONICAL)) == CANONICAL


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_formatting_keeps_meaning_and_comments_and_is_idempotent(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    source = Source(path.name, text)
    try:
        formatted = fmt.format_spec(source)
    except SpecError as error:  # a syntax error: fmt reports what build reports
        with pytest.raises(SpecError) as again:
            analyze(source)
        assert error.diagnostics == again.value.diagnostics
        return
    assert fmt.format_spec(Source(path.name, formatted)) == formatted
    assert [c.text for c in fmt.scan_comments(formatted)] == [
        c.text for c in fmt.scan_comments(text)
    ]
    try:
        spec, _ = analyze(source)
    except SpecError as error:
        with pytest.raises(SpecError) as again:
            analyze(Source(path.name, formatted))
        assert [d.message for d in again.value.diagnostics] == [
            d.message for d in error.diagnostics
        ]
        return
    assert analyze(Source(path.name, formatted))[0] == spec


def test_the_examples_are_in_the_layout() -> None:
    for path in sorted(EXAMPLES.glob("*.spec")):
        assert _formatted(path) == path.read_text(encoding="utf-8"), path.name


def test_lists_spread_over_lines_keep_their_lines_and_comments() -> None:
    text = (
        "data y = [0.5, 0.25,   # a row of numbers\n"
        "  0.125,\n"
        "  # halves\n"
        "  0.0625]\n"
        "data x = reshape(\n"
        "  [[1, 2],\n"
        "   [3, 4]], 2, 1, 1)\n"
        "data z = [[1,\n"
        " 2], 3,  # of 3, on the line where a spread item ends\n"
        " 4]\n"
    )
    assert fmt.format_spec(Source("lists.spec", text)) == (
        "data y = [\n"
        "    0.5, 0.25,  # a row of numbers\n"
        "    0.125,\n"
        "    # halves\n"
        "    0.0625,\n"
        "]\n"
        "data x = reshape(\n"
        "    [\n"
        "        [1, 2],\n"
        "        [3, 4],\n"
        "    ],\n"
        "    2, 1, 1\n"
        ")\n"
        "data z = [\n"
        "    [\n"
        "        1,\n"
        "        2,\n"
        "    ],\n"
        "    3,  # of 3, on the line where a spread item ends\n"
        "    4,\n"
        "]\n"
    )


def test_a_layout_that_would_change_the_spec_is_refused(monkeypatch, tmp_path) -> None:
    """The check after formatting: a layout that loses a comment is a bug, reported as one,
    and the file is left as it was."""
    spec = tmp_path / "model.spec"
    spec.write_text("layer Dense 1->1   # kept\nloss  mse\n", encoding="utf-8")
    laid_out = fmt._Layout.text
    monkeypatch.setattr(fmt._Layout, "text", lambda self: laid_out(self).replace("# kept", ""))
    with pytest.raises(AssertionError, match="move or lose a comment"):
        _formatted(spec)
    result = specc_main("fmt", str(spec), cwd=tmp_path)
    assert result.returncode == 3 and "internal error" in result.stderr
    assert spec.read_text(encoding="utf-8") == "layer Dense 1->1   # kept\nloss  mse\n"


# --- the command line ---------------------------------------------------------------------


def _project(root: Path) -> tuple[Path, Path]:
    (root / "specs").mkdir()
    messy = root / "specs" / "messy.spec"
    messy.write_text(MESSY, encoding="utf-8")
    tidy = root / "specs" / "tidy.spec"
    tidy.write_text(CANONICAL, encoding="utf-8")
    return messy, tidy


def test_fmt_rewrites_in_place_and_says_so(tmp_path: Path) -> None:
    messy, _ = _project(tmp_path)
    result = specc("fmt", "specs", cwd=tmp_path)  # a folder: its *.spec files
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == (
        "reformatted specs/messy.spec\nspecc: 2 specs: 1 reformatted, 1 unchanged\n"
    )
    assert messy.read_text(encoding="utf-8") == CANONICAL
    assert specc_main("fmt", "--check", "specs", cwd=tmp_path).returncode == 0


def test_check_and_diff_write_nothing(tmp_path: Path) -> None:
    messy, tidy = _project(tmp_path)
    check = specc_main("fmt", "--check", str(messy), str(tidy), cwd=tmp_path)
    assert check.returncode == 1
    assert f"would reformat {messy}\n" in check.stderr
    assert str(tidy) not in check.stderr
    diff = specc_main("fmt", "--diff", str(messy), cwd=tmp_path)
    assert diff.returncode == 0  # as black's: --diff alone shows, --check fails
    assert diff.stdout.startswith(f"--- {messy} (on disk)\n+++ {messy} (specc fmt)\n")
    assert "+layer Dense 2->4 init=zeros bias=0.1 relu    # options in order,\n" in diff.stdout
    assert messy.read_text(encoding="utf-8") == MESSY


def test_standard_input_to_standard_output() -> None:
    result = specc("fmt", "-", stdin="loss  mse;optim sgd  lr=0.1")
    assert (result.returncode, result.stdout) == (0, "loss mse\noptim sgd lr=0.1\n")


def test_a_spec_that_does_not_parse_is_reported_and_the_others_formatted(tmp_path: Path) -> None:
    messy, _ = _project(tmp_path)
    bad = tmp_path / "specs" / "bad.spec"
    bad.write_text("layer Dense 1 2\n", encoding="utf-8")
    result = specc_main("fmt", "specs", cwd=tmp_path)
    assert result.returncode == 1
    assert "specs/bad.spec:1:15: error: expected `->` between the sizes, found `2`" in (
        result.stderr
    )
    assert result.stderr.endswith("specc: 3 specs: 1 reformatted, 1 unchanged, 1 with errors\n")
    assert bad.read_text(encoding="utf-8") == "layer Dense 1 2\n"
    assert messy.read_text(encoding="utf-8") == CANONICAL


def test_windows_line_ends_become_newlines(tmp_path: Path) -> None:
    spec = tmp_path / "crlf.spec"
    spec.write_bytes(b"loss mse\r\noptim sgd lr=0.1\r\n")
    assert specc_main("fmt", "--check", str(spec), cwd=tmp_path).returncode == 1
    assert specc_main("fmt", str(spec), cwd=tmp_path).returncode == 0
    assert spec.read_bytes() == b"loss mse\noptim sgd lr=0.1\n"


def test_without_files_the_project_config_names_them(tmp_path: Path) -> None:
    _project(tmp_path)
    (tmp_path / "specc.toml").write_text('specs = ["specs/*.spec"]\n', encoding="utf-8")
    (tmp_path / "deeper").mkdir()
    result = specc_main("fmt", "--check", cwd=tmp_path / "deeper")  # found walking up
    assert result.returncode == 1
    assert "would reformat ../specs/messy.spec\n" in result.stderr


def test_without_files_or_config_it_is_misuse(tmp_path: Path) -> None:
    result = specc("fmt", cwd=tmp_path)
    assert result.returncode == 2
    assert "no project config here or above" in result.stderr


# --- lists spread over lines, with comments between their items ---------------------------


@st.composite
def _spread(draw: st.DrawFn) -> str:
    """A real spec whose brackets are broken after some commas and brackets, with comments
    after some of the breaks and on lines of their own: what no example writes, but people
    do with a table of numbers."""
    text = draw(st.sampled_from([p.read_text(encoding="utf-8") for p in SPECS[:60]]))
    out, depth, quoted, comment = [], 0, False, False
    for char in text:
        out.append(char)
        if comment:
            comment = char != "\n"
        elif quoted:
            quoted = char != '"'
        elif char == '"':
            quoted = True
        elif char == "#":
            comment = True
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        if depth > 0 and not quoted and not comment and char in ",([" and draw(st.booleans()):
            note = draw(st.sampled_from(["", "", "  # after", "\n# own line", "\n  #bare"]))
            out.append(note + "\n" + " " * draw(st.integers(0, 6)))
    return "".join(out)


@settings(max_examples=150, derandomize=True, database=None, deadline=None)
@given(text=_spread())
def test_spread_lists_keep_meaning_and_comments(text: str) -> None:
    source = Source("spread.spec", text)
    try:
        formatted = fmt.format_spec(source)
    except SpecError:
        with pytest.raises(SpecError):
            analyze(source)
        return
    assert fmt.format_spec(Source("spread.spec", formatted)) == formatted
    assert [c.text for c in fmt.scan_comments(formatted)] == [
        c.text for c in fmt.scan_comments(text)
    ]
    try:
        spec = analyze(source)[0]
    except SpecError:
        with pytest.raises(SpecError):
            analyze(Source("spread.spec", formatted))
        return
    assert analyze(Source("spread.spec", formatted))[0] == spec
