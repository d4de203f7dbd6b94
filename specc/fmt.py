"""Format: a spec in its canonical layout (`specc fmt`), every comment and the meaning kept.

The layout: one statement per line, each written as the README writes it (`layer Dense
1->32 relu`, `optim sgd lr=0.1 momentum=0.9`: options `key=value` in the order the
vocabulary lists them, a layer's activation after its options), operators spaced as black
spaces Python's (`x**2`, `(x + 1) ** 2`), the brackets a spec writes to group kept, at most
one blank line between statements, and none at the ends.

Comments are never lost. A comment on a line of its own stays on its own line; one after a
statement stays after it, two spaces after the code, and comments on consecutive lines are
aligned, as gofmt aligns them (at the column the spec aligned them at, where it did). A list
or call that the spec spreads over several lines stays spread, one line per source line of
its items (a matrix keeps its rows), each indented by four spaces and ended by a comma (a
call's last one excepted: the grammar takes none there), with the comments between them.

`format_spec` parses the result again and checks that it says what the spec said, with the
same comments, before anything is written.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from . import syntax as s
from .diagnostics import Source, Span
from .parse import parse

INDENT = "    "
_OPTION_WORDS = {"loss": "LOSSES", "optim": "OPTIMIZERS", "schedule": "SCHEDULES"}


class _Comment(NamedTuple):
    line: int  # 1-based
    column: int  # 1-based, where `#` is
    text: str  # normalized: `# text`, trailing blanks dropped


@dataclass
class _Line:
    """One output line: its code, and the comment after it with the column it had."""

    code: str
    comment: str | None = None
    column: int | None = None  # the comment's 1-based source column (a trailing comment)

    @property
    def standalone(self) -> bool:
        return not self.code.strip()


def format_spec(source: Source) -> str:
    """The spec's canonical layout; SpecError for a spec that does not parse."""
    program = parse(source, grouping=True)
    comments = scan_comments(source.text)
    text = _Layout(source, program, comments).text()
    _same_meaning(source, program, comments, text)
    return text


def scan_comments(text: str) -> list[_Comment]:
    """Every `#` comment of a spec that parses, by line: a `#` outside a string starts one
    (strings end on their own line)."""
    found = []
    for number, line in enumerate(text.split("\n"), 1):
        quoted = escaped = False
        for index, char in enumerate(line):
            if escaped:
                escaped = False
            elif quoted:
                escaped = char == "\\"
                quoted = char != '"'
            elif char == '"':
                quoted = True
            elif char == "#":
                found.append(_Comment(number, index + 1, _normalized(line[index:])))
                break
    return found


def _normalized(comment: str) -> str:
    """`#text` as black writes it, `# text`; trailing blanks dropped."""
    body = comment[1:].rstrip()
    if body and body[0] not in " !:#'":
        body = " " + body
    return "#" + body


