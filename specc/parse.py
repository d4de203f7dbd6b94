"""Parse: spec text -> syntax tree with positions, or located syntax errors."""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Iterator
from typing import Any, NamedTuple

import lark
from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.lexer import PatternStr

from . import syntax as s
from .diagnostics import Diagnostic, Source, Span, SpecError, did_you_mean, one_of
from .resources import cache_dir, resource_dir

MAX_NESTING = 32  # brackets deeper than this are an error, not a RecursionError
MAX_DEPTH = 100  # brackets and chained operators: the syntax tree's depth, bounded

KEYWORDS = (
    "model", "seed", "dtype", "data", "layer", "param", "forward",
    "loss", "optim", "schedule", "train", "split", "log", "predict", "save",
    "distribute", "device",
)  # fmt: skip

# Characters people paste from documents, and what they meant.
LOOKALIKES = {
    "\u2192": "->",  # rightwards arrow
    "\u2212": "-",  # minus sign
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u00d7": "*",  # multiplication sign
    "\u201c": '"',  # curly double quotes
    "\u201d": '"',
    "\u2018": "'",  # curly single quotes
    "\u2019": "'",
    "\uff1b": ";",  # full-width punctuation
    "\uff0c": ",",
    "\uff08": "(",
    "\uff09": ")",
    "\uff1d": "=",
}

# Terminals whose name says nothing to a user.
_WORDS = {
    "NAME": "a name",
    "INT": "a whole number",
    "NUMBER": "a number",
    "NUMBERS": "`[`",  # a list of numbers: one token, as the start of any list is
    "STRING": 'a string in "double quotes"',
    "COMPARE": "a comparison",
    "_NL": "the end of the line",
    "$END": "the end of the file",
    "_END_OF_STATEMENT": "the end of the statement",
}
_STATEMENT_END = {"_NL", "SEMICOLON", "$END"}


