"""Write: put generated files on disk all together or not at all, and compare with disk."""

from __future__ import annotations

import difflib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_all(files: dict[Path, str | bytes]) -> None:
    """Write every file (text as UTF-8, bytes as they are) through a temporary file and a
    rename; on error, none is replaced."""
    staged: list[tuple[str, Path]] = []
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            staged.append((tmp, path))
            os.chmod(tmp, 0o666 & ~_umask())  # as open() would make it, not mkstemp's 0600
            data = text.encode("utf-8") if isinstance(text, str) else text
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        for tmp, path in staged:
            os.replace(tmp, path)
    finally:
        for tmp, _ in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def stale(path: Path, text: str, compared: Callable[[str], str] = str) -> str | None:
    """A unified diff from the file on disk to `text`, or None when they are the same.

    `compared` is what of each text counts: all of it by default."""
    try:
        current = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        current = ""
    except (OSError, UnicodeDecodeError):
        current = "<unreadable>\n"
    if compared(current) == compared(text):
        return None
    diff = difflib.unified_diff(
        current.splitlines(keepends=True),
        text.splitlines(keepends=True),
        fromfile=f"{path} (on disk)",
        tofile=f"{path} (specc would write)",
    )
    return "".join(diff) or f"{path}: differs\n"