class _Layout:
    """The canonical lines of one parsed spec."""

    def __init__(self, source: Source, program: s.Program, comments: list[_Comment]) -> None:
        self.lines = [line.removesuffix("\r") for line in source.text.split("\n")]
        self.program = program
        self.comments = {c.line: c for c in comments}
        self.used: set[int] = set()  # lines whose comment is written

    def text(self) -> str:
        """The whole spec, laid out."""
        units = self._units()
        out: list[_Line] = []
        previous_end = None
        for first, last, lines in units:
            if previous_end is not None and self._blank_between(previous_end, first):
                out.append(_Line(""))
            out.extend(lines)
            previous_end = last
        return "".join(line + "\n" for line in _aligned(out))

    def _units(self) -> list[tuple[int, int, list[_Line]]]:
        """Statements and comments on lines of their own, in source order, each with its
        first and last source line."""
        units: list[tuple[int, int, list[_Line]]] = []
        statements = self.program.statements
        for index, stmt in enumerate(statements):
            lines = self._statement(stmt)  # takes the comments its lists hold
            trailing = self.comments.get(stmt.span.end_line)
            after = statements[index + 1].span if index + 1 < len(statements) else None
            # A comment on a statement's last line follows it, unless another one starts
            # between them (`a; b  # of b`).
            if self._free(stmt.span.end_line) and trailing and not _between(after, trailing):
                self.used.add(trailing.line)
                lines[-1].comment, lines[-1].column = trailing.text, trailing.column
            # Comments inside a statement that no list could hold go on lines before it.
            inside = range(stmt.span.line, stmt.span.end_line)
            stray = [self._take(line) for line in inside if self._free(line)]
            units.append((stmt.span.line, stmt.span.end_line, [*stray, *lines]))
        for comment in self.comments.values():
            if comment.line not in self.used:
                units.append((comment.line, comment.line, [_Line("", comment.text)]))
        units.sort(key=lambda unit: unit[0])
        return units

    def _blank_between(self, after: int, before: int) -> bool:
        return any(not self.lines[n - 1].strip() for n in range(after + 1, before))

    def _free(self, line: int) -> bool:
        return line in self.comments and line not in self.used

    def _take(self, line: int) -> _Line:
        self.used.add(line)
        return _Line("", self.comments[line].text)

    # statements ----------------------------------------------------------------------

    def _statement(self, stmt: s.Statement) -> list[_Line]:
        parts: list[str | list[_Line]] = [stmt.keyword.text]
        match stmt:
            case s.ModelStmt() | s.DtypeStmt() | s.DeviceStmt():
                parts.append(stmt.name.text)
            case s.SeedStmt() | s.PredictStmt():
                parts.append(self._expr(stmt.value))
            case s.DataStmt():
                parts += [", ".join(w.text for w in stmt.names), "=", self._expr(stmt.value)]
            case s.LayerStmt():
                parts.append(stmt.kind.text)
                if stmt.size_in is not None and stmt.size_out is not None:
                    parts.append(f"{_number(stmt.size_in)}->{_number(stmt.size_out)}")
                elif stmt.number is not None:
                    parts.append(_number(stmt.number))
                parts += self._options(stmt.options, _layer_options(stmt.kind.text))
                parts += [word.text for word in stmt.words]
            case s.ParamStmt():
                parts.append(f"{stmt.name.text}[{', '.join(map(_number, stmt.shape))}]")
                if stmt.init is not None:
                    parts += ["=", self._expr(stmt.init)]
            case s.ForwardStmt():
                parts += [stmt.name.text, "=", self._expr(stmt.value)]
            case s.LossStmt() | s.OptimStmt() | s.ScheduleStmt():
                parts.append(stmt.kind.text)
                order = _word_options(_OPTION_WORDS[stmt.keyword.text], stmt.kind.text)
                parts += self._options(stmt.options, order)
            case s.TrainStmt() | s.SplitStmt() | s.LogStmt() | s.DistributeStmt():
                parts += self._options(stmt.options, _statement_options(stmt.keyword.text))
            case s.SaveStmt():
                parts.append(self._raw(stmt.name.span))
        return _joined(parts, " ")

    def _options(self, options: Sequence[s.Option], order: Sequence[str]) -> list[list[_Line]]:
        """`key=value,value` each, known keys in the vocabulary's order, then the others as
        written (the checker reports them)."""
        rank = {name: index for index, name in enumerate(order)}
        ordered = sorted(options, key=lambda option: rank.get(option.key.text, len(rank)))
        written = []
        for option in ordered:
            values = [self._expr(value) for value in option.values]
            written.append(_joined([f"{option.key.text}=", _joined(values, ",")], ""))
        return written

    # expressions ---------------------------------------------------------------------

    def _expr(self, expr: s.Expr) -> list[_Line]:
        match expr:
            case s.Number():
                return [_Line(_number(expr))]
            case s.Name():
                return [_Line(expr.id)]
            case s.String():
                return [_Line(self._raw(expr.span))]
            case s.Paren():
                return _joined(["(", self._expr(expr.inner), ")"], "")
            case s.Unary():
                return _joined([expr.op, self._expr(expr.operand)], "")
            case s.BinOp():
                hug = expr.op == "**" and _simple(expr.left) and _simple(expr.right)
                space = "" if hug else " "
                return _joined([self._expr(expr.left), expr.op, self._expr(expr.right)], space)
            case s.Rows():
                start = self._expr(expr.start) if expr.start is not None else ""
                stop = self._expr(expr.stop) if expr.stop is not None else ""
                return _joined([expr.name.id, "[", start, ":", stop, "]"], "")
            case s.Array():
                return self._items("[", expr.items, "]", expr.span, comma=True)
            case s.Call():
                return self._items(f"{expr.func.text}(", _arguments(expr), ")", expr.span)
        raise AssertionError(f"no layout for {type(expr).__name__}")

    def _items(
        self,
        opening: str,
        items: Sequence[s.Expr | s.Kwarg],
        closing: str,
        span: Span,
        comma: bool = False,
    ) -> list[_Line]:
        """A list or call's items: on one line as `[a, b]`, or, where the spec spreads them
        over several lines, one line per source line of items, with their comments."""
        if span.line == span.end_line or not items:
            flat = [self._item(item) for item in items]
            return _joined([opening, _joined(flat, ", "), closing], "")
        lines = [_Line(opening)]
        if self._free(span.line) and _start(items[0]).line > span.line:
            comment = self.comments[span.line]
            self.used.add(span.line)
            lines[0].comment, lines[0].column = comment.text, comment.column
        groups = _groups(items)
        cursor = span.line + 1  # the first line whose comments are not placed yet
        for number, group in enumerate(groups):
            first, last = _start(group[0]).line, _end(group[-1])
            lines += [_indented(self._take(n)) for n in range(cursor, first) if self._free(n)]
            body = _joined([self._item(item) for item in group], ", ")
            if comma or number < len(groups) - 1:
                body[-1].code += ","
            trailing = self.comments.get(last.end_line)
            # A comment on the closing bracket's line comes after it, and one on a line where
            # the next group starts comes after that group: neither is this group's.
            following = _start(groups[number + 1][0]).line if number + 1 < len(groups) else None
            ends = last.end_line not in (span.end_line, following)
            if self._free(last.end_line) and trailing and ends:
                self.used.add(last.end_line)
                body[-1].comment, body[-1].column = trailing.text, trailing.column
            lines += [_indented(line) for line in body]
            cursor = max(cursor, last.end_line + 1)
        lines += [_indented(self._take(n)) for n in range(cursor, span.end_line) if self._free(n)]
        lines.append(_Line(closing))
        return lines

    def _item(self, item: s.Expr | s.Kwarg) -> list[_Line]:
        if isinstance(item, s.Kwarg):
            return _joined([f"{item.key.text}=", self._expr(item.value)], "")
        return self._expr(item)

    def _raw(self, span: Span) -> str:
        """A token as written (strings keep their escapes)."""
        return self.lines[span.line - 1][span.column - 1 : span.end_column - 1]


