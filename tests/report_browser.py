"""Serving a generated Allure report on 127.0.0.1 and looking at it in headless Chromium."""

import contextlib
import functools
import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

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


def generate_report(results: Path, report: Path) -> Path:
    """Render Allure results to HTML with the project's Allure 3 and config."""
    subprocess.run(
        [str(ROOT / "node_modules/.bin/allure"), "generate", str(results), "-o", str(report),
         "--config", str(ROOT / "allurerc.mjs")],
        cwd=ROOT, check=True, capture_output=True, timeout=120,
        env={**os.environ, "PATH": f"{ROOT / '.venv/bin'}:{os.environ['PATH']}"},
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


def dom(url: str) -> str:
    return browse(url, "--dump-dom")


def screenshot(url: str, path: Path) -> None:
    browse(url, "--window-size=1400,1000", f"--screenshot={path}")
