"""Format: check that generated text is Python, and give it in black's style.

black is the formatter of record: every script is what black makes of it, and, but for lists
of numbers too long for a line, exactly what black makes of the rendered text; the tests hold
every golden and every fuzzed spec's output to that. The templates and the spelling already
lay code out as black does, so only a statement too wide for its line needs more:
- a long list of numbers is wrapped here, several numbers or a row to a line, between
  `# fmt: off` and `# fmt: on` (black would give each number a line of its own);
- a call is broken here as black breaks it (`break_call`);
- any other such statement is formatted by black alone, and its layout kept between runs in
  specc's cache directory (`specc.resources.cache_dir`), so a build that meets it again
  does not import black;
- a wide line outside a simple statement (a docstring) has black format the file.
black costs a tenth of a second or more to import and formats about a thousand lines a second,
so a typical build never imports it, and a deep model's build formats only what it must.
"""

from __future__ import annotations

import ast
import functools
import gc
import hashlib
import os
import re
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path

from .resources import cache_dir

LINE_LENGTH = 88  # black's default, which every script is formatted to
INDENT = "    "


class GeneratedCodeError(Exception):
    """The renderer produced text that is not valid Python: a bug in specc, never the spec."""


def format_python(source: str, origin: str) -> str:
    """Parse `source` with ast (it must be Python) and give it in black's default style."""
    collecting = gc.isenabled()
    gc.disable()  # a syntax tree holds no cycles, and a deep model's is large
    try:
        tree = ast.parse(source, filename=origin)
    except SyntaxError as error:
        raise GeneratedCodeError(f"specc generated invalid Python for {origin}: {error}") from error
    finally:
        if collecting:
            gc.enable()
    lines = source.splitlines(keepends=True)
    wide = {n for n, line in enumerate(lines, 1) if width(line.rstrip("\n")) > LINE_LENGTH}
    if not wide:
        return source
    broken = _break_calls(tree, lines, wide)
    return black_format(source) if broken is None else "".join(broken)


def black_format(source: str) -> str:
    """black's output, in a fixed mode: no user configuration (pyproject.toml) is read."""
    import black  # imported only for a script that needs it

    mode = black.Mode(target_versions={black.TargetVersion.PY311}, line_length=LINE_LENGTH)
    return black.format_str(source, mode=mode)


def width(line: str) -> int:
    """Columns a line takes, as black counts them: an East Asian wide character is two (a
    combining mark, which black counts as none, is one here: at worst black runs needlessly)."""
    if line.isascii():
        return len(line)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def _break_calls(tree: ast.Module, lines: list[str], wide: set[int]) -> list[str] | None:
    """`lines` with each statement that has a wide line laid out as black lays it out: by
    `break_call`, else by black on that statement alone (at its indentation, with the line
    length less the indentation, which is what black measures). None when a wide line is
    not in a simple statement (a docstring, a `def` line): black then formats the file."""
    replaced: dict[int, tuple[int, Sequence[str]]] = {}
    alone: list[tuple[int, int, str]] = []
    for node in _statements(tree.body, wide):
        span = range(node.lineno, (node.end_lineno or node.lineno) + 1)
        if isinstance(node, _COMPOUND):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            return None  # a docstring: black formats its text itself
        broken = _wrap_literals(node, lines, wide)
        if broken is None:
            broken = _break_statement(node, lines[node.lineno - 1])
        if broken is None:
            broken = _break_names(node, lines[node.lineno - 1])
        if broken is None:
            broken = _break_elements(node, lines, wide)
        if broken is not None:
            replaced[node.lineno] = (node.end_lineno, broken)
        else:
            alone.append((node.lineno, node.end_lineno, "".join(lines[s - 1] for s in span)))
    for first, last, text in alone:
        broken = _black_alone(text)
        if broken is None:
            return None
        replaced[first] = (last, broken)
    if not all(any(f <= n <= last for f, (last, _) in replaced.items()) for n in wide):
        return None  # a wide line outside every simple statement
    out: list[str] = []
    number = 1
    while number <= len(lines):
        if number in replaced:
            last, parts = replaced[number]
            out.extend(part + "\n" for part in parts)
            number = last + 1
        else:
            out.append(lines[number - 1])
            number += 1
    return _joined_regions(out)