# helpers ---------------------------------------------------------------------------


def _between(span: Span | None, comment: _Comment) -> bool:
    """Whether the statement at `span` starts on the comment's line, before it."""
    return span is not None and (span.line, span.column) < (comment.line, comment.column)


def _number(number: s.Number) -> str:
    """A number as written, its exponent's `E` lower-cased as black writes it."""
    return number.text.lower()


def _simple(expr: s.Expr) -> bool:
    """An operand `**` hugs, as black decides: a name or number, or one negated."""
    if isinstance(expr, s.Unary):
        expr = expr.operand
    return isinstance(expr, s.Number | s.Name)


def _arguments(call: s.Call) -> list[s.Expr | s.Kwarg]:
    """A call's arguments in the order written (positional and keyword ones may mix)."""
    return sorted([*call.args, *call.kwargs], key=lambda item: _start(item))


def _start(item: s.Expr | s.Kwarg) -> Span:
    return item.key.span if isinstance(item, s.Kwarg) else item.span


def _end(item: s.Expr | s.Kwarg) -> Span:
    return _end(item.value) if isinstance(item, s.Kwarg) else item.span


def _groups(items: Sequence[s.Expr | s.Kwarg]) -> list[list[s.Expr | s.Kwarg]]:
    """Items that share a source line, together; an item spread over lines, alone."""
    groups: list[list[s.Expr | s.Kwarg]] = []
    for item in items:
        spread = _start(item).line != _end(item).end_line
        if groups and not spread and _start(item).line == _end(groups[-1][-1]).end_line:
            last = groups[-1][-1]
            if _start(last).line == _end(last).end_line:
                groups[-1].append(item)
                continue
        groups.append([item])
    return groups


