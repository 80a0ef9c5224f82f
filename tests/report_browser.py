"""Serving a generated Allure report on 127.0.0.1 and looking at it in headless Chromium."""

import base64
import contextlib
import functools
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

from tests.behave_runs import ROOT

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--virtual-time-budget=15000",
]


def generate_report(results: Path, report: Path, history: Path | None = None) -> Path:
    """Render Allure results to HTML with the project's Allure 3 and config; history only in the file given."""
    subprocess.run(
        [str(ROOT / "node_modules/.bin/allure"), "generate", str(results), "-o", str(report),
         "--config", str(ROOT / "allurerc.mjs")],
        cwd=ROOT, check=True, capture_output=True, timeout=120,
        env={**os.environ, "PATH": f"{ROOT / '.venv/bin'}:{os.environ['PATH']}",
             "ALLURE_HISTORY": str(history) if history else "off"},
    )  # fmt: skip
    return report


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        raise AssertionError(
            "Chromium is needed to check the report in a browser. `make test` installs it when run as root; "
            "otherwise install it with `sudo apt-get install chromium`."
        )
    return found


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        thread.join(5)


def browse(url: str, *extra: str) -> str:
    """The page's DOM after its scripts ran."""
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        completed = subprocess.run(
            [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, url],
            capture_output=True,
            text=True,
            timeout=90,
        )
    return completed.stdout


def report_test_id(report: Path, name: str) -> str:
    """The report's own id for the test result with this name (the page address is `#<id>`)."""
    for path in (report / "data" / "test-results").glob("*.json"):
        if json.loads(path.read_text()).get("name") == name:
            return path.stem
    raise AssertionError(f"no test result named {name!r} in {report}")


class Page:
    """Headless Chromium driven over the DevTools protocol, for what needs a click (opening a step)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._ids = itertools.count(1)

    def __enter__(self) -> "Page":
        self._resources = contextlib.ExitStack()
        profile = self._resources.enter_context(
            tempfile.TemporaryDirectory(prefix="chromium-", ignore_cleanup_errors=True)
        )
        flags = [flag for flag in CHROMIUM_FLAGS if not flag.startswith("--virtual-time")]
        self._browser = subprocess.Popen(
            [chromium(), *flags, f"--user-data-dir={profile}", "--remote-debugging-port=0",
             "--window-size=1400,1000", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        self._resources.callback(self._browser.wait, 10)
        self._resources.callback(os.killpg, self._browser.pid, signal.SIGTERM)
        port_file = Path(profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            assert time.monotonic() < deadline, "Chromium did not open its DevTools port within 30 s"
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as listing:
            [page] = [target for target in json.load(listing) if target["type"] == "page"]
        self._socket = self._resources.enter_context(
            connect(page["webSocketDebuggerUrl"], max_size=2**26, open_timeout=10)
        )
        self.call("Page.navigate", url=self.url)
        return self

    def __exit__(self, *exc: object) -> None:
        self._resources.close()

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        call_id = next(self._ids)
        self._socket.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message: dict[str, Any] = json.loads(self._socket.recv(timeout=30))
            if message.get("id") == call_id:
                assert "error" not in message, f"{method} failed: {message['error']}"
                return message["result"]  # type: ignore[no-any-return]

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        return result["result"].get("value")

    def go(self, fragment: str) -> None:
        self.evaluate(f"location.hash = {json.dumps(fragment)}")

    def text(self, waiting_for: str, timeout: float = 20) -> str:
        """The page's visible text, once it shows `waiting_for`."""
        deadline = time.monotonic() + timeout
        while True:
            text: str = self.evaluate("document.body ? document.body.innerText : ''") or ""
            if waiting_for in text:
                return text
            assert time.monotonic() < deadline, f"the page never showed {waiting_for!r}; it shows:\n{text[-1500:]}"
            time.sleep(0.2)

    def description(self) -> str:
        """The test's description, which the report renders in an iframe of its own."""
        self.text("Description")
        frame = "document.querySelector('[data-testid=test-result-description-frame]')"
        deadline = time.monotonic() + 10
        while not (text := self.evaluate(f"(({frame} || {{}}).contentDocument || {{body: {{}}}}).body.innerText")):
            assert time.monotonic() < deadline, "the description did not render"
            time.sleep(0.2)
        return str(text)

    def step(self, title: str) -> str:
        """The content of the step whose title starts with `title`, opening it if it is closed."""
        self.text(title)
        finder = (
            "[...document.querySelectorAll('[data-testid=test-result-step-header]')]"
            f".find(h => h.textContent.includes({json.dumps(title)}))"
        )
        content = f"(h => h.parentElement.querySelector('[data-testid=test-result-step-content]'))({finder})"
        if not self.evaluate(f"!!{content}"):
            self.evaluate(f"{finder}.click()")
        self.evaluate(f"{finder}.scrollIntoView({{block: 'start'}})")
        deadline = time.monotonic() + 10
        while not (opened := self.evaluate(f"({content} || {{}}).innerText")):
            assert time.monotonic() < deadline, f"the step {title!r} did not open"
            time.sleep(0.2)
        return str(opened)

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"]))


def dom(url: str) -> str:
    return browse(url, "--dump-dom")


def screenshot(url: str, path: Path) -> None:
    browse(url, "--window-size=1400,1000", f"--screenshot={path}")
