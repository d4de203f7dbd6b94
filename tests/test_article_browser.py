"""`specc article`'s HTML page as a reader sees it, in the system's headless Chromium.

SimpleNet's page, built from the session's shared runs (`executions`), so it has its results
table and plot, is opened at 1400 by 1000 CSS pixels, and at 700 wide: it fits the window,
its side-by-side rows stand side by side, its tabs switch under a real mouse click, its plot
loads, and nothing it loads comes from outside the file. Chromium is Debian's (`browser.py`,
over the DevTools pipe); where it is missing, the tests install it when they may (root, with
apt-get) and are skipped otherwise.
"""

from __future__ import annotations

import struct
import subprocess
import zlib
from collections.abc import Iterator, Mapping
from itertools import pairwise
from pathlib import Path
from typing import Any

import browser
import pytest
from browser import Browser
from support import EXAMPLES

from specc import article, runner
from specc.compare import Plan
from specc.diagnostics import Source
from specc.lower import SECTIONS
from specc.runner import Execution

WIDTH, HEIGHT = 1400, 1000
NARROW = 700  # under page.css's 60rem: the grid is one column
SPEC = EXAMPLES / "simplenet.spec"

# The side-by-side grid in order: framework headings, then per concept its heading and cells.
GRID = """[...document.querySelector('.side-by-side').children].map(e => {
  const r = e.getBoundingClientRect();
  return {kind: e.classList.contains('cell') ? 'cell' : e.classList[0], id: e.id,
          shared: e.classList.contains('shared'),
          target: e.dataset.target || null, text: e.textContent.trim(),
          display: getComputedStyle(e).display,
          before: getComputedStyle(e, '::before').content,
          left: r.left, top: r.top + scrollY, right: r.right, width: r.width, height: r.height,
          clipped: [...e.querySelectorAll('.highlight')].some(h => h.scrollWidth > h.clientWidth)};
})"""

# The tabs: each label's target and whether its block is displayed.
TABS = """[...document.querySelectorAll('.tabbed-block')].map(b => ({
  target: b.dataset.target, shown: getComputedStyle(b).display != 'none',
  height: b.getBoundingClientRect().height}))"""

# A tab's label brought into view, and where a reader would click it.
LABEL = """(index => {
  const label = document.querySelectorAll('.tabbed-labels > label')[index];
  label.scrollIntoView({block: 'center'});
  const r = label.getBoundingClientRect();
  return {x: r.left + r.width / 2, y: r.top + r.height / 2, for: label.htmlFor,
          width: r.width, height: r.height};
})"""

RESULTS = """[...document.querySelectorAll('table.results tbody tr')].map(r => ({
  run: r.cells[0].textContent, height: r.getBoundingClientRect().height}))"""

PLOT = """(i => ({complete: i.complete, natural: i.naturalWidth * i.naturalHeight,
  width: i.getBoundingClientRect().width, src: i.src.slice(0, 22)})
)(document.querySelector('figure img'))"""