class _Limits:
    """Post-lexer: drop newlines inside brackets, and refuse nesting that would recurse deep.

    An expression's depth is its open brackets plus the operators chained at each level
    (`1 + 1 + 1` and `- - x` nest as deep as they are long); commas start a new item, as a
    colon does between the bounds of rows (`x[1:3]`).
    """

    always_accept = ("_NL",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        chain = [0]  # operators chained at each open bracket level
        for token in stream:
            kind = token.type
            if kind == "NUMBERS" and len(chain) >= MAX_NESTING:  # a bracket that closes at once
                raise _TooDeep(_opening(token), f"brackets nested more than {MAX_NESTING} deep")
            if kind in ("LPAR", "LSQB"):
                chain.append(0)
                if len(chain) > MAX_NESTING:
                    raise _TooDeep(token, f"brackets nested more than {MAX_NESTING} deep")
            elif kind in ("RPAR", "RSQB"):
                if len(chain) > 1:
                    chain.pop()
            elif kind in ("COMMA", "COLON"):  # a new item, or the other bound of rows
                chain[-1] = 0
            elif kind in ("_NL", "SEMICOLON") and len(chain) == 1:
                chain = [0]
            elif kind in _OPERATORS:
                chain[-1] += 1
                if sum(chain) + len(chain) > MAX_DEPTH:
                    raise _TooDeep(token, f"this expression nests more than {MAX_DEPTH} deep")
            if kind == "_NL" and len(chain) > 1:
                continue
            yield token


_OPERATORS = {"PLUS", "MINUS", "STAR", "SLASH", "_POW", "AT", "COMPARE"}


def _opening(numbers: Token) -> Token:
    """The `[` that a NUMBERS token starts with, as the parser would have met it alone."""
    line, column = numbers.line, numbers.column
    return Token("LSQB", "[", line=line, column=column, end_line=line, end_column=column + 1)


class _TooDeep(Exception):
    def __init__(self, token: Token, message: str) -> None:
        self.token = token
        self.message = message


@functools.cache
def _parser() -> Lark:
    # The parse tables are cached between runs in specc's own cache directory (lark checks
    # the grammar's hash): not with `cache=True`, a file anyone may make first (`cache_dir`).
    folder = cache_dir()
    version = f"lark{lark.__version__}-py{sys.version_info[0]}{sys.version_info[1]}"
    return Lark(
        (resource_dir("grammar") / "specc.lark").read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        postlex=_Limits(),
        propagate_positions=True,
        maybe_placeholders=False,
        cache=False if folder is None else str(folder / f"grammar-{version}.lark"),
    )


def _span(item: Token | Any) -> Span:
    """Span of a token or of a tree's meta."""
    return Span(item.line, item.column, item.end_line, item.end_column)


@v_args(meta=True, inline=True)
class _ToSyntax(Transformer):
    """Lark tree -> syntax nodes. Anonymous keywords are filtered, so spans come from meta."""

    def start(self, meta: Any, *statements: s.Statement) -> s.Program:
        return s.Program(tuple(statements))

    # statements
    def _head(self, meta: Any, keyword: str) -> dict[str, Any]:
        span = _span(meta)
        kw = s.Word(keyword, Span(span.line, span.column, span.line, span.column + len(keyword)))
        return {"keyword": kw, "span": span}

    def model_stmt(self, meta: Any, name: Token) -> s.ModelStmt:
        return s.ModelStmt(**self._head(meta, "model"), name=_word(name))

    def seed_stmt(self, meta: Any, value: s.Expr) -> s.SeedStmt:
        return s.SeedStmt(**self._head(meta, "seed"), value=value)

    def dtype_stmt(self, meta: Any, name: Token) -> s.DtypeStmt:
        return s.DtypeStmt(**self._head(meta, "dtype"), name=_word(name))

    def data_stmt(self, meta: Any, *rest: Any) -> s.DataStmt:
        *names, value = rest
        return s.DataStmt(**self._head(meta, "data"), names=tuple(map(_word, names)), value=value)

    def layer_stmt(self, meta: Any, kind: Token, *rest: Any) -> s.LayerStmt:
        first = rest[0] if rest else None
        arrow = type(first) is tuple  # `sizes`' pair (an Option is a tuple too)
        number = isinstance(first, Token) and first.type == "NUMBER"
        parts = rest[1:] if arrow or number else rest
        return s.LayerStmt(
            **self._head(meta, "layer"),
            kind=_word(kind),
            size_in=first[0] if arrow else None,
            size_out=first[1] if arrow else None,
            number=_number(first) if number else None,
            words=tuple(_word(r) for r in parts if isinstance(r, Token)),
            options=tuple(r for r in parts if isinstance(r, s.Option)),
        )

    def sizes(self, meta: Any, size_in: Token, size_out: Token) -> tuple:
        return (_number(size_in), _number(size_out))

    def param_stmt(self, meta: Any, name: Token, *rest: Any) -> s.ParamStmt:
        sizes = tuple(_number(r) for r in rest if isinstance(r, Token))
        init = rest[-1] if rest and not isinstance(rest[-1], Token) else None
        return s.ParamStmt(**self._head(meta, "param"), name=_word(name), shape=sizes, init=init)

    def forward_stmt(self, meta: Any, name: Token, value: s.Expr) -> s.ForwardStmt:
        return s.ForwardStmt(**self._head(meta, "forward"), name=_word(name), value=value)

    def loss_stmt(self, meta: Any, kind: Token, *options: s.Option) -> s.LossStmt:
        return s.LossStmt(**self._head(meta, "loss"), kind=_word(kind), options=options)

    def optim_stmt(self, meta: Any, kind: Token, *options: s.Option) -> s.OptimStmt:
        return s.OptimStmt(**self._head(meta, "optim"), kind=_word(kind), options=options)

    def schedule_stmt(self, meta: Any, kind: Token, *options: s.Option) -> s.ScheduleStmt:
        return s.ScheduleStmt(**self._head(meta, "schedule"), kind=_word(kind), options=options)

    def train_stmt(self, meta: Any, *options: s.Option) -> s.TrainStmt:
        return s.TrainStmt(**self._head(meta, "train"), options=options)

    def split_stmt(self, meta: Any, *options: s.Option) -> s.SplitStmt:
        return s.SplitStmt(**self._head(meta, "split"), options=options)

    def log_stmt(self, meta: Any, *options: s.Option) -> s.LogStmt:
        return s.LogStmt(**self._head(meta, "log"), options=options)

    def predict_stmt(self, meta: Any, value: s.Expr) -> s.PredictStmt:
        return s.PredictStmt(**self._head(meta, "predict"), value=value)

    def save_stmt(self, meta: Any, name: Token) -> s.SaveStmt:
        string = s.String(_unquote(str(name)), _span(name))
        return s.SaveStmt(**self._head(meta, "save"), name=string)

    def distribute_stmt(self, meta: Any, *options: s.Option) -> s.DistributeStmt:
        return s.DistributeStmt(**self._head(meta, "distribute"), options=options)

    def device_stmt(self, meta: Any, name: Token) -> s.DeviceStmt:
        return s.DeviceStmt(**self._head(meta, "device"), name=_word(name))

    def option(self, meta: Any, key: Token, *values: s.Expr) -> s.Option:
        return s.Option(_word(key), values, _span(meta))

    # expressions
    def number(self, meta: Any, token: Token) -> s.Number:
        return _number(token)

    def name(self, meta: Any, token: Token) -> s.Name:
        return s.Name(str(token), _span(token))

    def string(self, meta: Any, token: Token) -> s.String:
        return s.String(_unquote(str(token)), _span(token))

    def call(self, meta: Any, func: Token, *args: Any) -> s.Call:
        positional = tuple(a for a in args if not isinstance(a, s.Kwarg))
        keywords = tuple(a for a in args if isinstance(a, s.Kwarg))
        return s.Call(_word(func), positional, keywords, _span(meta))

    def rows(self, meta: Any, name: Token, *bounds: Any) -> s.Rows:
        colon = next(i for i, b in enumerate(bounds) if isinstance(b, Token) and b == ":")
        start = bounds[colon - 1] if colon else None
        stop = bounds[colon + 1] if colon + 1 < len(bounds) else None
        return s.Rows(s.Name(str(name), _span(name)), start, stop, _span(meta))

    def kwarg(self, meta: Any, key: Token, value: s.Expr) -> s.Kwarg:
        return s.Kwarg(_word(key), value)

    def paren(self, meta: Any, inner: s.Expr) -> s.Expr:
        """`(a + b)`: the brackets only group (`specc fmt` keeps them: `_Grouping`)."""
        return inner

    def array(self, meta: Any, *items: s.Expr) -> s.Array:
        return s.Array(items, _span(meta))

    def numbers(self, meta: Any, token: Token) -> s.Array:
        """A NUMBERS token: the `array` its numbers would have parsed to, spans and all."""
        items: list[s.Expr] = []
        line = token.line
        for match in _SIGNED_NUMBER.finditer(str(token)):
            start, end = token.column + match.start(), token.column + match.end()
            text = match["number"]
            number = _number(
                Token(
                    "NUMBER", text, line=line, column=end - len(text), end_line=line, end_column=end
                )
            )
            items.append(
                s.Unary("-", number, Span(line, start, line, end)) if match["sign"] else number
            )
        return s.Array(tuple(items), _span(token))

    def _binop(op: str):  # type: ignore[misc]
        def method(self: Any, meta: Any, left: s.Expr, right: s.Expr) -> s.BinOp:
            return s.BinOp(op, left, right, _span(meta))

        return method

    add = _binop("+")
    sub = _binop("-")
    mul = _binop("*")
    div = _binop("/")
    pow = _binop("**")
    matmul = _binop("@")

    def compare(self, meta: Any, left: s.Expr, op: Token, right: s.Expr) -> s.BinOp:
        return s.BinOp(str(op), left, right, _span(meta))

    def neg(self, meta: Any, operand: s.Expr) -> s.Unary:
        return s.Unary("-", operand, _span(meta))

    def pos(self, meta: Any, operand: s.Expr) -> s.Unary:
        return s.Unary("+", operand, _span(meta))


def _word(token: Token) -> s.Word:
    return s.Word(str(token), _span(token))


def _number(token: Token) -> s.Number:
    text = str(token)
    # Python refuses to convert integers of thousands of digits; as floats they become inf,
    # which the checker reports as out of range.
    value: int | float = int(text) if text.isdigit() and len(text) < 1000 else float(text)
    return s.Number(value, text, _span(token))


_SIGNED_NUMBER = re.compile(
    r"(?P<sign>-[ \t]*)?(?P<number>([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?)"
)

_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _unquote(text: str) -> str:
    """A string token's value: \\n, \\t, \\" and \\\\ are escapes; any other \\c is c."""
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m[1], m[1]), text[1:-1])


