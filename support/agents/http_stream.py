"""What the protocols of one POST per run share (AG-UI, the Vercel AI stream): the conversation's fields, ids,
and a refusal read from the HTTP status before any stream begins."""

import uuid
from typing import Any

import httpx2

from support.agents.run import Refusal
from support.report.evidence import ScenarioEvidence

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
