"""A journey's own database outage: the embedded stack's PostgreSQL stopped, then always started again."""

import asyncio
import time

import httpx2

from support.stack.control import StackHandle
from support.stack.preflight import said
from support.stack.service_errors import NotConfigured

RECOVERY_SECONDS = 10.0  # how long every server gets to be ready again once the database is back


class DatabaseOutage:
    def __init__(self, stack: StackHandle | None) -> None:
        if stack is None:
            raise NotConfigured(
                "The database outage journeys stop and start PostgreSQL: they run on the embedded stack only "
                '(leave them out against a deployment with --tags="not @restarts").'
            )
        self.stack = stack
        self.active = False

    def begin(self) -> None:
        self.active = True
        self.stack.stop_database()

    def end(self) -> None:
        if self.active:
            self.stack.start_database()
            self.active = False


async def not_ready_after(instances: list[str], seconds: float = RECOVERY_SECONDS) -> dict[str, str]:
    """Wait for every instance's readiness; what those still not ready said after `seconds`."""
    deadline, waiting = time.monotonic() + seconds, {url: "no answer yet" for url in instances}
    async with httpx2.AsyncClient(timeout=2.0) as client:
        while waiting and time.monotonic() < deadline:
            for url in list(waiting):
                try:
                    response = await client.get(f"{url}/health/ready")
                except httpx2.HTTPError as error:
                    waiting[url] = repr(error)
                    continue
                if response.status_code == 200:
                    del waiting[url]
                else:
                    waiting[url] = f"HTTP {response.status_code}: {said(response)}"
            await asyncio.sleep(0.1)
    return waiting