@v_args(meta=True, inline=True)
class _Grouping(_ToSyntax):
    """The syntax tree with the brackets that only group kept, as `specc fmt` needs it."""

    def paren(self, meta: Any, inner: s.Expr) -> s.Paren:
        return s.Paren(inner, _span(meta))


def parse(source: Source, *, grouping: bool = False) -> s.Program:
    """Parse a spec, or raise SpecError with the located syntax error; `grouping` keeps
    brackets that only group as `Paren` nodes (for `specc fmt`)."""
    try:
        tree = _parser().parse(source.text)
    except UnexpectedInput as error:
        raise SpecError(source, [_syntax_error(source, error)]) from None
    except _TooDeep as error:
        diagnostic = Diagnostic.error(
            error.message,
            _span(error.token),
            "split it into several `data` lines, each naming a part",
        )
        raise SpecError(source, [diagnostic]) from None
    return (_Grouping() if grouping else _ToSyntax()).transform(tree)


def _syntax_error(source: Source, error: UnexpectedInput) -> Diagnostic:
    """Say in words what was found and what was expected."""
    if isinstance(error, UnexpectedCharacters):
        return _character_error(source, error)
    found = _Found.of(source, error)
    words = _describe(found.expected)
    for rule in (_statement_error, _arrow_error, _name_error, _option_error):
        if diagnostic := rule(source, found, words):
            return diagnostic
    help_text = "options are written `name=value`, as in `lr=0.01`" if words == ["`=`"] else None
    return Diagnostic.error(f"expected {_either(words)}, found {found.text}", found.span, help_text)


