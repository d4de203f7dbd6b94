"""Render: a plan -> Python source text, through its target's jinja2 template.

Templates only lay out: every name, flag and list they print was decided in `specc.lower`
and the target's backend.
"""

from __future__ import annotations

import functools

import jinja2

from .lower import Plan
from .resources import cache_dir, resource_dir


def markdown_cell(text: str) -> str:
    """Text inside a Markdown table cell: `|` would end the cell, `<` start HTML."""
    for char in "\\`*_|":
        text = text.replace(char, "\\" + char)
    return text.replace("<", "&lt;")


def lines(items: tuple[str, ...], indent: int = 0) -> str:
    """Lines of code, one item each, starting at column `indent`."""
    return "\n".join(" " * indent + item for item in items)


class _CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """Templates compiled once and kept between runs (`cache_dir`), as Python keeps
    bytecode: jinja2 checks each against its source's hash before using it. Compiling them
    every run would be a quarter of a cold build. A cache that cannot be written is none."""

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    folder = cache_dir()
    return None if folder is None else _CompiledTemplates(str(folder))


@functools.cache
def environment() -> jinja2.Environment:
    """The one jinja2 environment: strict, so a misspelled plan field fails loudly."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resource_dir("templates"))),
        bytecode_cache=_bytecode_cache(),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # Scripts are never escaped; an article's HTML page always is.
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
    )
    env.filters.update(lines=lines, markdown_cell=markdown_cell)
    return env


def render(plan: Plan, target: str) -> str:
    """The unformatted script for one target."""
    return environment().get_template(f"{target}/script.py.j2").render(plan=plan, m=plan.model)