def _statements(body: list[ast.stmt], wide: set[int]) -> Iterator[ast.stmt]:
    """The statements, nested ones too, that a wide line is in (not every node: a deep
    model's tree has a hundred times more)."""
    for node in body:
        last = node.end_lineno or node.lineno
        if not any(node.lineno <= n <= last for n in wide):
            continue
        yield node
        for field in ("body", "orelse", "finalbody"):
            yield from _statements(getattr(node, field, []), wide)
        for handler in getattr(node, "handlers", []):
            yield from _statements(handler.body, wide)


def _joined_regions(lines: list[str]) -> list[str]:
    """Back-to-back `# fmt: on` / `# fmt: off` pairs dropped: one region for both."""
    out: list[str] = []
    for line in lines:
        if out and line.strip() == "# fmt: off" and out[-1] == line.replace("off", "on"):
            out.pop()
        else:
            out.append(line)
    return out


_COMPOUND = (ast.FunctionDef, ast.ClassDef, ast.For, ast.While, ast.If, ast.With, ast.Try)


@functools.lru_cache(maxsize=4096)
def _black_alone(text: str) -> tuple[str, ...] | None:
    """One simple statement formatted by black at its own indentation. Kept: the specs of a
    project built together share many (an optimizer's `compile` line, a `print`), and a
    spec built again meets the same ones (`_kept`)."""
    indent = text[: len(text) - len(text.lstrip(" "))]
    body = text.splitlines()
    if not all(line.startswith(indent) or not line.strip() for line in body):
        return None
    kept = _kept(text)
    if kept is not None and kept.is_file():
        return tuple(kept.read_text(encoding="utf-8").split("\n"))
    import black

    mode = black.Mode(
        target_versions={black.TargetVersion.PY311}, line_length=LINE_LENGTH - len(indent)
    )
    dedented = "\n".join(line[len(indent) :] for line in body) + "\n"
    formatted = black.format_str(dedented, mode=mode)
    laid_out = tuple(indent + line if line else line for line in formatted.splitlines())
    if kept is not None:  # written whole, then renamed: a build beside it reads all or none
        partial = kept.with_name(f"{kept.name}.{os.getpid()}")
        try:
            partial.write_text("\n".join(laid_out), encoding="utf-8")
            os.replace(partial, kept)
        except OSError:
            partial.unlink(missing_ok=True)
    return laid_out


