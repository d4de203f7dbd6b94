"""Format: check that generated text is Python, and give it in black's style.

black is the formatter of record, and every script is exactly what black makes of the rendered
text; the tests hold every golden and every fuzzed spec's output to that. The templates and the
spelling already lay code out as black does, so only a statement too wide for its line needs
more: a call is broken here as black breaks it (`break_call`); any other such statement is
formatted by black alone; a wide line outside a simple statement (a docstring) has black format
the file. black costs a tenth of a second or more to import and formats about a thousand lines
a second, so a typical build never imports it, and a deep model's build formats what it must.
"""

from __future__ import annotations

import ast
import unicodedata

LINE_LENGTH = 88  # black's default, which every script is formatted to
INDENT = "    "


class GeneratedCodeError(Exception):
    """The renderer produced text that is not valid Python: a bug in specc, never the spec."""


def format_python(source: str, origin: str) -> str:
    """Parse `source` with ast (it must be Python) and give it in black's default style."""
    try:
        tree = ast.parse(source, filename=origin)
    except SyntaxError as error:
        raise GeneratedCodeError(f"specc generated invalid Python for {origin}: {error}") from error
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
    replaced: dict[int, tuple[int, list[str]]] = {}
    alone: list[tuple[int, int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt) or node.end_lineno is None:
            continue
        span = range(node.lineno, node.end_lineno + 1)
        if not wide.intersection(span) or isinstance(node, _COMPOUND):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            return None  # a docstring: black formats its text itself
        broken = _break_statement(node, lines[node.lineno - 1])
        if broken is not None:
            replaced[node.lineno] = (node.lineno, broken)
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
    return out


_COMPOUND = (ast.FunctionDef, ast.ClassDef, ast.For, ast.While, ast.If, ast.With, ast.Try)


def _black_alone(text: str) -> list[str] | None:
    """One simple statement formatted by black at its own indentation."""
    indent = text[: len(text) - len(text.lstrip(" "))]
    body = text.splitlines()
    if not all(line.startswith(indent) or not line.strip() for line in body):
        return None
    import black

    mode = black.Mode(
        target_versions={black.TargetVersion.PY311}, line_length=LINE_LENGTH - len(indent)
    )
    dedented = "\n".join(line[len(indent) :] for line in body) + "\n"
    formatted = black.format_str(dedented, mode=mode)
    return [indent + line if line else line for line in formatted.splitlines()]


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


def _dotted(node: ast.expr) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def break_call(head: str, args: list[str]) -> list[str] | None:
    """A call too wide for one line, as black lays it out: its arguments on one line under
    `head` when they fit, else one per line with a trailing comma; None if neither fits."""
    outer = head[: len(head) - len(head.lstrip())]
    body = outer + INDENT + ", ".join(args)
    if width(body) <= LINE_LENGTH and width(head) <= LINE_LENGTH:
        return [head, body, outer + ")"]
    exploded = [outer + INDENT + arg + "," for arg in args]
    if len(args) < 2 or any(width(line) > LINE_LENGTH for line in exploded):
        return None
    return [head, *exploded, outer + ")"]
