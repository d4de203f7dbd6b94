"""Fuzz the command line: whatever bytes a spec file holds, specc answers properly.

For any input, `specc check FILE` and `specc build FILE --target T` either

- exit 0 (and `build` prints Python that `ast.parse` accepts and that imports only os, csv,
  numpy, torch, tensorflow or keras), or
- exit 1 with a line of stderr `FILE:LINE:COL: error: ...` or `FILE: error: ...` (warnings,
  in source order, may come before it),

and never raise out of `specc.cli.main`, print "internal error" (exit 3, specc's catch-all for its
own bugs), hit a RecursionError, hang, or disagree with each other about success. `specc fmt`'s
layout of the same input parses, formats to itself, keeps every comment and means the same:
the same IR, or the same failure to check. Inputs come from
three sources, one test each: sentences of grammar/specc.lark (read when the test runs, so the
fuzzer follows the grammar as it grows), mutations of the real specs in examples/ and tests/, and
random bytes.

By default (CI) each test runs a small, derandomized budget, so runs are reproducible. A long,
randomized run (SPECC_FUZZ_EXAMPLES examples per test):

    SPECC_FUZZ_EXAMPLES=100000 .venv/bin/python -m pytest tests/test_fuzz.py

(add --hypothesis-show-statistics for counts of each outcome).

Each kind of failure is raised as its own exception class, so Hypothesis shrinks and reports
every distinct bug found in one run, not just the first.
"""

from __future__ import annotations

import ast
import collections
import contextlib
import io
import os
import re
import signal
import tempfile
import traceback
from datetime import timedelta
from pathlib import Path
from typing import NoReturn

import lark
import pytest
import typed
from hypothesis import HealthCheck, event, example, given, note, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark.lexer import PatternStr
from support import assert_valid

from specc import TARGETS, cli, fmt
from specc.compiler import analyze, generate
from specc.diagnostics import Source, SpecError
from specc.format import black_format
from specc.runner import Job, run_all

ROOT = Path(__file__).resolve().parent.parent
GRAMMAR = ROOT / "grammar" / "specc.lark"
# What a script may import: its framework, NumPy, os, csv (only when the spec reads a
# csv(...) file) and scikit-learn (for a `dataset`); tests/test_compiler_path.py holds each
# target to its own subset.
ALLOWED_IMPORTS = {
    "os",
    "sys",
    "csv",
    "contextlib",
    "warnings",
    "jax",
    "numpy",
    "sklearn",
    "torch",
    "tensorflow",
    "keras",
}
# A hard stop per CLI call, in CPU seconds (a long run at a low priority waits for the CPU
# without hanging); the Hypothesis deadline reports slow ones.
HANG_SECONDS = 20

# --- budget -----------------------------------------------------------------------------------

_LONG = os.environ.get("SPECC_FUZZ_EXAMPLES")
_COMMON = dict(
    deadline=timedelta(seconds=2),  # a compile takes 10-30 ms
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
    print_blob=True,
)
if _LONG:  # a long run shares the machine at a low priority: the hang alarm times it alone
    _LONG_RUN = {**_COMMON, "deadline": None}
    FUZZ = SENTENCES = settings(max_examples=int(_LONG), derandomize=False, **_LONG_RUN)
else:  # CI: the same examples every run; about 30 s of CPU for the file when specc passes
    FUZZ = settings(max_examples=100, derandomize=True, database=None, **_COMMON)
    # Half of the grammar's sentences nest deeper than Hypothesis draws (it discards them),
    # so each costs twice a well-typed spec, and few get past the checker: fewer in CI.
    SENTENCES = settings(FUZZ, max_examples=60)


# --- running the CLI in-process ------------------------------------------------------------------


class _Hang(BaseException):
    """Raised by SIGPROF inside specc; a BaseException so specc's catch-all cannot swallow it."""


def _alarm(signum: int, frame: object) -> None:
    raise _Hang()


_FAILURE_CLASSES: dict[str, type[AssertionError]] = {}


def _fail(kind: str, detail: str) -> NoReturn:
    """Raise a failure whose class names its kind, so Hypothesis tells distinct bugs apart."""
    key = re.sub(r"\W+", "_", kind).strip("_")[:100] or "failure"
    cls = _FAILURE_CLASSES.get(key)
    if cls is None:
        cls = _FAILURE_CLASSES[key] = type(f"SpeccFuzz_{key}", (AssertionError,), {})
    raise cls(f"{kind}\n{detail}")