def _kept(text: str) -> Path | None:
    """Where black's layout of a statement is kept between runs: named by the statement, the
    line length and black's version (read without importing black); None for no cache."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        from _black_version import version  # black's own record of its version
    except ImportError:
        return None
    key = hashlib.sha256(f"{version}\0py311\0{LINE_LENGTH}\0{text}".encode()).hexdigest()
    return folder / f"black-{key}.txt"


def _wrap_literals(node: ast.stmt, lines: list[str], wide: set[int]) -> list[str] | None:
    """The statement's lines, each wide one holding a long list of numbers laid out by
    `wrap_literal` (a one-line statement, or one `key: value,` line of a dict), between
    `# fmt: off` and `# fmt: on`, which black (and ruff) honour around a whole statement.
    None when some wide line of the statement is not of that kind."""
    assert node.end_lineno is not None
    alone: dict[int, ast.AST] = {}  # line -> what is alone on it
    if node.lineno == node.end_lineno:
        alone[node.lineno] = node
    for dictionary in ast.walk(node) if node.lineno != node.end_lineno else ():
        if isinstance(dictionary, ast.Dict):
            for key, value in zip(dictionary.keys, dictionary.values, strict=True):
                if key is not None and key.lineno == value.end_lineno:
                    alone[key.lineno] = value
    out: list[str] = []
    for number in range(node.lineno, node.end_lineno + 1):
        line = lines[number - 1].rstrip("\n")
        if number not in wide:
            out.append(line)
            continue
        if number not in alone or not line.isascii():  # (ast's offsets count UTF-8 bytes)
            return None
        tables = list(_tables(alone[number], line))
        if len(tables) != 1:
            return None
        literal, flat, rows = tables[0]
        head, tail = line[: literal.col_offset], line[literal.end_col_offset :]
        # On a line of its own, black's layout of a list that fits on a line is short; a
        # dict's line would leave black the whole dict, so it is wrapped here whatever its size.
        wrapped = wrap_literal(head, flat, rows, tail, short=node.lineno != node.end_lineno)
        if wrapped is None:
            return None
        out.extend(wrapped)
    indent = out[0][: len(out[0]) - len(out[0].lstrip())]
    return [indent + "# fmt: off", *out, indent + "# fmt: on"]


def _tables(node: ast.AST, line: str) -> Iterator[tuple[ast.List, bool, list[list[str]]]]:
    """The outermost list literals of numbers in `node` (on `line`): each with whether it is
    flat, and its rows of numbers as written."""
    for child in ast.iter_child_nodes(node):
        table = _table(child, line) if isinstance(child, ast.List) else None
        if table is None:
            yield from _tables(child, line)
        else:
            yield child, table[0], table[1]


def _numbers(node: ast.expr, line: str) -> list[str] | None:
    """A one-line list literal of numbers as their texts on `line`."""
    if not isinstance(node, ast.List) or not node.elts or node.lineno != node.end_lineno:
        return None
    texts = []
    for element in node.elts:
        number = element.operand if isinstance(element, ast.UnaryOp) else element
        if not isinstance(number, ast.Constant) or type(number.value) not in (int, float):
            return None
        texts.append(line[element.col_offset : element.end_col_offset])
    return texts


def _table(node: ast.List, line: str) -> tuple[bool, list[list[str]]] | None:
    """A list of numbers (flat: one row) or of lists of numbers (a row each), as written."""
    if (flat := _numbers(node, line)) is not None:
        return True, [flat]
    rows = [_numbers(element, line) for element in node.elts]
    if not rows or any(row is None for row in rows):
        return None
    return False, [row for row in rows if row is not None]


def wrap_literal(
    head: str, flat: bool, rows: list[list[str]], tail: str, short: bool = False
) -> list[str] | None:
    """`head[...]tail` with a list of numbers too long for one line, where black would give
    each number a line of its own: a flat list as many to a line as fit, a list of lists a
    row to a line, a long row wrapped under its first number. None when the list fits on a
    line of its own (unless `short`), or `head` or `tail` are too wide."""
    indent = head[: len(head) - len(head.lstrip())]
    inner = indent + INDENT
    texts = [", ".join(row) if flat else "[" + ", ".join(row) + "]" for row in rows]
    if not short and width(inner + "[" + ", ".join(texts) + "],") <= LINE_LENGTH:
        return None
    if flat:
        body = _fill(rows[0], inner, inner)
    else:
        body = []
        for row in rows:
            body += _fill(row, inner + "[", inner + " ", close="]")
    lines = [head + "[", *body, indent + "]" + tail]
    return None if any(width(line) > LINE_LENGTH for line in lines) else lines


def _fill(values: list[str], first: str, rest: str, close: str = "") -> list[str]:
    """`values`, each followed by a comma, as many to a line as fit; the first line starts
    with `first`, the others with `rest`; `close` comes before the last value's comma (a
    row's `]`), and counts where that value goes."""
    lines: list[str] = []
    line, start = first, first
    for n, value in enumerate(values, 1):
        text = f"{value}{close}," if n == len(values) else f"{value},"
        if line != start and width(f"{line} {text}") > LINE_LENGTH:
            lines.append(line)
            line, start = rest, rest
        line += text if line == start else f" {text}"
    lines.append(line)
    return lines


def _break_statement(node: ast.stmt, line: str) -> list[str] | None:
    """A one-line statement `[target = ]name.attr(args)`, broken as black breaks it."""
    if node.end_lineno != node.lineno or not line.endswith(")\n") or "#" in line:
        return None
    if not isinstance(node, ast.Expr) and not (
        isinstance(node, ast.Assign) and len(node.targets) == 1
    ):
        return None
    call = node.value
    if not isinstance(call, ast.Call) or not _dotted(call.func):
        return None
    if call.end_col_offset != len(line) - 1:
        return None
    text = line.rstrip("\n")
    opening = call.func.end_col_offset
    if not text.isascii() or opening is None or text[opening : opening + 1] != "(":
        return None  # (ast's offsets count UTF-8 bytes)
    args = [text[a.col_offset : a.end_col_offset] for a in (*call.args, *call.keywords)]
    return break_call(text[: opening + 1], args)


