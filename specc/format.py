"""Format: check that generated text is Python, and format it with black in a fixed mode."""

from __future__ import annotations

import ast


class GeneratedCodeError(Exception):
    """The renderer produced text that is not valid Python: a bug in specc, never the spec."""


def format_python(source: str, origin: str) -> str:
    """Parse `source` with ast (it must be Python) and format it with black's default mode."""
    import black  # ~0.13 s: imported only when something is built

    try:
        ast.parse(source, filename=origin)
    except SyntaxError as error:
        raise GeneratedCodeError(f"specc generated invalid Python for {origin}: {error}") from error
    # The mode is fixed here: no user configuration (pyproject.toml) is ever read.
    mode = black.Mode(target_versions={black.TargetVersion.PY311}, line_length=88)
    return black.format_str(source, mode=mode)