def _character_error(source: Source, error: UnexpectedCharacters) -> Diagnostic:
    """A character no token starts with: pasted look-alikes and quotes get a hint."""
    char = source.text[error.pos_in_stream] if error.pos_in_stream < len(source.text) else ""
    span = Span.point(error.line, error.column)
    if char in LOOKALIKES:
        return Diagnostic.error(
            f"unexpected character `{char}` (U+{ord(char):04X})",
            span,
            f"write `{LOOKALIKES[char]}` instead: specs are plain ASCII outside strings",
        )
    if char == '"':
        return Diagnostic.error(
            "this string is not closed", span, 'a string ends with `"` on the same line'
        )
    if char == "'":
        return Diagnostic.error("strings are written in double quotes", span, 'write "like this"')
    shown = char if char.isprintable() else repr(char)
    return Diagnostic.error(f"unexpected character `{shown}`", span)


class _Found(NamedTuple):
    """The token the parser could not take (None at the end of the file), and what it wanted."""

    token: Token | None
    span: Span
    text: str  # the token in words: "`32`", "the end of the line"
    expected: set[str]

    @classmethod
    def of(cls, source: Source, error: UnexpectedInput) -> _Found:
        """Where an unexpected token or end of file is, and what the parser expected there."""
        if isinstance(error, UnexpectedToken):
            token: Token | None = error.token
            # The parser's own choices: the lexer's `expected` adds always-accepted newlines.
            parser = getattr(error, "interactive_parser", None)
            expected = set(parser.accepts()) if parser is not None else set(error.expected)
        else:
            assert isinstance(error, UnexpectedEOF)
            token, expected = None, set(error.expected)
        if token is None or token.type == "$END":
            line = max(1, len(source.text.splitlines()))
            span = Span.point(line, len(source.line(line)) + 1)
            return cls(None, span, "the end of the file", expected)
        if token.type == "_NL":
            return cls(token, Span.point(token.line, token.column), "the end of the line", expected)
        if token.type == "NUMBERS":
            token = _opening(token)
        return cls(token, _span(token), f"`{token}`", expected)

    @property
    def ends_statement(self) -> bool:
        """The input ends here: the end of the file, of the line, or a `;`."""
        return self.token is None or self.token.type in ("_NL", "SEMICOLON")