def _run(argv: list[str]) -> tuple[int, str, str]:
    """`specc.cli.main(argv)` with stdout and stderr captured, under a hang alarm."""
    out, err = io.StringIO(), io.StringIO()
    alarm = hasattr(signal, "setitimer")  # POSIX, main thread
    if alarm:
        previous = signal.signal(signal.SIGPROF, _alarm)
        signal.setitimer(signal.ITIMER_PROF, HANG_SECONDS)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = cli.main(argv)
    except KeyboardInterrupt:
        raise
    except _Hang:
        _fail("hang", f"specc {' '.join(argv)} took more than {HANG_SECONDS} s of CPU")
    except BaseException as error:
        _fail(
            f"exception escaped main: {type(error).__name__}",
            f"specc {' '.join(argv)}\n{traceback.format_exc()}",
        )
    finally:
        if alarm:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.signal(signal.SIGPROF, previous)
    return status, out.getvalue(), err.getvalue()


def _internal_error_kind(path: Path, target: str | None, stderr: str) -> tuple[str, str]:
    """Re-run the pipeline without the CLI's catch-all: a kind naming where it broke, and the
    traceback."""
    from lark.exceptions import VisitError

    from specc.compiler import analyze, generate
    from specc.diagnostics import Source, SpecError

    first = stderr.splitlines()[0] if stderr else ""
    fallback = first.split(":", 3)[2].strip() if first.count(":") >= 3 else "unknown"
    try:
        read = getattr(cli, "_read", None)  # the CLI's own reading, if it still has one
        source = read(str(path)) if read else Source(str(path), path.read_text("utf-8"))
        spec, _ = analyze(source)
        if target:
            generate(spec, target)
    except (SpecError, OSError, UnicodeDecodeError):
        return f"internal error: {fallback}", "(not reproduced outside the CLI)"
    except Exception as error:
        tb = traceback.format_exc()
        inner = error.orig_exc if isinstance(error, VisitError) else error
        frames = traceback.extract_tb(error.__traceback__)
        if inner is not error:
            frames += traceback.extract_tb(inner.__traceback__)
        ours = [f for f in frames if "/specc/" in f.filename.replace("\\", "/")]
        if isinstance(inner, RecursionError):  # the function that recursed, not where it ran out
            counts = collections.Counter(f.name for f in frames)
            where = counts.most_common(1)[0][0] if counts else "?"
        else:
            where = f"{Path(ours[-1].filename).name}:{ours[-1].name}" if ours else "?"
        return f"internal error: {type(inner).__name__} in {where}", tb
    return f"internal error: {fallback}", "(not reproduced outside the CLI)"


def _imports(tree: ast.AST) -> set[str]:
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            modules.add((node.module or "").split(".")[0] if node.level == 0 else ".")
    return modules


def _check_outcome(argv: list[str], path: Path, target: str | None) -> int:
    """Run one command and assert the invariant; returns its exit status (0 or 1)."""
    status, stdout, stderr = _run(argv)
    event(f"{argv[0]}: exit {status}")
    shown = f"specc {' '.join(argv)}\nexit {status}\nstderr:\n{stderr[:3000]}"
    if status == 0:
        if "internal error" in stderr:
            _fail("internal error with exit 0", shown)
        if target is not None:
            try:
                tree = ast.parse(stdout)
            except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
                _fail(f"build printed invalid Python: {type(error).__name__}", f"{shown}\n{error}")
            if bad := _imports(tree) - ALLOWED_IMPORTS:
                _fail("build printed a script importing other modules", f"{shown}\n{sorted(bad)}")
            if black_format(stdout) != stdout:  # black runs only where a line needs it
                _fail("build printed a script black would change", shown)
        return status
    if status == 1:
        if "internal error" in stderr:
            _fail("internal error with exit 1", shown)
        # Diagnostics come in source order, so a warning may precede the first error.
        located = rf"^{re.escape(str(path))}(:\d+:\d+)?: error: "
        if not any(re.match(located, line) for line in stderr.splitlines()):
            _fail("exit 1 without a located error on stderr", shown)
        return status
    if "internal error" in stderr:
        kind, tb = _internal_error_kind(path, target, stderr)
        _fail(kind, f"{shown}\nreproduced without the CLI's catch-all:\n{tb}")
    _fail(f"unexpected exit status {status}", shown)


