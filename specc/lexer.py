"""Pygments lexer for specs, its tables read from the grammar and the vocabulary.

Pygments (and so `specc article`, MkDocs and Sphinx) finds it by the name `specc` and by `*.spec`
file names, through the entry point in pyproject.toml. The keywords, the operators and the
patterns of names, numbers, strings, comments and whitespace are the terminals of the parser
specc builds from grammar/specc.lark; the builtin words are the tables of specc/vocabulary.py.
tests/test_lexer.py holds its tokens to the parser's on every example and on generated specs.

Like the parser's contextual lexer, it knows where it is: a keyword is one only where a
statement starts (`loss mse`, but `log show=loss`), a newline inside brackets does not end the
statement, and a whole number follows `->` (`1->1e5` is 1, `->`, 1 and the name `e5`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import ClassVar

from lark.lexer import PatternStr
from pygments.lexer import RegexLexer, default, include
from pygments.token import (
    Comment,
    Error,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
    _TokenType,
)

from . import vocabulary as v
from .parse import _parser

_TERMINALS = {terminal.name: terminal for terminal in _parser().terminals}

# The terminals matched by a regular expression, each lexed as the grammar says.
PATTERNS = {
    name: _TERMINALS[name].pattern.to_regexp()
    for name in ("NAME", "INT", "NUMBER", "STRING", "COMMENT", "WS", "_NL")
}

_LITERALS = {
    name: t.pattern.value for name, t in _TERMINALS.items() if isinstance(t.pattern, PatternStr)
}

# The grammar's quoted words; longest first, as lark tries them.
KEYWORDS = tuple(
    sorted(
        (text for text in _LITERALS.values() if re.fullmatch(PATTERNS["NAME"], text)),
        key=lambda word: (-len(word), word),
    )
)

# The characters that shape a statement: brackets nest, `;` ends it, `,` separates.
OPENING, CLOSING = ("(", "["), (")", "]")
PUNCTUATION = (*OPENING, *CLOSING, ",", ";")

# The parser's shortcut for a one-line list of numbers, which highlights as its brackets,
# numbers and commas.
GROUPS = ("NUMBERS",)

# Every other terminal is an operator (`->`, `**`, `>=`, `+`, `=`, ...), keyed by its name.
OPERATORS = {
    name: t.pattern.to_regexp()
    for name, t in _TERMINALS.items()
    if name not in (*PATTERNS, *GROUPS) and _LITERALS.get(name) not in (*KEYWORDS, *PUNCTUATION)
}

# The statements that end in `key=value` options (the rest assign with `=`: `data x = ...`).
OPTION_STATEMENTS = (
    "layer", "loss", "optim", "schedule", "train", "split", "log", "distribute",
)  # fmt: skip

# Categories whose words a spec writes as bare names (data sets are named in strings).
VOCABULARY = (
    v.LAYERS,
    v.ACTIVATIONS,
    v.INITIALIZERS,
    v.DTYPES,
    v.DEVICES,
    v.LOSSES,
    v.OPTIMIZERS,
    v.SCHEDULES,
    v.GENERATORS,
    v.DATA_FUNCTIONS,
    v.FORMULA_FUNCTIONS,
)
_FUNCTIONS = (v.ARGMAX, v.RESHAPE, v.DATASET, v.WINDOWS)
_OPTIONS = [
    option
    for word in (
        *(w for words in VOCABULARY for w in words),
        v.TRAIN_OPTIONS,
        v.SPLIT_OPTIONS,
        v.LOG_OPTIONS,
    )
    for option in word.options
]
BUILTINS = frozenset(
    [w.name for words in VOCABULARY for w in words]
    + [f.name for f in _FUNCTIONS]
    + [choice for option in _OPTIONS if option.type == "word" for choice in option.choices]
)
# the checker's booleans (specc/check/values.py), and the numbers a spec may name
CONSTANTS = ("true", "false", *v.CONSTANTS.names)
_WORDS = dict.fromkeys(BUILTINS, Name.Builtin) | dict.fromkeys(CONSTANTS, Keyword.Constant)

_Tokens = Iterator[tuple[int, _TokenType, str]]


def _number(lexer: RegexLexer, match: re.Match[str]) -> _Tokens:
    """A NUMBER: an integer if it is all digits, else a float."""
    integer = re.fullmatch(PATTERNS["INT"], match[0])
    yield match.start(), Number.Integer if integer else Number.Float, match[0]


def _name(lexer: RegexLexer, match: re.Match[str]) -> _Tokens:
    """A NAME: a word of the vocabulary, `true` or `false`, or a name of the spec's own."""
    yield match.start(), _WORDS.get(match[0], Name), match[0]


