"""Where the grammar and templates live: inside the installed package, or in a checkout."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """The `grammar/` or `templates/` directory, installed (specc/<name>) or in the source tree."""
    for candidate in (_HERE / name, _HERE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"specc is installed without its {name}/ directory")