@pytest.fixture(scope="module")
def spec_path():
    """One spec file, rewritten for each example; the CLI warmed up (black's import, lark's
    tables) so the deadline measures the compile alone."""
    with tempfile.TemporaryDirectory(prefix="specc-fuzz-") as directory:
        path = Path(directory) / "fuzz.spec"
        path.write_text("layer Dense 1->1\n", encoding="utf-8")
        for target in TARGETS:
            with contextlib.suppress(AssertionError):  # the tests report any failure here
                _run(["build", str(path), "--target", target])
        yield path


def _check_spec(path: Path, data: bytes, target: str) -> None:
    path.write_bytes(data)
    note(f"spec ({len(data)} bytes): {data[:5000]!r}{' ...' if len(data) > 5000 else ''}")
    # `check` alone checks for every target; `check --target T` for T, as `build` does.
    everywhere = _check_outcome(["check", str(path)], path, None)
    checked = _check_outcome(["check", str(path), "--target", target], path, None)
    built = _check_outcome(["build", str(path), "--target", target], path, target)
    if everywhere == 0 and checked != 0:
        _fail("a spec that checks for every target fails for one", f"target {target}")
    if built == 0:  # the checker made the IR without validating it: validation must agree
        try:
            text = data.decode("utf-8").removeprefix("\ufeff")  # as the command line reads it
            assert_valid(analyze(Source(str(path), text), [target])[0])
        except (AssertionError, ValueError) as error:
            _fail("the checker made an invalid IR", f"{type(error).__name__}: {error}")
    if checked != built:
        _fail(
            "check and build disagree",
            f"`specc check --target {target}` exited {checked}, `specc build --target {target}` "
            f"exited {built}",
        )
    _check_fmt(path, data)


def _check_fmt(path: Path, data: bytes) -> None:
    """`specc fmt` on the same spec: a located error where it does not parse; else a layout
    that formats to itself, keeps every comment, and means what the spec means (the same
    IR, or the same failure to check)."""
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return  # the command line refuses it before anything parses it
    source = Source(str(path), text)
    try:
        formatted = fmt.format_spec(source)
    except SpecError:
        return
    except Exception as error:
        _fail(f"fmt raised {type(error).__name__}", traceback.format_exc())
    again = Source(str(path), formatted)
    if fmt.format_spec(again) != formatted:
        _fail("fmt is not idempotent", formatted)
    if [c.text for c in fmt.scan_comments(formatted)] != [c.text for c in fmt.scan_comments(text)]:
        _fail("fmt lost or moved a comment", formatted)
    try:
        original = analyze(source)[0]
    except SpecError:
        original = None
    try:
        spec = analyze(again)[0]
    except SpecError:
        spec = None
    if (original is None) != (spec is None):
        _fail("fmt changed whether a spec checks", formatted)
    if spec != original:
        _fail("fmt changed what a spec means", formatted)


# --- source 1: sentences of the grammar --------------------------------------------------------

