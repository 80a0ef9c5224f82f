"""A run as the suite speaks of it, whichever protocol carried it: it started, the agent thought, a tool call
opened and closed with its result, text arrived, and it finished or failed with a code and a message."""

from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["started", "thinking", "tool_opened", "tool_result", "text", "finished", "error", "other"]
TERMINAL: frozenset[Kind] = frozenset({"finished", "error"})


@dataclass(frozen=True)
class RunEvent:
    kind: Kind
    wire: dict[str, Any]  # the event as the protocol sent it, for evidence and for quoting in a failure
    run_id: str | None = None
    thread_id: str | None = None
    tool_call_id: str | None = None
    tool: str | None = None
    text: str = ""
    code: str | None = None
    outcome: str | None = None  # how a finished run says it ended: success, or waiting on the app's tools
    pending: tuple[str, ...] | None = None  # the tool calls a finished run says it leaves to the app, if it says


@dataclass(frozen=True)
class AppTool:
    """A tool only the customer's app can carry out: the agent may call it, and the app answers in the next run."""

    name: str
    description: str


@dataclass(frozen=True)
class Refusal:
    """A run refused before it started, in the suite's words: unauthorized, not_found, rate_limited or other."""

    reason: str
    said: str  # what the protocol said, for the failure message
    retry_after: float | None = None


@dataclass
class AgentRun:
    """One question's run: what the app sent, everything that came back, and whether the stream ended properly."""

    question: str
    run_id: str  # the id the app asked for the run by, or the one the protocol gave it
    thread_id: str
    events: list[RunEvent] = field(default_factory=list)
    cut_off: bool = False  # the stream ended before its terminal event
    refused: "Refusal | None" = None  # why the run never started, if it did not
    extras: list[str] = field(default_factory=list)  # fields the protocol does not define, as evidence

    def of_kind(self, kind: Kind) -> list[RunEvent]:
        return [event for event in self.events if event.kind == kind]

    @property
    def terminals(self) -> list[RunEvent]:
        return [event for event in self.events if event.kind in TERMINAL]

    @property
    def answer(self) -> str:
        """Its text, streamed or given whole with the end (as the chat socket gives it)."""
        return "".join(event.text for event in self.events if event.kind in ("text", "finished"))

    @property
    def tool_calls(self) -> dict[str, str]:
        """Each tool call's id, with its tool's name."""
        return {event.tool_call_id or "": event.tool or "" for event in self.of_kind("tool_opened")}

    @property
    def tool_results(self) -> dict[str, str]:
        return {event.tool_call_id or "": event.text for event in self.of_kind("tool_result")}

    def received(self) -> str:
        """The stream as it arrived, one event a line, for a failure message."""
        lines = [f"  {event.kind}: {event.wire}" for event in self.events[:40]]
        more = [f"  … and {len(self.events) - 40} more"] if len(self.events) > 40 else []
        ending = ["  (the stream ended here, before its terminal event)"] if self.cut_off else []
        return "\n".join([*lines, *more, *ending]) or "  (nothing)"
