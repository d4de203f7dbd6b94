"""Project: the config that names a project's specs, their targets and where each output goes.

`[tool.specc]` in pyproject.toml, or the top level of a `specc.toml`, found by walking up
from the working directory as black and ruff find theirs:

    [tool.specc]
    specs = ["models/*.spec"]                  # globs, from the config's folder
    targets = ["torch", "keras"]               # default: "all"
    output = "generated/{name}_{target}.py"    # default: "{folder}/{name}_{target}.py"
    exclude = ["models/draft_*.spec"]          # default: none

`{name}` is the spec's file name without `.spec`, `{folder}` its folder and `{target}` the
target. Specs that need other targets or outputs go in groups of their own, each taking the
top level's keys as defaults:

    [[tool.specc.build]]
    specs = ["models/native/*.spec"]
    targets = ["torch", "tfgraph", "keras"]

A config that says something wrong is reported as a spec is: file, line and column, the
line, a caret and help.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .backends import TARGETS
from .diagnostics import Diagnostic, Source, Span, SpecError, did_you_mean, one_of

FILES = ("specc.toml", "pyproject.toml")  # looked for in this order in each folder
DEFAULT_OUTPUT = "{folder}/{name}_{target}.py"
PLACEHOLDERS = ("name", "folder", "target")
_GROUP_KEYS = ("specs", "targets", "output", "exclude")
_KEYS = (*_GROUP_KEYS, "build")


@dataclass(frozen=True)
class Output:
    """One file the project generates: from which spec, for which target."""

    spec: Path
    target: str
    path: Path


@dataclass(frozen=True)
class Project:
    """A loaded config: every output it names, in a stable order."""

    outputs: tuple[Output, ...]

    @property
    def specs(self) -> list[Path]:
        """The specs, each once, in order."""
        return list(dict.fromkeys(output.spec for output in self.outputs))

    def of(self, spec: Path) -> list[Output]:
        """The outputs of one spec (none where the config does not name it)."""
        resolved = spec.resolve()
        return [o for o in self.outputs if o.spec.resolve() == resolved]


def find(start: Path) -> Path | None:
    """The nearest config at or above `start`: a specc.toml, or a pyproject.toml with a
    [tool.specc] table."""
    for folder in (start, *start.parents):
        for name in FILES:
            candidate = folder / name
            if candidate.is_file() and (name == "specc.toml" or _has_table(candidate)):
                return candidate
    return None


def _has_table(pyproject: Path) -> bool:
    try:
        data = pyproject.read_bytes()  # one that is not UTF-8 is found, and `load` says so
    except OSError:
        return False
    return re.search(rb"^\s*\[+\s*tool\.specc\s*[\].]", data, re.MULTILINE) is not None


def load(config: Path, shown: str | None = None) -> Project:
    """Read a config and expand its globs; SpecError (located in the config, named `shown`)
    if it is wrong."""
    data = config.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        message = f"not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start})"
        raise SpecError(
            Source(shown or str(config), ""), [Diagnostic.error(message, None)]
        ) from None
    source = Source(shown or str(config), text)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SpecError(source, [_toml_error(text, error)]) from None
    nested = config.name == "pyproject.toml"
    table = document.get("tool", {}).get("specc", {}) if nested else document
    header = "tool.specc" if nested else ""
    errors: list[Diagnostic] = []
    reader = _Reader(source, header, errors)
    groups = list(reader.groups(table))
    root = config.parent
    outputs: dict[Path, Output] = {}
    for group in groups:
        clash = False
        for output in _expand(root, group, reader):
            same = outputs.get(output.path)
            if same is not None and same != output and not clash:
                clash = True  # one error says it: the rest are the same pattern's
                errors.append(
                    Diagnostic.error(
                        f"two outputs at {output.path.relative_to(root)}: {same.spec.name} "
                        f"({same.target}) and {output.spec.name} ({output.target})",
                        group.span("output"),
                        "put `{name}` and `{target}` in `output`",
                    )
                )
            outputs[output.path] = output
    if errors:
        raise SpecError(source, errors)
    return Project(tuple(outputs.values()))


@dataclass(frozen=True)
class _Group:
    """One group of specs with its targets and output pattern, and where it says them."""

    specs: tuple[str, ...]
    exclude: tuple[str, ...]
    targets: tuple[str, ...]
    output: str
    where: dict[str, Span]

    def span(self, key: str) -> Span | None:
        return self.where.get(key)


class _Reader:
    """Checks a config's tables, locating each error at its key's line."""

    def __init__(self, source: Source, header: str, errors: list[Diagnostic]) -> None:
        self.source = source
        self.header = header
        self.errors = errors

    def groups(self, table: dict[str, Any]) -> Iterator[_Group]:
        if not isinstance(table, dict):
            self.error("`tool.specc` must be a table", self._locate(self.header, None))
            return
        self._unknown(table, _KEYS, self.header, 0)
        builds = table.get("build", [])
        if not isinstance(builds, list) or not all(isinstance(b, dict) for b in builds):
            self.error(
                "`build` must be an array of tables: `[[tool.specc.build]]`",
                self._locate(self.header, "build"),
            )
            builds = []
        if "specs" not in table and not builds:
            self.error(
                "the config names no specs",
                self._locate(self.header, None),
                'add `specs = ["*.spec"]`: globs from the config\'s folder',
            )
        defaults = self._group(table, self.header, 0, None)
        if "specs" in table and defaults is not None:
            yield defaults
        build = f"{self.header}.build".lstrip(".")
        for index, entry in enumerate(builds):
            self._unknown(entry, _GROUP_KEYS, build, index)
            if "specs" not in entry:
                self.error("this group names no specs", self._locate(build, None, index), None)
                continue
            group = self._group(entry, build, index, defaults)
            if group is not None:
                yield group

    def _group(
        self, table: dict[str, Any], header: str, index: int, defaults: _Group | None
    ) -> _Group | None:
        where = {key: self._locate(header, key, index) for key in _GROUP_KEYS if key in table}
        before = len(self.errors)
        specs = self._globs(table, "specs", where)
        exclude = defaults.exclude if defaults and "exclude" not in table else ()
        if "exclude" in table:
            exclude = self._globs(table, "exclude", where)
        targets = defaults.targets if defaults else TARGETS
        if "targets" in table:
            targets = self._targets(table["targets"], where["targets"])
        output = defaults.output if defaults else DEFAULT_OUTPUT
        if "output" in table:
            output = self._output(table["output"], where["output"])
        if len(self.errors) > before:
            return None
        return _Group(specs, exclude, targets, output, where)

    def _globs(self, table: dict[str, Any], key: str, where: dict[str, Span]) -> tuple[str, ...]:
        value = table.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.error(f"`{key}` must be a list of globs", where[key], f'{key} = ["*.spec"]')
            return ()
        for pattern in value:
            if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
                self.error(
                    f"`{pattern}` leaves the project's folder",
                    where[key],
                    "globs are relative to the config's folder",
                )
        return tuple(value)

    def _targets(self, value: Any, span: Span) -> tuple[str, ...]:
        if value == "all":
            return TARGETS
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            self.error(
                '`targets` must be a list of targets, or "all"',
                span,
                f"targets are {one_of(TARGETS, 'and')}",
            )
            return ()
        for name in value:
            if name not in TARGETS:
                self.error(
                    f"unknown target `{name}`",
                    span,
                    did_you_mean(name, TARGETS) or f"targets are {one_of(TARGETS, 'and')}",
                )
        return tuple(dict.fromkeys(value))

    def _output(self, value: Any, span: Span) -> str:
        if not isinstance(value, str) or not value:
            self.error("`output` must be a path", span, f'output = "{DEFAULT_OUTPUT}"')
            return DEFAULT_OUTPUT
        try:
            fields = {name for _, name, _, _ in _FORMATTER.parse(value) if name is not None}
        except ValueError:
            fields = {"{"}
        if unknown := sorted(fields - set(PLACEHOLDERS)):
            self.error(
                f"`output` has an unknown placeholder `{{{unknown[0]}}}`",
                span,
                f"the placeholders are {one_of(['{' + p + '}' for p in PLACEHOLDERS], 'and')}",
            )
        elif Path(value).is_absolute() or ".." in Path(value).parts:
            self.error(
                "`output` leaves the project's folder",
                span,
                "outputs are relative to the config's folder",
            )
        return value

    def _unknown(
        self, table: dict[str, Any], known: tuple[str, ...], header: str, index: int
    ) -> None:
        for key in table:
            if key not in known:
                self.error(
                    f"unknown key `{key}`",
                    self._locate(header, key, index),
                    did_you_mean(key, known) or f"the keys are {one_of(known, 'and')}",
                )

    def error(self, message: str, span: Span | None, help: str | None = None) -> None:
        """Report a located error in the config."""
        self.errors.append(Diagnostic.error(message, span, help))

    def _locate(self, header: str, key: str | None, index: int = 0) -> Span | None:
        """Where `key =` is written in the `index`-th table called `header` (its header
        line where `key` is None; the file's first line for the top level)."""
        lines = self.source.text.split("\n")
        current, seen = "", -1 if header else 0
        for number, line in enumerate(lines, 1):
            if match := re.match(r"\s*(\[\[?)\s*([^\]]+?)\s*\]", line):
                current = match[2].replace(" ", "")
                if current == header:
                    seen += 1
                    if key is None and seen == index:
                        return Span(number, 1, number, len(line.rstrip()) + 1)
                continue
            if current == header and seen == index and key is not None:
                if found := re.match(rf"\s*({re.escape(key)}|\"{re.escape(key)}\")\s*=", line):
                    start = found.start(1)
                    return Span(number, start + 1, number, found.end(1) + 1)
        return Span(1, 1, 1, 2) if lines and lines[0] else None


_FORMATTER = string.Formatter()


def _toml_error(text: str, error: tomllib.TOMLDecodeError) -> Diagnostic:
    """tomllib's message, located: its line and column, or the end of the last line."""
    where = re.search(r"\s*\((?:at line (\d+), column (\d+)|at end of document)\)$", str(error))
    message = str(error)[: where.start()] if where else str(error)
    if where and where[1]:
        span = Span.point(int(where[1]), int(where[2]))
    else:
        lines = text.rstrip().split("\n")
        span = Span.point(len(lines), len(lines[-1]) + 1)
    return Diagnostic.error(f"this is not TOML: {message[:1].lower()}{message[1:]}", span)


def _expand(root: Path, group: _Group, reader: _Reader) -> Iterator[Output]:
    """Every (spec, target) of a group, with the path its output goes to."""
    excluded = {p.resolve() for pattern in group.exclude for p in root.glob(pattern)}
    for pattern in group.specs:
        matches = sorted(p for p in root.glob(pattern) if p.is_file())
        if not matches:
            reader.error(
                f"`{pattern}` matches no file",
                group.span("specs"),
                f"globs are relative to the config's folder, {root}",
            )
        for spec in matches:
            if spec.resolve() in excluded:
                continue
            folder = spec.parent.relative_to(root).as_posix()
            name = spec.stem
            for target in group.targets:
                relative = group.output.format(name=name, folder=folder, target=target)
                yield Output(spec, target, root / Path(relative))