# The language's own words, Python's, the generated scripts' and some near misses.
WORDS = (
    "Dense", "dense", "Conv", "relu", "sigmoid", "tanh", "linear", "softmax", "mse", "mae",
    "sgd", "adam", "lr", "momentum", "epochs", "every", "x", "y", "z", "t", "w", "b", "h",
    "randn", "rand", "uniform", "normal", "linspace", "init", "bias", "zeros", "ones",
    "glorot_uniform", "reduction", "mean", "sum", "float32", "float64", "float16", "int32",
    "SimpleNet", "Model", "Net", "fc1", "fc2", "fc1_kernel", "hidden", "hidden1", "np", "os",
    "torch", "tf", "keras", "nn", "rng", "model", "loss", "optimizer", "epoch", "inputs",
    "targets", "outputs", "predictions", "self", "_", "__x", "__init__", "None", "True", "False",
    "class", "def", "lambda", "import", "match", "case", "type", "print", "len", "input", "sum",
    "seed", "dtype", "data", "layer", "param", "forward", "optim", "train", "log", "predict",
    "shape", "size", "low", "high", "std", "start", "stop", "count", "weight", "kernel", "A" * 300,
    "mae", "gd", "steps", "step", "show", "format", "numbers", "shortest", "python", "native",
    "csv", "exp", "sin", "cos", "abs", "sqrt", "W", "learning_rate", "read_csv", "table", "path",
    "columns", "Conv2D", "MaxPool2D", "Flatten", "reshape", "kernel", "stride", "padding",
    "same", "valid", "conv1", "pool1", "flatten1", "windows", "randint", "Conv1D",
    "schedule", "cosine", "exponential", "factor", "min", "StepLR", "scheduler",
)  # fmt: skip
# The words a valid spec uses, drawn more often so that more sentences get past the checker.
CORE_WORDS = (
    "Dense", "x", "y", "relu", "sigmoid", "mse", "sgd", "lr", "momentum", "epochs", "every",
    "init", "bias", "reduction", "sum", "float64", "zeros", "uniform", "normal", "randn",
    "steps", "show", "format", "numbers", "gd", "mae", "w", "b", "csv", "loss", "exp",
    "Conv2D", "MaxPool2D", "Flatten", "reshape", "kernel", "padding", "same",
)  # fmt: skip
NUMBERS = (
    "0", "1", "2", "3", "32", "100", "0.0", "0.5", "1.0", "1.", ".5", "00", "007", "1e0",
    "1e309", "1e308", "1.7976931348623157e308", "1e-320", "5e-324", "1e-400", "0e0", "1E5",
    "4294967295", "4294967296", "2147483648", "9223372036854775808", "100000", "100001",
    "10000000", "10000001", "50000000", "50000001", "1" + "0" * 400, "9" * 4400, "1" * 30,
)  # fmt: skip
STRINGS = (
    '""', '"a"', '"relu"', '"x y"', '"\\n"', '"\\""', '"\\\\"', '"\\x"', '"\\x4"', '"\\x41"',
    '"\\u12"', '"\\U0001F600"', '"\\N{foo}"', '"\\N{BULLET}"', '"\\777"', '"é→"', '"\\é"',
    '"{}"', "\"'''\"", '"{loss}"', '"{epoch}/{loss:.4f}"', '"{step} {loss:>+#012,.3e}"', '"{"',
    '"}"', '"{{}}"', '"{loss!r}"', '"{loss!a}"', '"{loss:{w}}"', '"{0}"', '"{loss.real}"',
    '"{loss[0]}"', '"{w:%}"', '"%s"', '"data.csv"', '"../../etc/passwd"', '"a\\tb"', '"\\x00"',
)  # fmt: skip


def _sentences(grammar: lark.Lark, start: str) -> st.SearchStrategy[str]:
    """Sentences of `start`, tokens separated by spaces, with real words and interesting
    numbers in place of arbitrary matches of the terminals' regular expressions."""
    terminals, _, _ = grammar.grammar.compile([start], ())
    ascii_text = st.characters(min_codepoint=32, max_codepoint=126)
    custom = {
        "NAME": st.one_of(
            st.sampled_from(CORE_WORDS),
            st.sampled_from(CORE_WORDS),
            st.sampled_from(WORDS),
            st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True),
        ),
        "INT": st.one_of(
            st.sampled_from(["1", "1", "1", "2", "3"]),
            st.sampled_from([n for n in NUMBERS if n.isdigit()]),
            st.integers(0, 2**70).map(str),
        ),
        "NUMBER": st.one_of(
            st.sampled_from(["1", "2", "0.5", "3"]),
            st.sampled_from(NUMBERS),
            st.integers(0, 2**70).map(str),
            st.floats(min_value=0, allow_nan=False, allow_infinity=False).map(repr),
        ),
        "STRING": st.one_of(
            st.sampled_from(STRINGS),
            st.text(st.characters(codec="utf-8", exclude_characters='"\\\n'), max_size=10).map(
                lambda s: f'"{s}"'
            ),
        ),
        "_NL": st.sampled_from(["\n", "\n", "\n", "\r\n", "\n\n", "\n \n"]),
        "WS": st.sampled_from(["", " ", "\t", "  ", "\f", "\r"]),
        # Ignored tokens are drawn between any two tokens: a comment there would swallow
        # the rest of the line, so keep them rare.
        "COMMENT": st.sampled_from([""] * 18 + ["# comment", "#"]),
    }
    explicit: dict[str, st.SearchStrategy[str]] = {}
    for terminal in terminals:
        if terminal.name in custom:
            strategy = custom[terminal.name]
        elif isinstance(terminal.pattern, PatternStr):
            strategy = st.just(terminal.pattern.value)
        else:  # a terminal added to the grammar since this test was written
            strategy = st.from_regex(
                terminal.pattern.to_regexp(), fullmatch=True, alphabet=ascii_text
            )
        explicit[terminal.name] = strategy.map(lambda text: " " + text)
    return from_lark(grammar, start=start, explicit=explicit)


