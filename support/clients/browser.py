"""A customer's browser: its own cookie jar, redirects followed one hop at a time, every hop recorded."""

import ssl
from collections.abc import Callable
from functools import cache
from urllib.parse import urljoin

import httpx2

from support.clients.http_client import ApiResponse, send_recorded
from support.report.evidence import ScenarioEvidence

MAX_HOPS = 12


@cache
def tls() -> ssl.SSLContext:
    """One verifying TLS context for every browser: building one costs about 45 ms, a cookie jar nothing."""
    return ssl.create_default_context()


class Browser:
    def __init__(self, owner: str, evidence: ScenarioEvidence, timeout: float) -> None:
        self.owner = owner
        self.evidence = evidence
        self.http = httpx2.AsyncClient(timeout=timeout, follow_redirects=False, verify=tls())
        self.locations: list[str] = []  # every Location header this browser was sent to

    async def get(self, url: str, service: str) -> ApiResponse:
        return await send_recorded(self.http, self.evidence, self.http.build_request("GET", url), service)

    async def submit(self, url: str, form: dict[str, str], service: str) -> ApiResponse:
        request = self.http.build_request("POST", url, data=form)
        return await send_recorded(self.http, self.evidence, request, service)

    async def follow(
        self, url: str, service: Callable[[str], str], stop: Callable[[str], bool]
    ) -> tuple[str, ApiResponse | None]:
        """Go to `url` and follow redirects until one points where `stop` says (not visited); return that URL.

        If a page answers without redirecting first, return its URL and the answer.
        """
        for _ in range(MAX_HOPS):
            if stop(url):
                return url, None
            response = await self.get(url, service(url))
            location = response.headers.get("location")
            if not (300 <= response.status < 400 and location):
                return url, response
            url = urljoin(url, location)
            self.locations.append(url)
        raise AssertionError(f"{self.owner}'s browser was redirected more than {MAX_HOPS} times, last to {url}")

    async def close(self) -> None:
        await self.http.aclose()
