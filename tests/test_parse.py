"""The parser's shortcut: a one-line list of numbers is one token (an inline data set has
thousands of numbers), and parses to exactly the syntax the bracket-by-bracket path gives."""

from __future__ import annotations

import pytest

from specc import syntax as s
from specc.diagnostics import Source
from specc.parse import parse


def _items(text: str) -> tuple[s.Expr, ...]:
    statement = parse(Source("t.spec", f"data x = {text}\n")).statements[0]
    assert isinstance(statement, s.DataStmt) and isinstance(statement.value, s.Array)
    return statement.value.items


@pytest.mark.parametrize("numbers", ["1, -2, .5e1, 7.", "- 3,4e-2 ,\t0.25", "0, -0.0, 1e+3"])
def test_a_list_of_numbers_parses_as_each_number_would(numbers: str) -> None:
    # A name at the end leaves the list to the bracket-by-bracket path, at the same columns.
    fast, slow = _items(f"[{numbers}]"), _items(f"[{numbers}, x]")
    assert repr(fast) == repr(slow[:-1])  # repr names each node's kind; == would not
    assert isinstance(slow[-1], s.Name)
