"""A headless Chromium driven through the DevTools protocol over a pipe: no driver to
download, no package beyond the system's `chromium`.

`chromium --remote-debugging-pipe` reads protocol messages (JSON, each ending in a NUL
byte) on its file descriptor 3 and writes replies on 4.

As a command, a screenshot of a page's top as a reader's window shows it (the README's):

    python tests/browser.py PAGE.html OUT.png [--width 1400] [--height 900]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PACKAGE = "chromium"  # Debian's: a browser from the archive, never one that downloads itself
HOW = (
    f"no Chromium on PATH: install Debian's with `apt-get install {PACKAGE}` "
    "(the browser tests do so themselves when run as root on a machine with apt-get)"
)
INSTALL_SECONDS = 1800  # apt-get update and a ~100 MB download on a slow mirror
REPLY_SECONDS = 60.0  # a Chromium that stops answering fails the test instead of hanging it


class Unavailable(Exception):
    """No Chromium here, and none could be installed; the message says how to get one."""


def find() -> str | None:
    """The system's Chromium, or None."""
    return next((path for name in NAMES if (path := shutil.which(name))), None)


def install_commands(root: bool, apt_get: str | None) -> list[list[str]] | None:
    """What installs Debian's Chromium here (run with DEBIAN_FRONTEND=noninteractive), or
    None where we may not: not root, or no apt-get."""
    if not root or apt_get is None:
        return None
    return [[apt_get, "update", "-q"], [apt_get, "install", "-y", "-q", PACKAGE]]


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    """One install command, its output captured: apt's progress would bury pytest's."""
    return subprocess.run(
        command,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=INSTALL_SECONDS,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        check=False,
    )


def provision(
    locate: Callable[[], str | None] = find,
    run: Callable[[list[str]], subprocess.CompletedProcess[str]] = _run,
    root: bool | None = None,
    apt_get: str | None = None,
) -> str:
    """The system's Chromium, first installed from Debian's archive where it is missing and
    we may (root, apt-get); raises Unavailable, with a one-line reason, otherwise."""
    if found := locate():
        return found
    root = os.geteuid() == 0 if root is None else root
    commands = install_commands(root, apt_get or shutil.which("apt-get"))
    if commands is None:
        raise Unavailable(HOW)
    for command in commands:
        shown = " ".join([Path(command[0]).name, *command[1:]])
        try:
            result = run(command)
        except subprocess.TimeoutExpired:
            raise Unavailable(f"`{shown}` took over {INSTALL_SECONDS} s; {HOW}") from None
        if result.returncode != 0:
            output = (result.stderr or result.stdout or "").strip().splitlines()
            last = output[-1] if output else "no output"
            raise Unavailable(f"`{shown}` exited {result.returncode} ({last}); {HOW}")
    if found := locate():
        return found
    raise Unavailable(f"apt-get installed {PACKAGE}, yet none of {', '.join(NAMES)} is on PATH")


def _as_fds_3_and_4(read: int, write: int) -> None:
    """In the child before exec: the browser's ends of the pipes as fds 3 and 4."""
    first, second = os.dup(read), os.dup(write)  # copies, whatever 3 and 4 hold now
    os.dup2(first, 3)
    os.dup2(second, 4)
    os.set_inheritable(3, True)
    os.set_inheritable(4, True)


class Browser:
    """One headless Chromium with one page open, `width` by `height` CSS pixels.

    Every event Chromium sends is kept in `events` (cleared by `open`), so a test can read
    which requests a page made (`requests`)."""

    def __init__(self, executable: str, width: int = 1400, height: int = 1000) -> None:
        self.profile = tempfile.TemporaryDirectory(prefix="specc-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        self.process = subprocess.Popen(
            [
                executable,
                "--headless",
                "--remote-debugging-pipe",
                "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
                "--disable-dev-shm-usage",  # containers' /dev/shm is often too small for it
                "--disable-gpu",
                "--hide-scrollbars",
                "--no-first-run",
                f"--user-data-dir={self.profile.name}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,  # the pipe's ends reach the child as fds 3 and 4, inheritable
            preexec_fn=lambda: _as_fds_3_and_4(to_browser_r, from_browser_w),
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        self.resize(width, height)
        self.page("Page.enable")
        self.page("Network.enable")  # its requestWillBeSent events name every request

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one protocol command and wait for its reply (events meanwhile are kept)."""
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + REPLY_SECONDS
        while True:
            reply = self._next(method, deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def page(self, method: str, **params: Any) -> dict[str, Any]:
        """A command to the open page."""
        return self.call(method, self.session, **params)

    def _next(self, method: str, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise RuntimeError(f"{method}: no reply from Chromium in {REPLY_SECONDS:g} s")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed its pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)  # type: ignore[no-any-return]

    def resize(self, width: int, height: int) -> None:
        """The viewport as `width` by `height` CSS pixels, one device pixel each."""
        self.page("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=False)  # fmt: skip

    def open(self, path: Path) -> None:
        """Load a file and wait until it, its images and its fonts have loaded."""
        self.events.clear()
        navigated = self.page("Page.navigate", url=path.resolve().as_uri())
        if "errorText" in navigated:
            raise RuntimeError(f"{path}: {navigated['errorText']}")
        for _ in range(200):
            if self.evaluate("document.readyState") == "complete":
                self.evaluate("document.fonts.ready.then(() => true)")
                return
            self.evaluate("new Promise(r => setTimeout(r, 50))")
        raise RuntimeError(f"{path} did not load")

    def requests(self) -> list[str]:
        """The URL of every request the page made since `open`, the page's own first."""
        return [
            event["params"]["request"]["url"]
            for event in self.events
            if event["method"] == "Network.requestWillBeSent"
        ]

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (awaited when a promise)."""
        result = self.page("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)  # fmt: skip
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def click(self, x: float, y: float) -> None:
        """A real mouse click at a point of the viewport, as a reader's."""
        self.page("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
        for kind in ("mousePressed", "mouseReleased"):
            self.page("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left",
                      clickCount=1)  # fmt: skip

    def screenshot(self, path: Path, full_page: bool = False) -> None:
        """A PNG of the viewport, or of the whole page (its full width and height)."""
        options: dict[str, Any] = {}
        if full_page:
            size = self.page("Page.getLayoutMetrics")["cssContentSize"]
            clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"]}
            options = {"captureBeyondViewport": True, "clip": {**clip, "scale": 1}}
        shot = self.page("Page.captureScreenshot", format="png", **options)
        path.write_bytes(base64.b64decode(shot["data"]))

    def close(self) -> None:
        """Quit Chromium and remove its profile."""
        try:
            self.call("Browser.close")
        except RuntimeError:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        self.profile.cleanup()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def main(argv: list[str] | None = None) -> int:
    """Write a screenshot of a page's top; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python tests/browser.py",
        description="Write a PNG of the top of PAGE as a reader's window shows it, in the "
        "system's headless Chromium.",
    )
    parser.add_argument("page", metavar="PAGE", type=Path, help="an HTML file")
    parser.add_argument("out", metavar="OUT", type=Path, help="the PNG to write")
    parser.add_argument("--width", type=int, default=1400, help="CSS pixels (default 1400)")
    parser.add_argument("--height", type=int, default=900, help="CSS pixels (default 900)")
    args = parser.parse_args(argv)
    if not args.page.is_file():
        parser.error(f"{args.page}: no such file")
    executable = find()
    if executable is None:
        parser.error(HOW)
    with Browser(executable, args.width, args.height) as browser:
        browser.open(args.page)
        browser.screenshot(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