def _grammar_strategy() -> st.SearchStrategy[str]:
    """Whole programs of the grammar as it is now, and runs of its statements after a layer
    (so that more of them get past the checker to the renderer)."""
    grammar = lark.Lark(GRAMMAR.read_text(encoding="utf-8"), parser="lalr", start="start")
    programs = _sentences(grammar, "start")
    rules = {rule.origin.name for rule in grammar.rules}
    if "statement" not in rules:
        return programs
    statements = st.lists(_sentences(grammar, "statement"), min_size=1, max_size=5)
    prefix = st.sampled_from(["", "layer Dense 1->1\n", "layer Dense 2->3 relu\n"])
    suffix = st.sampled_from(["", "", "\nlayer Dense 1->1", "\nlayer Dense 1->1\nlayer Dense 1->1"])
    runs = st.builds(lambda p, ss, s: p + "\n".join(ss) + s, prefix, statements, suffix)
    return st.one_of(programs, runs, runs)


@SENTENCES
@given(text=st.deferred(_grammar_strategy), target=st.sampled_from(TARGETS))
def test_grammar_sentences(spec_path: Path, text: str, target: str) -> None:
    _check_spec(spec_path, text.encode("utf-8"), target)


# --- source 2: mutations of the real specs ----------------------------------------------------


def _seed_specs() -> list[str]:
    paths = [*sorted((ROOT / "examples").glob("*.spec"))]
    paths += sorted((ROOT / "tests" / "cases").glob("*/model.spec"))
    paths += sorted((ROOT / "tests" / "errors").glob("*/model.spec"))
    return [p.read_text(encoding="utf-8") for p in paths]


# Characters pasted from documents: arrow, minus, dashes, times, curly quotes, full-width
# punctuation (specc's parse.LOOKALIKES, spelled out here so the test does not import it).
LOOKALIKES = "\u2192\u2212\u2013\u2014\u00d7\u201c\u201d\u2018\u2019\uff1b\uff0c\uff08\uff09\uff1d"
ODD_CHARACTERS = (
    "\x00", "\t", "\r", "\r\n", "\n", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029",
    "\ufeff", "\u200b", "\xa0", "é", "ß", "İ", "ﬁ", "٣", "\U0001d7cf", "😀", "\\", '"', "'",
    "#", ";", "=", ",", "(", ")", "[", "]", "-", "+", "*", "/", "@", ".", "e", "_",
)  # fmt: skip
TOKENS = (
    *WORDS[:60], *NUMBERS, *STRINGS[:8], "->", "=", ",", ";", "(", ")", "[", "]", "[[", "]]",
    "+", "-", "*", "/", "**", "@", "\n", "#",
)  # fmt: skip


def _runs() -> st.SearchStrategy[str]:
    """Long runs: deep nesting, long operator chains, very long lines."""
    unit = st.sampled_from(
        ["(", "[", "((", "[[", "- ", "-", "+", "+ ", "1+", "1*", "2**", "-(", "(-", "x@",
         "1-", "--", "1/", " ", "\t", "x", "9", "1, ", "[1], ", "\n", ";", "data x = 1\n",
         "layer Dense 1->1\n", "# comment\n"]
    )  # fmt: skip
    count = st.one_of(
        st.integers(1, 40), st.sampled_from([31, 32, 33, 100, 200, 300, 500, 1000, 3000])
    )
    return st.builds(lambda u, n: u * n, unit, count)