def _one_of(patterns: Iterable[str]) -> str:
    return "|".join(f"(?:{pattern})" for pattern in patterns)


def _ordered(names: dict[str, str]) -> list[str]:
    """Operator patterns in the order lark tries them: the longest first (`**` before `*`)."""
    terminals = sorted((_TERMINALS[name] for name in names), key=lambda t: -t.pattern.max_width)
    return [names[t.name] for t in terminals]


_WS, _NL, _NAME = PATTERNS["WS"], PATTERNS["_NL"], PATTERNS["NAME"]
_COMMENT = PATTERNS["COMMENT"]
_KEY = rf"(?:{_NAME})(?=(?:{_WS})?=)"  # `lr` in `lr=0.1`
# `a` in `f(a=1)`: inside brackets newlines and comments may come between.
_KWARG = rf"(?:{_NAME})(?=(?:{_WS}|{_NL}|{_COMMENT})*=)"
_STARTS = re.compile(rf"(?:{_one_of(map(re.escape, KEYWORDS))})\b")  # a line with a statement


class SpecLexer(RegexLexer):
    """Highlights a spec as specc's parser reads it."""

    name = "specc"
    aliases: ClassVar[list[str]] = ["specc"]
    filenames: ClassVar[list[str]] = ["*.spec"]
    mimetypes: ClassVar[list[str]] = ["text/x-specc"]
    # RPM's spec files claim `*.spec` too; where specc is installed, its specs are the ones shown.
    priority = 0.1

    tokens: ClassVar[dict[str, list]] = {
        # Where a statement may start: the start of the file, a line, or after `;`.
        "root": [
            (_WS, Whitespace),
            (_NL, Whitespace),
            (_COMMENT, Comment.Single),
            (";", Punctuation),
            # No word boundary, as in the parser: at a statement's start `datax` is `data x`.
            *(
                (re.escape(word), Keyword, "options" if word in OPTION_STATEMENTS else "statement")
                for word in KEYWORDS
            ),
            (_NAME, Error, "statement"),  # an unknown statement
            default("statement"),
        ],
        "statement": [
            (_NL, Whitespace, "#pop"),
            (";", Punctuation, "#pop"),
            include("expression"),
        ],
        "options": [
            (_NL, Whitespace, "#pop"),
            (";", Punctuation, "#pop"),
            (_KEY, Name.Attribute),
            include("expression"),
        ],
        # Inside brackets the parser's post-lexer drops newlines: the statement goes on.
        "bracket": [
            (_NL, Whitespace),
            (_one_of(map(re.escape, CLOSING)), Punctuation, "#pop"),
            (_KWARG, Name.Attribute),
            include("expression"),
        ],
        "expression": [
            (_WS, Whitespace),
            (_COMMENT, Comment.Single),
            (PATTERNS["STRING"], String.Double),
            (PATTERNS["NUMBER"], _number),
            (_NAME, _name),
            (_one_of(_ordered(OPERATORS)), Operator),
            (_one_of(map(re.escape, OPENING)), Punctuation, "bracket"),
            (_one_of(map(re.escape, (*CLOSING, ","))), Punctuation),
        ],
    }

    @staticmethod
    def analyse_text(text: str) -> float:
        """How much `text` looks like a spec: the share of its lines that start a statement."""
        lines = [line.lstrip() for line in text.splitlines()]
        lines = [line for line in lines if line and not line.startswith("#")]
        return sum(1 for line in lines if _STARTS.match(line)) / len(lines) if lines else 0.0
