"""A run as a chat client received it: its events, when each arrived, and how the socket closed. Pure (no I/O, no
asyncio), so that the suite's checks judge it wherever it was read: by the suite's asyncio clients or by Locust's
users (load/)."""

import time
from dataclasses import dataclass, field
from typing import Any

from support.report.timeline import format_timeline


@dataclass(frozen=True)
class Closed:
    """The socket closed; stands in the queue after the last frame."""

    code: int | None
    reason: str


TERMINAL_TYPES = ("agent_completed", "agent_error")
REFUSAL_TYPE = "error"  # the platform refuses a message with an error frame; no run follows it
SETTLE_SECONDS = 0.3  # how long to keep listening after a terminal event or a refusal, to catch a stray event


@dataclass
class RunRecord:
    question: str
    events: list[dict[str, Any]] = field(default_factory=list)
    closed: Closed | None = None
    asked_at: float = field(default_factory=time.monotonic)
    arrivals: list[float] = field(default_factory=list)
    waited: float = 0.0

    @property
    def terminal_index(self) -> int | None:
        return next((i for i, event in enumerate(self.events) if event.get("type") in TERMINAL_TYPES), None)

    @property
    def types(self) -> list[str]:
        return [str(event.get("type")) for event in self.events]

    def seconds_to(self, index: int) -> float:
        """Seconds from the question to the arrival of event `index`."""
        return self.arrivals[index] - self.asked_at if index < len(self.arrivals) else self.waited

    def received(self) -> str:
        ending = (
            f"\nthen the socket closed (code={self.closed.code}, reason={self.closed.reason!r})" if self.closed else ""
        )
        offsets = [at - self.asked_at for at in self.arrivals]
        return f"received for {self.question!r}:\n{format_timeline(self.events, offsets=offsets)}{ending}"
