"""What the protocols of one POST per run share (AG-UI, the Vercel AI stream): the conversation's fields, ids,
the POST whose refusal is read from its HTTP status before any stream begins, and the server-sent events that
answer it, each within the event timeout."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx2

from support.agents.run import AgentRun, Refusal
from support.report.evidence import ScenarioEvidence
from support.stack.service_errors import ServiceUnavailable, describe

REASONS = {401: "unauthorized", 404: "not_found", 429: "rate_limited"}


def new_id(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:12]}"


def refusal(response: httpx2.Response) -> Refusal:
    """A run refused before it started, by its status; Retry-After in seconds, as the contract gives it."""
    retry_after = response.headers.get("retry-after")
    seconds = float(retry_after) if retry_after and retry_after.isdigit() else None
    return Refusal(REASONS.get(response.status_code, "other"), f"HTTP {response.status_code} {response.text[:300]}",
                   seconds)  # fmt: skip


class StreamedConversation:
    """One conversation as the app holds it: where runs go, who asks, its id and every message so far."""

    def __init__(
        self, http: httpx2.AsyncClient, url: str, name: str, evidence: ScenarioEvidence, bearer: str | None,
        event_timeout: float, thread_id: str | None = None,
    ) -> None:  # fmt: skip
        self.http, self.url, self.name, self.evidence = http, url, name, evidence
        self.bearer, self.event_timeout = bearer, event_timeout
        self.thread_id = thread_id or str(uuid.uuid4())
        self.messages: list[dict[str, Any]] = []

    def headers(self, bearer: str | None) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        token = bearer if bearer is not None else self.bearer
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    async def post(
        self, run: AgentRun, body: str, bearer: str | None, service: str,
        receive: Callable[[httpx2.Response], Awaitable[None]],
    ) -> bool:  # fmt: skip
        """POST one run and `receive` its answer; False, with the refusal on the run, if it never started."""
        self.evidence.record_frame(self.name, "->", f"POST {self.url} {body}")
        try:
            async with self.http.stream("POST", self.url, content=body, headers=self.headers(bearer)) as response:
                if response.status_code != 200:
                    await response.aread()
                    self.evidence.record_frame(self.name, "<-", f"HTTP {response.status_code} {response.text}")
                    run.refused = refusal(response)
                    return False
                await receive(response)
        except httpx2.TransportError as error:
            raise ServiceUnavailable(service, self.url, describe(error)) from error
        return True

    async def events(self, response: httpx2.Response, run: AgentRun, what: str) -> AsyncIterator[str]:
        """Each server-sent event's data, its data lines joined at the blank line that ends it. The stream's end,
        or a connection lost once the answer began, ends them (the run then judges whether it was cut off);
        nothing for `event_timeout` fails, naming what was expected and what arrived."""
        lines, data = response.aiter_lines(), list[str]()
        while True:
            try:
                line = await asyncio.wait_for(anext(lines), self.event_timeout)
            except (StopAsyncIteration, httpx2.TransportError):
                break
            except TimeoutError:
                raise AssertionError(
                    f"Expected the next {what} of {self.name}'s run within {self.event_timeout:g} s; none came. "
                    f"Received:\n{run.received()}"
                ) from None
            if line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
            elif not line and data:
                yield "\n".join(data)
                data = []
        if data:
            yield "\n".join(data)