def _insert(text: str, at: int, piece: str) -> str:
    at = at % (len(text) + 1)
    return text[:at] + piece + text[at:]


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    seeds = _seed_specs()
    text = draw(st.sampled_from(seeds))
    position = st.integers(0, 10**6)
    for _ in range(draw(st.integers(1, 8))):
        op = draw(
            st.sampled_from(
                ["del_line", "dup_line", "swap_lines", "other_line", "ins_char", "del_chars",
                 "replace_char", "ins_token", "replace_token", "ins_run", "long_line", "crlf",
                 "cr", "tabs", "truncate", "bom", "join_lines", "lookalike"]
            )
        )  # fmt: skip
        lines = text.split("\n")
        if op == "del_line":
            del lines[draw(position) % len(lines)]
            text = "\n".join(lines)
        elif op == "dup_line":
            i = draw(position) % len(lines)
            lines.insert(i, lines[i] * draw(st.sampled_from([1, 1, 2])))
            text = "\n".join(lines)
        elif op == "swap_lines":
            i, j = draw(position) % len(lines), draw(position) % len(lines)
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
        elif op == "other_line":
            other = draw(st.sampled_from(seeds)).split("\n")
            lines.insert(draw(position) % (len(lines) + 1), other[draw(position) % len(other)])
            text = "\n".join(lines)
        elif op == "join_lines":
            text = text.replace("\n", draw(st.sampled_from([";", " ", "; ;"])))
        elif op == "ins_char":
            char = draw(
                st.one_of(
                    st.sampled_from(ODD_CHARACTERS), st.sampled_from(LOOKALIKES), st.characters()
                )
            )
            text = _insert(text, draw(position), char)
        elif op == "lookalike":
            plain = {
                "->": "\u2192",  # rightwards arrow
                "-": "\u2212",  # minus sign
                "*": "\u00d7",  # multiplication sign
                "(": "\uff08",  # full-width punctuation
                ")": "\uff09",
                "=": "\uff1d",
                ",": "\uff0c",
                ";": "\uff1b",
            }
            old = draw(st.sampled_from(sorted(plain)))
            text = text.replace(old, plain[old], draw(st.integers(1, 3)))
        elif op == "del_chars" and text:
            at = draw(position) % len(text)
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
        elif op == "replace_char" and text:
            at = draw(position) % len(text)
            char = draw(st.one_of(st.sampled_from(ODD_CHARACTERS), st.characters()))
            text = text[:at] + char + text[at + 1 :]
        elif op == "ins_token":
            token = draw(st.sampled_from(TOKENS))
            text = _insert(text, draw(position), draw(st.sampled_from(["", " "])) + token + " ")
        elif op == "replace_token":
            words = re.findall(r"[A-Za-z_][A-Za-z0-9_]*|[0-9.]+(?:e-?[0-9]+)?", text)
            if words:
                old = draw(st.sampled_from(words))
                text = text.replace(old, draw(st.sampled_from(TOKENS)), draw(st.integers(1, 3)))
        elif op == "ins_run":
            text = _insert(text, draw(position), draw(_runs()))
        elif op == "long_line":
            piece = draw(st.sampled_from(["x", " ", "1", "# ", "1, ", "é"])) * draw(
                st.sampled_from([200, 2000, 20_000])
            )
            text = _insert(text, draw(position), piece)
        elif op == "crlf":
            text = text.replace("\n", "\r\n")
        elif op == "cr":
            text = text.replace("\n", "\r")
        elif op == "tabs":
            text = text.replace(" ", "\t")
        elif op == "truncate":
            text = text[: draw(position) % (len(text) + 1)]
        elif op == "bom":
            text = "\ufeff" + text
    return text.encode("utf-8", "surrogatepass")


@FUZZ
@given(data=_mutated(), target=st.sampled_from(TARGETS))
def test_mutated_specs(spec_path: Path, data: bytes, target: str) -> None:
    _check_spec(spec_path, data, target)


# --- source 3: random bytes ------------------------------------------------------------------