def _statement_error(source: Source, found: _Found, words: list[str]) -> Diagnostic | None:
    """A statement was expected: an unknown keyword, or something else entirely."""
    if not {k.upper() for k in KEYWORDS} <= found.expected:
        return None
    if found.token is not None and found.token.type == "NAME":
        return Diagnostic.error(
            f"unknown statement `{found.token}`",
            found.span,
            did_you_mean(str(found.token), KEYWORDS)
            or f"a statement starts with one of {one_of(KEYWORDS)}",
        )
    return Diagnostic.error(
        f"expected a statement, found {found.text}",
        found.span,
        f"a statement starts with one of {one_of(KEYWORDS)}",
    )


def _arrow_error(source: Source, found: _Found, words: list[str]) -> Diagnostic | None:
    """`layer Dense 1 32`: the sizes need an arrow between them."""
    if "`->`" not in words:
        return None
    return Diagnostic.error(
        f"expected `->` between the sizes, found {found.text}",
        found.span,
        "write the input and output sizes as `1->32`",
    )


def _name_error(source: Source, found: _Found, words: list[str]) -> Diagnostic | None:
    """`data 1x = ...`: a number where a name was expected."""
    if words != ["a name"] or found.token is None or found.token.type not in ("INT", "NUMBER"):
        return None
    return Diagnostic.error(
        f"expected a name, found {found.text}", found.span, "names start with a letter or `_`"
    )


def _option_error(source: Source, found: _Found, words: list[str]) -> Diagnostic | None:
    """A stray word where an option was expected: `layer Dense 1->1 relu sigmoid`."""
    if words != ["`=`"] or not found.ends_statement:
        return None
    span = found.span
    word = re.search(r"[A-Za-z_][A-Za-z0-9_]*$", source.line(span.line)[: span.column - 1].rstrip())
    if not word:
        return None
    return Diagnostic.error(
        f"expected `=` after `{word[0]}`",
        Span(span.line, word.start() + 1, span.line, word.end() + 1),
        "options are written `name=value`, as in `lr=0.01`",
    )


def _describe(expected: set[str]) -> list[str]:
    """Terminal names -> words, deduplicated and sorted for stable messages."""
    literals = {
        t.name: f"`{t.pattern.value}`"
        for t in _parser().terminals
        if isinstance(t.pattern, PatternStr)
    }
    if expected & _STATEMENT_END:  # one phrase for the three ways a statement ends
        expected = (expected - _STATEMENT_END) | {"_END_OF_STATEMENT"}
    words = {_WORDS.get(name) or literals.get(name) or name.lower() for name in expected}
    return sorted(words)


def _either(words: list[str]) -> str:
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]