def _break_elements(node: ast.stmt, lines: list[str], wide: set[int]) -> list[str] | None:
    """A statement over several lines whose wide lines each hold one call and its comma, an
    element of a list or an argument (Sequential's layers, `optimizer=` of Keras's
    `compile`), each broken as black breaks it."""
    assert node.end_lineno is not None
    if node.lineno == node.end_lineno:
        return None
    calls: dict[int, ast.Call] = {}  # line -> the outermost call on it (ast.walk goes out in)
    for call in ast.walk(node):
        if isinstance(call, ast.Call) and call.lineno == call.end_lineno and _dotted(call.func):
            calls.setdefault(call.lineno, call)
    out: list[str] = []
    for number in range(node.lineno, node.end_lineno + 1):
        text = lines[number - 1].rstrip("\n")
        if number not in wide:
            out.append(text)
            continue
        call = calls.get(number)
        if call is None or not text.isascii() or "#" in text:  # (offsets count UTF-8 bytes)
            return None
        opening = call.func.end_col_offset
        if not _ELEMENT.fullmatch(text[: call.col_offset]) or text[call.end_col_offset :] != ",":
            return None
        if opening is None or text[opening : opening + 1] != "(":
            return None
        args = [text[a.col_offset : a.end_col_offset] for a in (*call.args, *call.keywords)]
        broken = break_call(text[: opening + 1], args)
        if broken is None:
            return None
        out += [*broken[:-1], broken[-1] + ","]
    return out


_ELEMENT = re.compile(r" *([A-Za-z_][A-Za-z0-9_]*=)?")  # what may come before it on its line


def _break_names(node: ast.stmt, line: str) -> list[str] | None:
    """`a, b, c = value` and `return first, (a, b, c)` too wide for a line, as black lays
    them out: the names one to a line, each with a comma (a deep model's weights and saved
    activations)."""
    text = line.rstrip("\n")
    if node.end_lineno != node.lineno or "#" in text or not text.isascii():
        return None
    indent = text[: len(text) - len(text.lstrip())]
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        names, value = _names(node.targets[0]), node.value
        if isinstance(value, ast.Call) and not value.args and not value.keywords:
            value = value.func
        if names is None or not _dotted(value):
            return None
        head, rhs = text[: node.value.col_offset] + "(", text[node.value.col_offset :]
        if width(head) <= LINE_LENGTH and width(indent + INDENT + rhs) <= LINE_LENGTH:
            return [head, indent + INDENT + rhs, indent + ")"]  # the names fit: the value moves
        lines = [
            indent + "(",
            *_one_per_line(names, indent),
            f"{indent}) = {text[node.value.col_offset :]}",
        ]
    elif isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple) and node.value.elts:
        last = node.value.elts[-1]
        names = _names(last)
        if names is None or text[last.col_offset] != "(" or last.end_col_offset != len(text):
            return None
        lines = [text[: last.col_offset + 1], *_one_per_line(names, indent), indent + ")"]
    else:
        return None
    return lines if all(width(line) <= LINE_LENGTH for line in lines) else None


def _names(node: ast.expr) -> list[str] | None:
    if not isinstance(node, ast.Tuple) or not all(isinstance(e, ast.Name) for e in node.elts):
        return None
    return [e.id for e in node.elts]  # type: ignore[attr-defined]


def _one_per_line(names: list[str], indent: str) -> list[str]:
    return [f"{indent}{INDENT}{name}," for name in names]


def _dotted(node: ast.expr) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def break_call(head: str, args: list[str]) -> list[str] | None:
    """A call too wide for one line, as black lays it out: its arguments on one line under
    `head` when they fit, else one per line with a trailing comma; None if neither fits."""
    if width(head) > LINE_LENGTH or not args:  # black breaks the left-hand side first,
        return None  # and moves a call without arguments whole (`_break_names`)
    outer = head[: len(head) - len(head.lstrip())]
    body = outer + INDENT + ", ".join(args)
    if width(body) <= LINE_LENGTH:
        return [head, body, outer + ")"]
    exploded = [outer + INDENT + arg + "," for arg in args]
    if len(args) < 2 or any(width(line) > LINE_LENGTH for line in exploded):
        return None
    return [head, *exploded, outer + ")"]