def _joined(parts: Iterable[str | list[_Line]], separator: str) -> list[_Line]:
    """Parts written one after the other: each part's first line continues the line before."""
    lines: list[_Line] = []
    for part in parts:
        if isinstance(part, str):
            part = [_Line(part)]
        if not part:
            continue
        if not lines:
            lines = [_Line(p.code, p.comment, p.column) for p in part]
            continue
        head = part[0]
        last = lines[-1]
        # Only a spread list's `[` line carries a comment, and nothing is written after it.
        last.code += (separator if head.code else "") + head.code
        if head.comment is not None:
            last.comment, last.column = head.comment, head.column
        lines += [_Line(p.code, p.comment, p.column) for p in part[1:]]
    return lines or [_Line("")]


def _plain(line: _Line) -> str:
    if line.comment is None:
        return line.code
    return line.code + line.comment if line.standalone else f"{line.code}  {line.comment}"


def _indented(line: _Line) -> _Line:
    return _Line(INDENT + line.code, line.comment, line.column)


def _aligned(lines: list[_Line]) -> list[str]:
    """The lines as text, the comments after code aligned as gofmt aligns them: on a run of
    consecutive lines that have one, two spaces after the longest code of the run, or where
    the spec already aligned that run's comments, at that column if the code leaves room."""
    out = [_plain(line) for line in lines]
    index = 0
    while index < len(lines):
        if not _trailing(lines[index]):
            index += 1
            continue
        run = [index]
        while run[-1] + 1 < len(lines) and _trailing(lines[run[-1] + 1]):
            run.append(run[-1] + 1)
        columns = {lines[n].column for n in run}
        written = (columns.pop() or 1) - 1 if len(run) > 1 and len(columns) == 1 else 0
        column = max(written, *(len(lines[n].code) + 2 for n in run))
        for n in run:
            out[n] = lines[n].code.ljust(column) + str(lines[n].comment)
        index = run[-1] + 1
    return out


def _trailing(line: _Line) -> bool:
    return line.comment is not None and not line.standalone


# the vocabulary's order of options -----------------------------------------------------


@functools.cache
def _layer_options(kind: str) -> tuple[str, ...]:
    from .layers import KINDS  # the layer kinds load only where a spec has layers

    found = KINDS.get(kind)
    return tuple(o.name for o in found.word.options) if found else ()


@functools.cache
def _word_options(category: str, name: str) -> tuple[str, ...]:
    from . import vocabulary

    words = getattr(vocabulary, category)
    return tuple(o.name for o in words[name].options) if name in words else ()


@functools.cache
def _statement_options(keyword: str) -> tuple[str, ...]:
    from . import vocabulary

    word = {
        "train": vocabulary.TRAIN_OPTIONS,
        "split": vocabulary.SPLIT_OPTIONS,
        "log": vocabulary.LOG_OPTIONS,
        "distribute": vocabulary.DISTRIBUTE_OPTIONS,
    }[keyword]
    return tuple(o.name for o in word.options)


# the check that nothing but the layout changed -----------------------------------------


def _same_meaning(source: Source, program: s.Program, comments: list[_Comment], text: str) -> None:
    """Parse the layout again: the same syntax, spans and option order aside, and the same
    comments in the same order, or an AssertionError (a bug in specc, reported as one)."""
    again = parse(Source(source.filename, text), grouping=True)
    if _shape(again) != _shape(program):
        raise AssertionError(f"{source.filename}: specc fmt would change what the spec says")
    if [c.text for c in scan_comments(text)] != [c.text for c in comments]:
        raise AssertionError(f"{source.filename}: specc fmt would move or lose a comment")


def _shape(node: object) -> object:
    """A syntax node without its positions, the spelling of its numbers or its options'
    order: what the spec says."""
    if isinstance(node, s.Word):
        return node.text
    if isinstance(node, s.Number):
        return (type(node.value).__name__, node.value)
    if isinstance(node, tuple) and hasattr(node, "_fields"):
        fields = {f: getattr(node, f) for f in node._fields if f not in ("span", "text")}
        if "options" in fields:
            fields["options"] = sorted(fields["options"], key=lambda o: o.key.text)
        return (type(node).__name__, *(_shape(v) for v in fields.values()))
    if isinstance(node, tuple | list):
        return tuple(_shape(item) for item in node)
    return node
