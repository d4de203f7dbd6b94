"""`specc article`'s Markdown page, built by MkDocs-Material as a documentation site would.

A tiny site (MKDOCS_YML, the configuration the README shows, and docs/index.md being the
page) goes through `mkdocs build --strict`, and the built index.html is read back with the
standard library's HTML parser: one tab set per concept and one for the whole scripts, a
tab per target in order, every tab's code exactly its target's code and highlighted as
Python, the spec highlighted by specc's own lexer, the scripts titled with their file names.
A code-only page comes from the real CLI (`--no-run`); SimpleNet's page with results is
built from the session's shared runs (`executions`), for its table and its plot.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import PythonLexer
from support import EXAMPLES, ROOT, TARGETS, specc

from specc import article, runner
from specc.compare import Plan
from specc.compiler import analyze, sections
from specc.diagnostics import Source
from specc.lexer import SpecLexer
from specc.lower import SECTIONS
from specc.runner import EXACT, Execution

# MkDocs-Material brings MkDocs and pymdown-extensions; it is in the test extra, so CI has it.
pytest.importorskip("material", reason="no MkDocs-Material: pip install -e '.[test]'")

# The smallest mkdocs.yml under which the page renders as written, as the README shows it.
# superfences nests the fences in the tabs; tabbed's alternate style is the one Material
# styles; highlight runs Pygments at build time (its default), which finds the `specc`
# lexer by its entry point; `tables` is one of MkDocs's built-ins, named for the reader;
# `content.tabs.link` makes choosing a framework in one tab set choose it in every one.
MKDOCS_YML = """\
site_name: SimpleNet
theme:
  name: material
  features:
    - content.tabs.link
markdown_extensions:
  - tables
  - pymdownx.highlight
  - pymdownx.superfences
  - pymdownx.tabbed:
      alternate_style: true
"""

SPEC = EXAMPLES / "simplenet.spec"
LABELS = ["PyTorch", "TensorFlow (graph)", "Keras 3", "NumPy"]  # TARGETS as the tabs name them
# Code each target's Model tab must hold: its own, not a neighbour's swallowed into it.
MODEL = {
    "torch": "nn.Linear",
    "tfgraph": "tf.matmul",
    "keras": "keras.Sequential",
    "numpy": "def backward",
}
# Elements that never hold others, so have no end tag to wait for.
VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())


# Reading the built page ------------------------------------------------------------------


@dataclass
class Element:
    """One HTML element: its tag, attributes and children (elements and text)."""

    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    @property
    def classes(self) -> list[str]:
        """Its CSS classes."""
        return (self.attrs.get("class") or "").split()

    def text(self) -> str:
        """The text inside, character references already decoded."""
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def elements(self) -> list[Element]:
        """The element children, in order."""
        return [c for c in self.children if isinstance(c, Element)]

    def descendants(self) -> Iterator[Element]:
        """Every element inside, depth first, in document order."""
        for child in self.elements():
            yield child
            yield from child.descendants()

    def all(self, tag: str, cls: str | None = None) -> list[Element]:
        """Every element inside with this tag (and this class), in document order."""
        return [e for e in self.descendants() if e.tag == tag and (cls in e.classes or not cls)]

    def one(self, tag: str, cls: str | None = None) -> Element:
        """The one element inside with this tag (and this class); two or none fail."""
        found = self.all(tag, cls)
        assert len(found) == 1, f"{len(found)} <{tag} class={cls}> where one belongs"
        return found[0]


class _Tree(HTMLParser):
    """html.parser's events built into Elements; an unclosed element closes with its parent."""

    def __init__(self) -> None:
        super().__init__()
        self.root = Element("#document", {})
        self.open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.open[-1].children.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open[-1].children.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for at in range(len(self.open) - 1, 0, -1):
            if self.open[at].tag == tag:
                del self.open[at:]
                return

    def handle_data(self, data: str) -> None:
        self.open[-1].children.append(data)


def parse(html: str) -> Element:
    """An HTML document as a tree of Elements."""
    tree = _Tree()
    tree.feed(html)
    tree.close()
    return tree.root