# The elements wider than the window, outermost first: what a reader scrolls sideways for.
TOO_WIDE = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > innerWidth + 0.5
               && e.parentElement.getBoundingClientRect().right <= innerWidth + 0.5)
  .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))"""

# Where each indented line of a side-by-side cell starts, against where its indentation
# says: a line wrapped right after its leading spaces shows its code a row lower, at the
# wrong column. A line ends at a newline or, where the page marks lines, with its `.line`
# block, whose `--indent` may stand for leading spaces the page leaves out.
INDENTS = r"""(() => {
  const lost = [];
  for (const pre of document.querySelectorAll('.side-by-side .cell pre')) {
    const lines = [];
    let line = null, block;
    const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const mark = node.parentElement.closest('.line');
      for (let i = 0; i < node.data.length; i++) {
        if (!line || mark !== block) {
          const declared = mark ? Number(mark.style.getPropertyValue('--indent')) || 0 : 0;
          lines.push(line = {text: '', at: [], declared});
          block = mark;
        }
        if (node.data[i] === '\n') { line = null; continue; }
        line.text += node.data[i];
        line.at.push([node, i]);
      }
    }
    const left = pre.getBoundingClientRect().left;
    for (const {text, at, declared} of lines) {
      const spaces = text.length - text.trimStart().length;
      const indent = Math.max(spaces, declared);
      if (!text.trim() || !indent) continue;
      const range = document.createRange();
      range.setStart(...at[spaces]);
      range.setEnd(at[spaces][0], at[spaces][1] + 1);
      const box = range.getClientRects()[0];
      if (Math.abs(box.left - (left + indent * box.width)) > 1) {
        lost.push(pre.closest('.cell').dataset.target + ': ' + text.trim().slice(0, 50));
      }
    }
  }
  return lost;
})()"""


# Everything that could fetch: a src, srcset, poster or data, a <link>, an SVG <use> or
# <image>, and a url() or @import in a style sheet. A plain <a href> fetches nothing.
FETCHERS = r"""(() => {
  const remote = /^\s*(https?:)?\/\//i;
  const found = [];
  for (const e of document.querySelectorAll(
      '[src], [srcset], [poster], object[data], link[href], use[href], image[href]')) {
    for (const name of ['src', 'srcset', 'poster', 'data', 'href']) {
      const value = e.getAttribute(name);
      if (value !== null && remote.test(value)) found.push(e.tagName + ' ' + name + '=' + value);
    }
  }
  for (const sheet of document.styleSheets) {
    if (sheet.href) found.push('stylesheet ' + sheet.href);
    for (const rule of sheet.cssRules) {
      if (/url\(\s*['"]?\s*(https?:)?\/\/|@import/i.test(rule.cssText)) found.push(rule.cssText);
    }
  }
  return found;
})()"""


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium, installed first where it is missing and we may; else a skip."""
    try:
        return browser.provision()
    except browser.Unavailable as reason:
        pytest.skip(str(reason))


@pytest.fixture(scope="module")
def page(
    chromium: str,  # first: without a browser, skip before the shared runs are waited for
    executions: Mapping[tuple[str, str], Execution],
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """SimpleNet's article from the session's runs of examples/simplenet: nothing re-run."""

    def shared(plan: Plan, spec: object, scripts: object) -> dict[str, Execution]:
        return {name: executions[("examples/simplenet", name)] for name in plan.jobs}

    made = article.make(
        Source(SPEC.name, SPEC.read_text(encoding="utf-8")),
        "simplenet",
        "html",
        list(runner.RUNS),
        explicit=False,
        run=shared,
        command="specc article simplenet.spec -o simplenet.html",
        image="simplenet.png",
    )
    path = tmp_path_factory.mktemp("article") / "simplenet.html"
    path.write_text(made.text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def chrome(chromium: str, page: Path) -> Iterator[Browser]:
    """One Chromium for the module's tests, a window of WIDTH by HEIGHT, the page loaded."""
    with Browser(chromium, WIDTH, HEIGHT) as opened:
        opened.open(page)
        yield opened


@pytest.fixture
def reader(chrome: Browser) -> Browser:
    """The page at its top, its first tab chosen, as it loads (reloading costs a second)."""
    chrome.evaluate("document.querySelector('.tabbed-set > input').checked = true")
    chrome.evaluate("window.scrollTo(0, 0)")
    return chrome


def _width(reader: Browser) -> int:
    return reader.evaluate("document.documentElement.scrollWidth")  # type: ignore[no-any-return]


def _png_size(data: bytes) -> tuple[int, int]:
    """A PNG's width and height, once its chunks' checksums and pixel data hold up."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n"), "not a PNG"
    at, chunks, pixels = 8, [], b""
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad checksum in {kind!r}"
        chunks.append(kind)
        pixels += body if kind == b"IDAT" else b""
        at += 12 + length
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND", chunks
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])  # IHDR's first fields
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
    row = 1 + (width * channels * depth + 7) // 8  # a filter byte, then the row's samples
    assert len(zlib.decompress(pixels)) == height * row, "pixel data of the wrong size"
    return width, height


def test_the_page_fits_the_window(reader: Browser) -> None:
    assert _width(reader) <= WIDTH, reader.evaluate(TOO_WIDE)


def test_concepts_stand_side_by_side(reader: Browser) -> None:
    grid = reader.evaluate(GRID)
    heads = [e for e in grid if e["kind"] == "framework"]
    labels = reader.evaluate(
        "[...document.querySelectorAll('.tabbed-labels > label')].map(l => l.textContent.trim())"
    )
    assert [h["text"] for h in heads] == labels and len(labels) == 4
    assert [h["id"] for h in grid if h["kind"] == "concept"] == list(SECTIONS)
    rows: list[list[dict[str, Any]]] = []
    for element in grid[len(heads) :]:
        if element["kind"] == "concept":
            rows.append([])
        assert element["width"] > 0 and element["height"] > 0, element
        assert not element["clipped"], f"{element['target']} hides code to the right"
        rows[-1].append(element)
    targets = [h["target"] for h in rows[0][1:]]
    # Code that is the same in every framework (the data) is one cell across the columns.
    shared = [cells[0] for _, *cells in rows if cells[0]["shared"]]
    assert [cell["text"][:22] for cell in shared] == ["# Data and initial wei"]
    for cell in shared:
        assert cell["left"] == heads[0]["left"] and cell["right"] == heads[-1]["right"]
    for row in [heads, *(cells for _, *cells in rows if not cells[0]["shared"])]:
        assert len(row) == len(labels)
        assert all(e["top"] == row[0]["top"] for e in row), [e["top"] for e in row]
        assert all(a["right"] <= b["left"] for a, b in pairwise(row))
        assert row[0]["left"] >= 0 and row[-1]["right"] <= WIDTH
    for heading, *cells in rows:
        if not cells[0]["shared"]:
            assert [c["target"] for c in cells] == targets, heading["id"]
        assert heading["top"] < cells[0]["top"]


def test_framework_names_stay_in_sight_down_the_rows(reader: Browser) -> None:
    reader.evaluate("document.getElementById('loop').scrollIntoView()")
    tops = reader.evaluate(
        "[...document.querySelectorAll('.side-by-side .framework')]"
        ".map(e => e.getBoundingClientRect().top)"
    )
    assert tops and all(abs(top) < 1 for top in tops), tops


def test_cells_keep_every_lines_indentation(reader: Browser) -> None:
    assert reader.evaluate(INDENTS) == []


def test_tabs_switch_under_a_click(reader: Browser) -> None:
    tabs = reader.evaluate(TABS)
    assert [tab["shown"] for tab in tabs] == [True] + [False] * (len(tabs) - 1)
    for index in [*range(1, len(tabs)), 0]:  # each other tab, then back to the first
        target = tabs[index]["target"]
        label = reader.evaluate(f"{LABEL}({index})")
        assert label["width"] > 0 and label["height"] > 0 and label["for"] == f"script-{target}"
        reader.click(label["x"], label["y"])
        now = reader.evaluate(TABS)
        assert [tab["shown"] for tab in now] == [i == index for i in range(len(tabs))], target
        assert now[index]["height"] > 100, f"{target}'s script is not in sight"


def test_results_and_plot_are_there(reader: Browser) -> None:
    rows = reader.evaluate(RESULTS)
    assert sorted(row["run"] for row in rows) == sorted([*runner.RUNS, runner.EXACT])
    assert all(row["height"] > 0 for row in rows)
    plot = reader.evaluate(PLOT)
    assert plot["complete"] and plot["natural"] > 0 and plot["width"] > 0, plot
    assert plot["src"] == "data:image/png;base64,"


def test_no_request_leaves_the_page(reader: Browser, page: Path) -> None:
    own = page.resolve().as_uri()
    loaded = reader.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert [url for url in loaded if not url.startswith("data:") and url != own] == []
    requested = reader.requests()
    assert requested[0] == own and any(url.startswith("data:image/png") for url in requested)
    assert [url for url in requested if not url.startswith("data:") and url != own] == []
    assert reader.evaluate(FETCHERS) == []


def test_a_screenshot_of_the_whole_page(reader: Browser, tmp_path: Path) -> None:
    shot = tmp_path / "article.png"
    reader.screenshot(shot, full_page=True)
    height = reader.evaluate("document.documentElement.scrollHeight")
    assert _png_size(shot.read_bytes()) == (WIDTH, height)


def test_the_command_line_screenshots_the_top(chromium: str, page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "top.png"
    assert browser.main([str(page), str(shot), "--width", "1200", "--height", "900"]) == 0
    assert _png_size(shot.read_bytes()) == (1200, 900)


# A narrow window ----------------------------------------------------------------------------


@pytest.fixture
def narrow(reader: Browser) -> Iterator[Browser]:
    """The page in a window NARROW pixels wide, as on a tablet held upright."""
    reader.resize(NARROW, HEIGHT)
    yield reader
    reader.resize(WIDTH, HEIGHT)


def test_a_narrow_window_gets_one_column(narrow: Browser) -> None:
    grid = narrow.evaluate(GRID)
    assert all(e["display"] == "none" for e in grid if e["kind"] == "framework")
    shown = [e for e in grid if e["kind"] != "framework"]
    assert [e["kind"] for e in shown].count("concept") == len(SECTIONS)
    assert all(e["left"] == shown[0]["left"] for e in shown)
    assert all(e["right"] <= NARROW for e in shown)
    assert all(a["top"] + a["height"] <= b["top"] for a, b in pairwise(shown))
    # Without the framework headings, each cell names its framework itself.
    labels = [e["before"].strip('"') for e in shown if e["kind"] == "cell"]
    frameworks = {"PyTorch", "TensorFlow (graph)", "Keras 3", "NumPy"}
    assert set(labels) == frameworks | {"The same in every framework"}


def test_the_page_fits_a_narrow_window(narrow: Browser) -> None:
    assert _width(narrow) <= NARROW, narrow.evaluate(TOO_WIDE)


# Provisioning Chromium -------------------------------------------------------------------


def test_only_root_with_apt_get_installs_chromium() -> None:
    assert browser.install_commands(True, "/usr/bin/apt-get") == [
        ["/usr/bin/apt-get", "update", "-q"],
        ["/usr/bin/apt-get", "install", "-y", "-q", "chromium"],
    ]
    assert browser.install_commands(False, "/usr/bin/apt-get") is None
    assert browser.install_commands(True, None) is None


def test_a_missing_chromium_is_installed_then_found() -> None:
    ran: list[list[str]] = []

    def run(command: list[str]) -> subprocess.CompletedProcess[str]:
        ran.append(command)
        return subprocess.CompletedProcess(command, 0, "", "")

    def locate() -> str | None:
        return "/usr/bin/chromium" if len(ran) == 2 else None

    found = browser.provision(locate, run, root=True, apt_get="/usr/bin/apt-get")
    assert found == "/usr/bin/chromium"
    assert ran == browser.install_commands(True, "/usr/bin/apt-get")


def test_without_a_way_to_install_the_reason_says_how() -> None:
    with pytest.raises(browser.Unavailable) as raised:
        browser.provision(lambda: None, root=False, apt_get="/usr/bin/apt-get")
    assert "apt-get install chromium" in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_failed_install_is_a_reason_not_a_traceback() -> None:
    def run(command: list[str]) -> subprocess.CompletedProcess[str]:
        error = "Reading package lists...\nE: Unable to locate package chromium\n"
        return subprocess.CompletedProcess(command, 100, "", error)

    with pytest.raises(browser.Unavailable) as raised:
        browser.provision(lambda: None, run, root=True, apt_get="/usr/bin/apt-get")
    reason = str(raised.value)
    assert reason.startswith("`apt-get update -q` exited 100 (E: Unable to locate package")
    assert "\n" not in reason


def test_install_commands_run_noninteractive_and_quiet() -> None:
    result = browser._run(["sh", "-c", 'echo "$DEBIAN_FRONTEND"; echo progress >&2'])
    assert result.returncode == 0
    assert (result.stdout, result.stderr) == ("noninteractive\n", "progress\n")
