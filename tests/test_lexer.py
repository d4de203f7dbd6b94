"""The Pygments lexer reads a spec as specc's parser does.

Its tables are the grammar's and the vocabulary's, and on every spec the parser takes (the
examples, the cases, generated specs whose tokens are spaced apart or run together, mutations of
real specs) its tokens, whitespace and comments aside, are the parser's: the same text at the
same place, in corresponding categories. On any text at all it gives back the text, and marks as
`Error` a character the parser cannot lex.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import lark
import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from lark.exceptions import UnexpectedCharacters, UnexpectedInput
from lark.lexer import PatternStr
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename, get_lexer_for_mimetype
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
from test_fuzz import _mutated

from specc import lexer, parse, vocabulary
from specc.lexer import SpecLexer

ROOT = Path(__file__).resolve().parent.parent
GRAMMAR = ROOT / "grammar" / "specc.lark"
VALID = sorted(ROOT.glob("examples/*.spec")) + sorted(ROOT.glob("tests/cases/*/*.spec"))
INVALID = sorted(ROOT.glob("tests/errors/*/*.spec"))
PUNCTUATION = set("()[],;")  # the rest of the grammar's symbols are operators
# The grammar's terminals, read apart from the lexer, and its keywords: terminal name -> word.
TERMINALS = {
    t.name: t for t in lark.Lark(GRAMMAR.read_text(encoding="utf-8"), parser="lalr").terminals
}
LITERALS = {n: t.pattern.value for n, t in TERMINALS.items() if isinstance(t.pattern, PatternStr)}
NAME = TERMINALS["NAME"].pattern.to_regexp()
KEYWORDS = {n: text for n, text in LITERALS.items() if re.fullmatch(NAME, text)}

# The vocabulary's tables; the layers' words are declared by their kinds (specc/layers/).
TABLES = [*vars(vocabulary).values(), vocabulary.LAYERS]
LEXER = SpecLexer()
CHECK = settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


# --- found by Pygments -------------------------------------------------------------------------


def test_found_through_the_entry_point() -> None:
    plugins = {e.name: e.value for e in entry_points(group="pygments.lexers")}
    assert plugins.get("specc") == "specc.lexer:SpecLexer"
    assert isinstance(get_lexer_by_name("specc"), SpecLexer)
    assert isinstance(get_lexer_for_mimetype("text/x-specc"), SpecLexer)
    # RPM's lexer claims `*.spec` too: without the text, specc's priority decides.
    assert isinstance(get_lexer_for_filename("model.spec"), SpecLexer)
    spec = (ROOT / "examples" / "simplenet.spec").read_text(encoding="utf-8")
    assert isinstance(get_lexer_for_filename("model.spec", spec), SpecLexer)


def test_import_is_light() -> None:
    """Importing the lexer (as Pygments does to list its plugins) loads no framework."""
    code = (
        "import sys, specc.lexer; print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    loaded = set(subprocess.check_output([sys.executable, "-c", code], text=True).split())
    assert not loaded & {"numpy", "torch", "tensorflow", "keras", "jax", "sklearn", "matplotlib"}


# --- its tables are the grammar's and the vocabulary's ----------------------------------------


def _lex(text: str, state: str = "statement") -> list[tuple[_TokenType, str]]:
    """Tokens of `text` lexed inside a statement (or at `state`), whitespace left out."""
    tokens = LEXER.get_tokens_unprocessed(text, stack=("root", state))
    return [(kind, value) for _, kind, value in tokens if kind is not Whitespace]


def test_keywords_operators_and_patterns_are_the_grammars() -> None:
    assert set(lexer.KEYWORDS) == set(KEYWORDS.values())
    for kind, pattern in lexer.PATTERNS.items():
        assert pattern == TERMINALS[kind].pattern.to_regexp(), kind
    # Every terminal is a keyword, a pattern, punctuation, one of the lexer's operators, or a
    # group of those (a list of numbers).
    punctuation = {n for n, text in LITERALS.items() if text in PUNCTUATION}
    assert {LITERALS[n] for n in punctuation} == PUNCTUATION == set(lexer.PUNCTUATION)
    assert set(lexer.OPERATORS) == (
        set(TERMINALS) - set(KEYWORDS) - set(lexer.PATTERNS) - punctuation - set(lexer.GROUPS)
    )
    for kind, pattern in lexer.OPERATORS.items():
        assert pattern == TERMINALS[kind].pattern.to_regexp(), kind
    # The operators are the language's: the vocabulary's arithmetic and comparisons, `->`, `=`
    # and the rows' `:`, each matched by one of the grammar's operator terminals and lexed as
    # one operator.
    spelled = {*vocabulary.OPERATORS, *vocabulary.COMPARISONS, "->", "=", ":"}
    matched = {s for s in spelled for p in lexer.OPERATORS.values() if re.fullmatch(p, s)}
    assert matched == spelled
    assert all(any(re.fullmatch(p, s) for s in spelled) for p in lexer.OPERATORS.values())
    for symbol in spelled:
        assert _lex(symbol) == [(Operator, symbol)]
    for symbol in PUNCTUATION:
        assert _lex(symbol) == [(Punctuation, symbol)]
    for keyword in lexer.KEYWORDS:
        assert _lex(f"{keyword} ", "root")[0] == (Keyword, keyword)
        assert _lex(keyword) == [(Name.Builtin if keyword in lexer.BUILTINS else Name, keyword)]


def test_builtins_are_the_vocabulary() -> None:
    tables = [t for t in TABLES if isinstance(t, vocabulary.Words)]
    # Every category of words is highlighted but the data sets, which a spec names in strings;
    # the numbers a spec names (`pi`) as constants, as `true` and `false` are.
    highlighted = [*lexer.VOCABULARY, vocabulary.DATASETS, vocabulary.CONSTANTS]
    assert set(vocabulary.CONSTANTS.names) <= set(lexer.CONSTANTS)
    assert len(tables) == len(highlighted)
    assert all(any(t is h for h in highlighted) for t in tables)
    # Functions declared alone (argmax, dataset) and the values of word options (reduction=sum).
    # (`train` and `log` are declared alone too, for their options: they are keywords.)
    alone = [w for w in TABLES if isinstance(w, vocabulary.Word)]
    every = [*alone, *(w for table in tables for w in table)]
    words = {w.name for table in lexer.VOCABULARY for w in table}
    words |= {w.name for w in alone if w.name not in KEYWORDS.values()}
    words |= {c for w in every for o in w.options if o.type == "word" for c in o.choices}
    assert words == lexer.BUILTINS
    for word in sorted(words):
        assert _lex(word) == [(Name.Builtin, word)]
    assert _lex("true, false, x") == [
        (Keyword.Constant, "true"),
        (Punctuation, ","),
        (Keyword.Constant, "false"),
        (Punctuation, ","),
        (Name, "x"),
    ]


# --- its tokens are the parser's ----------------------------------------------------------------


def _category(kind: _TokenType) -> str:
    """The lexer's token types, in the parser's terms."""
    if kind is Keyword:
        return "keyword"
    if kind is Name.Attribute:
        return "key"
    if kind in Name or kind is Keyword.Constant:  # `true` and `false` are names the checker reads
        return "name"
    for category, parent in (("number", Number), ("string", String)):
        if kind in parent:
            return category
    return {Operator: "operator", Punctuation: "punctuation"}.get(kind, str(kind))


def _parsed(text: str) -> list[tuple[int, str, str]]:
    """The tokens specc's parser takes (after its post-lexer), but the newlines, with their
    positions and categories. Raises UnexpectedInput if it refuses the text."""
    interactive = parse._parser().parse_interactive(text)
    tokens = [token for token in interactive.iter_parse() if token.type != "_NL"]
    tree = interactive.feed_eof(tokens[-1] if tokens else None)
    # Option and keyword-argument names: `lr` in `lr=0.1`, `a` in `f(a=1)`.
    keys = {
        t.children[0].start_pos for t in tree.find_pred(lambda t: t.data in ("option", "kwarg"))
    }

    def category(token: lark.Token) -> str:
        if token.type in KEYWORDS:
            return "keyword"
        if token.type == "NAME":
            return "key" if token.start_pos in keys else "name"
        if token.type in ("INT", "NUMBER"):
            return "number"
        if token.type == "STRING":
            return "string"
        return "punctuation" if token in PUNCTUATION else "operator"

    found = []
    for token in tokens:
        if token.type in lexer.GROUPS:  # the parser's one token for `[1, -2]`: its parts
            for part in re.finditer(rf"{lexer.PATTERNS['NUMBER']}|[^ \t]", str(token)):
                kind = "_" if part[0] in "[],-" else "NUMBER"
                found.append(
                    (token.start_pos + part.start(), part[0], category(lark.Token(kind, part[0])))
                )
        else:
            found.append((token.start_pos, str(token), category(token)))
    return found


def _check(text: str) -> bool:
    """The lexer's tokens are the parser's if it takes `text`; in any case, they give back the
    text, and a character the parser cannot lex is an error. Whether the parser took it."""
    tokens = list(LEXER.get_tokens_unprocessed(text))
    assert "".join(value for _, _, value in tokens) == text
    assert all(p + len(value) == q for (p, _, value), (q, _, _) in itertools.pairwise(tokens))
    try:
        expected = _parsed(text)
    except UnexpectedCharacters as error:
        at = error.pos_in_stream
        assert [kind for p, kind, value in tokens if p <= at < p + len(value)] == [Error], at
        return False
    except (UnexpectedInput, parse._TooDeep):
        return False
    assert [(p, value) for p, kind, value in tokens if kind is Error] == []
    found = [
        (p, value, _category(kind))
        for p, kind, value in tokens
        if kind not in Whitespace and kind not in Comment
    ]
    assert found == expected
    return True


@pytest.mark.parametrize("path", VALID, ids=_name)
def test_specs_lex_as_they_parse(path: Path) -> None:
    assert _check(path.read_text(encoding="utf-8")), "the parser refuses this spec"


@pytest.mark.parametrize("path", INVALID, ids=_name)
def test_invalid_specs_round_trip(path: Path) -> None:
    _check(path.read_text(encoding="utf-8"))


# Texts where reading in context matters; each one the parser takes.
CONTEXT = [
    "log show=loss,accuracy; loss mse reduction=sum\n",  # `loss` a keyword, then a name
    "data x = [1,\n  loss]  # a newline inside brackets does not end the statement\n",
    "data x = f(a\n= 1, b=[2]) > -.5e-3 ** -x @ [[1.], [2]]\n",  # keyword arguments
    "layer Dense 1->1e5\n",  # after `->` a whole number, then the activation `e5`
    "train;log;seed(1)\npredict[[1]]",  # no space after a keyword
    'data s = csv("a#b", "c\\"d") # "e"\r\n\r\noptim sgd nesterov=true',
    # The parser needs no space after a keyword: it reads `datax` as `data x`, and so does
    # the lexer. If the grammar comes to refuse it, the lexer's keywords want a word boundary.
    "modelx\ndatax = 1\nlayerDense 1->1relu\n",
]


@pytest.mark.parametrize("text", CONTEXT)
def test_context(text: str) -> None:
    assert _check(text), "the parser refuses this text"


# --- generated specs: statements of the grammar's shapes, words of the vocabulary --------------

_WORDS = sorted(
    {w.name for t in TABLES if isinstance(t, vocabulary.Words) for w in t}  # mse, relu, ...
    | {o.name for t in TABLES if isinstance(t, vocabulary.Word) for o in t.options}  # epochs, ...
    | set(parse.KEYWORDS)
    | {"true", "false", "accuracy", "x", "y", "W", "e5", "E2", "_"}
)
_NAME = st.one_of(
    st.sampled_from(_WORDS), st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,5}", fullmatch=True)
)
_INT = st.integers(0, 999).map(str)
_NUMBER = st.one_of(_INT, st.sampled_from(["0.5", ".5", "1.", "1e5", "2E-3", "1.5e+2", "007"]))
_STRING = st.text(st.sampled_from("ab #;(='\\\""), max_size=6).map(
    lambda s: '"' + re.sub(r'\\|"', lambda m: "\\" + m[0], s) + '"'
)
_ACTIVATION = st.one_of(_NAME, st.sampled_from(["e5", "E2"]))  # `1->1e5`, run together
_OPERATOR = st.sampled_from([*vocabulary.OPERATORS, *vocabulary.COMPARISONS])


def _expressions(inner: st.SearchStrategy[list[str]]) -> st.SearchStrategy[list[str]]:
    items = st.lists(inner, max_size=3).map(_commas)
    kwarg = st.tuples(_NAME, inner).map(lambda t: [t[0], "=", *t[1]])
    return st.one_of(
        st.tuples(inner, _OPERATOR, inner).map(lambda t: [*t[0], t[1], *t[2]]),
        st.tuples(st.sampled_from("-+"), inner).map(lambda t: [t[0], *t[1]]),
        inner.map(lambda e: ["(", *e, ")"]),
        st.tuples(items, st.sampled_from(["", ","])).map(lambda t: ["[", *t[0], *t[1:], "]"]),
        st.tuples(_NAME, st.lists(st.one_of(inner, kwarg), max_size=3)).map(
            lambda t: [t[0], "(", *_commas(t[1]), ")"]
        ),
    )


def _commas(items: list[list[str]]) -> list[str]:
    return [token for i, item in enumerate(items) for token in ([","] if i else []) + item]


_EXPR = st.recursive(
    st.one_of(_NUMBER, _NAME, _STRING).map(lambda token: [token]), _expressions, max_leaves=6
)
_OPTIONS = st.lists(
    st.tuples(_NAME, st.lists(_EXPR, min_size=1, max_size=2)).map(
        lambda t: [t[0], "=", *_commas(t[1])]
    ),
    max_size=3,
).map(lambda options: [token for option in options for token in option])
_STATEMENT = st.one_of(
    st.tuples(st.sampled_from(["model", "dtype"]), _NAME).map(list),
    st.tuples(st.sampled_from(["seed", "predict"]), _EXPR).map(lambda t: [t[0], *t[1]]),
    st.tuples(st.lists(_NAME.map(lambda n: [n]), min_size=1, max_size=2), _EXPR).map(
        lambda t: ["data", *_commas(t[0]), "=", *t[1]]
    ),
    st.tuples(_NAME, _INT, _INT, st.lists(_ACTIVATION, max_size=1), _OPTIONS).map(
        lambda t: ["layer", t[0], t[1], "->", t[2], *t[3], *t[4]]
    ),
    st.tuples(_NAME, st.lists(_INT.map(lambda n: [n]), min_size=1, max_size=3), _EXPR).map(
        lambda t: ["param", t[0], "[", *_commas(t[1]), "]", "=", *t[2]]
    ),
    st.tuples(_NAME, _EXPR).map(lambda t: ["forward", t[0], "=", *t[1]]),
    st.tuples(st.sampled_from(["loss", "optim"]), _NAME, _OPTIONS).map(lambda t: [*t[:2], *t[2]]),
    st.tuples(st.sampled_from(["train", "log"]), _OPTIONS).map(lambda t: [t[0], *t[1]]),
)
_GAP = st.sampled_from(["", " ", " ", " ", "\t", "  "])  # "" runs words together: `datax`
_INSIDE = st.one_of(_GAP, st.sampled_from(["\n", "\r\n  ", " # note\n"]))  # in brackets
_END = st.sampled_from(["\n", "\n", ";", " ; ", "\n\n", "\r\n", "  # note\n", "\n# note\n"])


@st.composite
def _specs(draw: st.DrawFn) -> str:
    """A spec of statements shaped as the grammar's, their tokens spaced apart or not."""
    text = draw(st.sampled_from(["", "\n", "# a spec\n", ";"]))
    for statement in draw(st.lists(_STATEMENT, min_size=1, max_size=6)):
        depth = 0
        for i, token in enumerate(statement):
            text += (draw(_INSIDE if depth else _GAP) if i else "") + token
            depth += (token in ("(", "[")) - (token in (")", "]"))
        text += draw(_END)
    return text


@CHECK
@given(text=_specs())
def test_generated_specs(text: str) -> None:
    note(repr(text))
    event(f"parsed: {_check(text)}")


@settings(CHECK, max_examples=60)
@given(data=_mutated())
def test_mutated_specs(data: bytes) -> None:
    """Real specs mutated by tests/test_fuzz.py: odd characters, tokens spliced in, lines cut."""
    text = data.decode("utf-8", "surrogatepass")
    note(repr(text))
    event(f"parsed: {_check(text)}")


# --- highlighted ----------------------------------------------------------------------------


def test_html() -> None:
    html = highlight("layer Dense 1->32 relu\noptim sgd lr=0.01\n", LEXER, HtmlFormatter())
    assert '<span class="k">layer</span>' in html
    assert '<span class="nb">Dense</span>' in html
    assert '<span class="mi">32</span>' in html
    assert '<span class="na">lr</span><span class="o">=</span><span class="mf">0.01</span>' in html
