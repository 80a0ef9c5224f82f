"""Serving a generated Allure report on 127.0.0.1 and looking at it with Playwright in Debian's Chromium.

The browser always reads the report in one locale and one time zone (`LOCALE`, `TIME_ZONE`), so what a
test reads does not depend on the machine it runs on.
"""

import contextlib
import functools
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.sync_api import Locator, sync_playwright
from playwright.sync_api import Page as PlaywrightPage

from tests.behave_runs import ROOT

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LOCALE = "en-US"
TIME_ZONE = "UTC"
WAIT_MS = 20_000


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


def report_test_id(report: Path, name: str) -> str:
    """The report's own id for the test result with this name (the page address is `#<id>`)."""
    for path in (report / "data" / "test-results").glob("*.json"):
        if json.loads(path.read_text()).get("name") == name:
            return path.stem
    raise AssertionError(f"no test result named {name!r} in {report}")


class Page:
    """One report page in headless Chromium, for what needs a click (opening a step) or a wait."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> "Page":
        self._resources = contextlib.ExitStack()
        try:
            playwright = self._resources.enter_context(sync_playwright())
            browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_FLAGS, headless=True)
            self._resources.callback(browser.close)
            context = browser.new_context(
                locale=LOCALE, timezone_id=TIME_ZONE, viewport={"width": 1400, "height": 1000}
            )
            context.set_default_timeout(WAIT_MS)
            self.page: PlaywrightPage = context.new_page()
            self.page.goto(self.url)
        except BaseException:
            self._resources.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._resources.close()

    def text(self, waiting_for: str) -> str:
        """The page's visible text, once it shows `waiting_for`."""
        try:
            self.page.wait_for_function("shown => document.body.innerText.includes(shown)", arg=waiting_for)
        except Exception as error:
            shows = self.page.inner_text("body")[-1500:]
            raise AssertionError(f"the page never showed {waiting_for!r}; it shows:\n{shows}") from error
        return self.page.inner_text("body")

    def description(self) -> str:
        """The test's description, which the report renders in an iframe of its own."""
        body = self.page.frame_locator("[data-testid=test-result-description-frame]").locator("body")
        self.page.wait_for_function(
            "() => document.querySelector('[data-testid=test-result-description-frame]')"
            "?.contentDocument?.body?.innerText"
        )
        return body.inner_text()

    def step(self, title: str) -> str:
        """The content of the step whose title contains `title`, opening it if it is closed."""
        header = self.page.locator("[data-testid=test-result-step-header]", has_text=title).first
        content: Locator = header.locator("xpath=..").locator("[data-testid=test-result-step-content]").first
        header.wait_for()
        if not content.is_visible():
            header.click()
        header.scroll_into_view_if_needed()
        content.wait_for()
        return content.inner_text()

    def locator(self, selector: str) -> Locator:
        return self.page.locator(selector)

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path))
