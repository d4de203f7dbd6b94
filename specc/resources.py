"""Where the grammar and templates live (inside the installed package, or in a checkout), and
where builds keep what they compute once: the parser's tables, the compiled templates and
black's layouts of statements."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """The `grammar/` or `templates/` directory, installed (specc/<name>) or in the source tree."""
    for candidate in (_HERE / name, _HERE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"specc is installed without its {name}/ directory")


def cache_dir() -> Path | None:
    """A directory of the user's own for what builds compute once, or None (no cache): in
    the temp dir, made with mode 0700 and used only while it is a directory the user owns
    that no one else may write. lark's own cache is a file of a predictable name in the
    temp dir, which anyone may make first, and it loads with pickle: on a shared machine
    another user could run code as whoever builds. (On Windows the temp dir is the user's.)"""
    root = Path(tempfile.gettempdir())
    if os.name == "nt":
        folder = root / "specc-cache"
        try:
            folder.mkdir(exist_ok=True)
        except OSError:
            return None
        return folder
    if not hasattr(os, "getuid"):
        return None
    folder = root / f"specc-cache-{os.getuid()}"
    try:
        folder.mkdir(mode=stat.S_IRWXU, exist_ok=True)
        found = os.lstat(folder)
    except OSError:
        return None
    owned = found.st_uid == os.getuid() and stat.S_ISDIR(found.st_mode)
    return folder if owned and stat.S_IMODE(found.st_mode) == stat.S_IRWXU else None