BOMS = (b"\xef\xbb\xbf", b"\xef\xbb\xbf\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


def _random_bytes() -> st.SearchStrategy[bytes]:
    seeds = [s.encode("utf-8") for s in _seed_specs()]
    return st.one_of(
        st.binary(max_size=500),
        st.builds(bytes.__add__, st.sampled_from(BOMS), st.binary(max_size=200)),
        st.builds(bytes.__add__, st.sampled_from(BOMS), st.sampled_from(seeds)),
        st.builds(  # a real spec with random bytes spliced in
            lambda spec, at, junk: spec[: at % (len(spec) + 1)]
            + junk
            + spec[at % (len(spec) + 1) :],
            st.sampled_from(seeds),
            st.integers(0, 10**6),
            st.binary(min_size=1, max_size=8),
        ),
        st.sampled_from(seeds).map(lambda s: s.decode().encode("utf-16")),
        st.sampled_from(seeds).map(
            lambda s: s.decode().replace("->", "→").encode("latin-1", "replace")
        ),
    )


@FUZZ
@given(data=st.deferred(_random_bytes), target=st.sampled_from(TARGETS))
def test_random_bytes(spec_path: Path, data: bytes, target: str) -> None:
    _check_spec(spec_path, data, target)


# --- source 4: well-typed specs ---------------------------------------------------------------


@FUZZ
@given(text=typed.specs(), target=st.sampled_from(TARGETS))
# Found by the long run: a Keras schedule short enough for one line was split over three.
@example(
    text="data x = randn(1, 1)\ndata y = x + 0.5\nlayer Dense 1\nloss mse\n"
    "schedule step every=1 factor=1\ntrain epochs=1 batch=1\n",
    target="keras",
)
def test_well_typed_specs(spec_path: Path, text: str, target: str) -> None:
    """Specs the checker accepts, so that lowering, differentiation, rendering and formatting
    are fuzzed too (tests/typed.py)."""
    _check_spec(spec_path, text.encode("utf-8"), target)


def _drawn_specs(count: int) -> list[str]:
    """`count` well-typed specs, the same ones every run (derandomized)."""
    drawn: list[str] = []

    @settings(max_examples=count, derandomize=True, database=None, **_COMMON)
    @given(typed.specs())
    def collect(text: str) -> None:
        drawn.append(text)

    collect()
    return drawn


def _accepted(text: str, targets: list[str]) -> bool:
    try:
        analyze(Source("typed.spec", text), targets)
    except SpecError:
        return False
    return True


def _targets_of(text: str) -> list[str]:
    """The targets a spec is for: all of them, but NumPy where weights are `native`."""
    return [t for t in TARGETS if t != "numpy" or "native" not in text]


# CI's share and sample; the long run draws SPECC_FUZZ_EXAMPLES specs for both.
SHARE_SPECS = int(_LONG) if _LONG else 200
RUN_SPECS = int(_LONG) // 10 if _LONG else 12


def test_most_well_typed_specs_check_for_every_target() -> None:
    """The generator makes what it says it makes: specs the checker accepts, for every
    target (Keras's located refusals of a summed loss over several outputs aside); but NumPy
    for `native` weights, which the README says it refuses."""
    specs = _drawn_specs(SHARE_SPECS)
    share = sum(_accepted(text, _targets_of(text)) for text in specs) / len(specs)
    print(f"{share:.1%} of {len(specs)} well-typed specs check for every target")
    assert share >= 0.9, f"only {share:.1%} of well-typed specs check"


def test_well_typed_numpy_scripts_train_to_finite_numbers(tmp_path: Path) -> None:
    """A sample's NumPy scripts run: each exits 0, quietly, and prints finite numbers; or,
    reading a CSV file that is not there, stops with the one-line error the README names."""
    specs = [text for text in _drawn_specs(RUN_SPECS * 2) if _accepted(text, ["numpy"])]
    jobs = []
    for n, text in enumerate(specs[:RUN_SPECS]):
        # A folder each: a spec that says `save` writes its file where its script runs.
        script = tmp_path / f"typed{n}" / f"typed{n}_numpy.py"
        script.parent.mkdir()
        spec, _ = analyze(Source("typed.spec", text), ["numpy"])
        script.write_text(generate(spec, "numpy"), encoding="utf-8")
        jobs.append((text, Job(script, {})))
    for text, run in run_all(jobs, warm=True).items():
        shown = f"{text}\nexit {run.returncode}\nstderr:\n{run.stderr}"
        if "csv(" in text:
            assert run.returncode == 1, shown
            assert run.stderr.startswith("error: cannot read the data file 'data.csv'"), shown
            assert run.stderr.count("\n") == 1, shown
            continue
        assert run.returncode == 0 and run.stderr == "", shown
        numbers = re.findall(r"-?(?:nan|inf|\d+\.?\d*(?:e[-+]?\d+)?)", run.stdout)
        assert numbers and not any(n.lstrip("-") in ("nan", "inf") for n in numbers), shown