def spans(code: Element) -> list[tuple[str, str]]:
    """A highlighted block's tokens as Pygments wrote them: (CSS class, text) per span."""
    return [(" ".join(span.classes), span.text()) for span in code.all("span")]


def pygments_spans(code: str, lexer: Lexer) -> list[tuple[str, str]]:
    """What `lexer` makes of `code` through Pygments' HTML formatter, as `spans` reads it."""
    return spans(parse(f"<code>{highlight(code, lexer, HtmlFormatter(nowrap=True))}</code>"))


def prose(element: Element) -> str:
    """The text of everything but code blocks: where a fence or tab Markdown missed shows."""
    return "".join(
        c if isinstance(c, str) else "" if c.tag == "pre" else prose(c) for c in element.children
    )


@dataclass(frozen=True)
class Site:
    """A built site: its page's article (the Markdown's part), Material's config, the folder."""

    article: Element
    config: dict[str, Any]
    folder: Path


def build(docs: Path) -> Site:
    """`mkdocs build --strict` of a site whose pages are `docs`, configured by MKDOCS_YML."""
    root = docs.parent
    (root / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"],
        cwd=root,
        capture_output=True,
        text=True,
        # Material's notice of its end of life is no warning of ours.
        env={**os.environ, "PYTHONPATH": str(ROOT), "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    page = parse((root / "site" / "index.html").read_text(encoding="utf-8"))
    config = next(e for e in page.all("script") if e.attrs.get("id") == "__config")
    return Site(page.one("article", "md-typeset"), json.loads(config.text()), root / "site")


def tab_sets(page: Element) -> list[tuple[str, Element]]:
    """Each tab set at the page's top level, with the heading it stands under."""
    found, heading = [], ""
    for element in page.elements():
        if element.tag in ("h2", "h3"):
            heading = element.text().strip()
        elif "tabbed-set" in element.classes:
            found.append((heading, element))
    return found


def check_the_code(page: Element) -> None:
    """Everything a page shows of the code renders as written (see the module's docstring)."""
    source = SPEC.read_text(encoding="utf-8")
    spec, _ = analyze(Source(SPEC.name, source), [])
    python = PythonLexer()

    # No fence or tab left as text, and no code block outside one Pygments highlighted.
    text = prose(page)
    for leak in ("```", '=== "'):
        assert leak not in text, f"{leak} left as text: {text[text.find(leak) - 80 :][:160]!r}"
    assert len(page.all("pre")) == len(page.all("div", "highlight"))

    # Outside the tabs: the spec, highlighted by specc's lexer as it marks it, then each
    # concept whose code is the same in every target, once (the data and initial weights).
    outside = [e for e in page.elements() if "highlight" in e.classes]
    shared = [key for key in SECTIONS if len({sections(spec, t)[key] for t in TARGETS}) == 1]
    assert shared == ["data"]  # drawn once with NumPy, in every target the same
    assert len(outside) == 1 + len(shared), f"{len(outside)} code blocks outside the tabs"
    for key, block in zip(shared, outside[1:], strict=True):
        code = sections(spec, TARGETS[0])[key]
        assert block.one("code").text().strip("\n") == code.strip("\n"), key
        assert spans(block.one("code")) == pygments_spans(code, python), key
    shown = outside[0].one("code")
    assert shown.text().strip("\n") == source.strip("\n")
    assert spans(shown) == pygments_spans(source, SpecLexer())
    keywords = {word for css, word in spans(shown) if css == "k"}
    assert {"model", "layer", "loss", "optim", "train"} <= keywords, keywords

    sets = tab_sets(page)
    tabbed = [key for key in SECTIONS if key not in shared]
    assert [heading for heading, _ in sets] == [*(SECTIONS[k] for k in tabbed), "The scripts"]
    for (heading, tabs), key in zip(sets, [*tabbed, None], strict=True):
        labels = [label.text() for label in tabs.one("div", "tabbed-labels").all("label")]
        assert labels == LABELS, heading
        blocks = tabs.one("div", "tabbed-content").elements()
        assert [b.classes for b in blocks] == [["tabbed-block"]] * len(TARGETS), heading
        for target, block in zip(TARGETS, blocks, strict=True):
            where = f"{heading}, {target}"
            shown = block.one("div", "highlight").one("code")
            if key is None:  # the whole script, titled with its file's name
                name = f"simplenet_{target}.py"
                code = (EXAMPLES / "simplenet" / name).read_text(encoding="utf-8")
                assert block.one("span", "filename").text() == name, where
                assert {"k", "kn"} <= {css for css, _ in spans(shown)}, where
            else:
                code = sections(spec, target)[key]
                assert not block.all("span", "filename"), where
            assert shown.text().strip("\n") == code.strip("\n"), where
            assert spans(shown) == pygments_spans(code, python), where  # highlighted as Python
            if key == "model":
                assert MODEL[target] in shown.text(), where


# A code-only page, through the real CLI --------------------------------------------------


@pytest.fixture(scope="module")
def code_only(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """`specc article simplenet.spec -o docs/index.md --no-run`, built into a site."""
    docs = tmp_path_factory.mktemp("mkdocs") / "docs"
    docs.mkdir()
    result = specc("article", str(SPEC), "-o", str(docs / "index.md"), "--no-run")
    assert result.returncode == 0, result.stderr
    assert [p.name for p in docs.iterdir()] == ["index.md"], "no plot without runs"
    return build(docs)


def test_the_code_renders_as_written(code_only: Site) -> None:
    check_the_code(code_only.article)


def test_the_configuration_links_the_tabs(code_only: Site) -> None:
    assert "content.tabs.link" in code_only.config["features"]


def test_a_code_only_page_says_it_was_not_run(code_only: Site) -> None:
    page = code_only.article
    assert not page.all("table") and not page.all("img")
    assert "Not run" in prose(page)


# A page with results, from the session's shared runs --------------------------------------


@pytest.fixture(scope="module")
def with_results(
    executions: Mapping[tuple[str, str], Execution], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Site, article.Made]:
    """SimpleNet's page with its results table and plot, built into a site: nothing re-run."""

    def shared(plan: Plan, spec: object, scripts: object) -> dict[str, Execution]:
        return {name: executions[("examples/simplenet", name)] for name in plan.jobs}

    made = article.make(
        Source(SPEC.name, SPEC.read_text(encoding="utf-8")),
        "simplenet",
        "mkdocs",
        list(runner.RUNS),
        explicit=False,
        run=shared,
        command="specc article simplenet.spec -o index.md",
        image="index.png",
    )
    assert made.png is not None, "no plot: is matplotlib installed?"
    docs = tmp_path_factory.mktemp("mkdocs") / "docs"
    docs.mkdir()
    (docs / "index.md").write_text(made.text, encoding="utf-8")
    (docs / "index.png").write_bytes(made.png)
    return build(docs), made


def test_the_code_renders_as_written_beside_results(
    with_results: tuple[Site, article.Made],
) -> None:
    check_the_code(with_results[0].article)


def test_results_are_a_table_with_a_row_per_run(
    with_results: tuple[Site, article.Made],
) -> None:
    site, made = with_results
    assert made.results is not None
    table = site.article.one("table")
    header = [cell.text() for cell in table.one("thead").all("th")]
    rows = [[cell.text() for cell in row.all("td")] for row in table.one("tbody").all("tr")]
    expected = [[r.run, r.framework, *r.cells, r.verdict] for r in made.results.rows]
    assert rows == expected  # every cell as written: no `|` split one, none went missing
    assert len(header) == len(expected[0])
    names = [row.all("td")[0].one("code").text() for row in table.one("tbody").all("tr")]
    assert sorted(names) == sorted([*runner.RUNS, EXACT])  # each run's name, set as code


def test_the_plot_is_shown_and_copied_into_the_site(
    with_results: tuple[Site, article.Made],
) -> None:
    site, made = with_results
    image = site.article.one("img")
    assert image.attrs["src"] == "index.png" and image.attrs["alt"]
    assert (site.folder / "index.png").read_bytes() == made.png
