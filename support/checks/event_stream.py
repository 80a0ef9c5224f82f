"""Collecting one agent run from a chat connection, and the contract its event stream must keep."""

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from support.clients.chat_connection import ChatConnection, Closed
from support.report.evidence import format_timeline
from support.stack.service_errors import ServiceUnavailable

TERMINAL_TYPES = ("agent_completed", "agent_error")
SETTLE_SECONDS = 0.3  # how long to keep listening after the terminal event, to catch anything sent after it


@dataclass
class RunRecord:
    question: str
    events: list[dict[str, Any]] = field(default_factory=list)
    closed: Closed | None = None
    waited: float = 0.0

    @property
    def terminal_index(self) -> int | None:
        return next((i for i, event in enumerate(self.events) if event.get("type") in TERMINAL_TYPES), None)

    @property
    def types(self) -> list[str]:
        return [str(event.get("type")) for event in self.events]

    def received(self) -> str:
        ending = (
            f"\nthen the socket closed (code={self.closed.code}, reason={self.closed.reason!r})" if self.closed else ""
        )
        return f"received for {self.question!r}:\n{format_timeline(self.events)}{ending}"


async def collect_run(connection: ChatConnection, question: str, timeout: float) -> RunRecord:
    """Read frames until a terminal event (plus a short settle window), the socket closes, or `timeout` passes."""
    record = RunRecord(question)
    started = time.monotonic()
    deadline = started + timeout
    while (frame := await connection.next_frame(deadline)) is not None:
        if isinstance(frame, Closed):
            if frame.code is None:
                raise ServiceUnavailable(
                    "chat WebSocket", connection.url, "the connection dropped without a close frame"
                )
            record.closed = frame
            break
        record.events.append(frame)
        if frame.get("type") in TERMINAL_TYPES and deadline > time.monotonic() + SETTLE_SECONDS:
            deadline = time.monotonic() + SETTLE_SECONDS
    record.waited = time.monotonic() - started
    return record


def fail(expectation: str, record: RunRecord) -> AssertionError:
    return AssertionError(f"{expectation}\n{record.received()}")


def expect_finished(record: RunRecord) -> dict[str, Any]:
    index = record.terminal_index
    if index is None:
        if record.closed:
            raise fail(
                "Expected the run to end with agent_completed or agent_error, but the socket closed first.", record
            )
        raise fail(f"Expected agent_completed or agent_error within {record.waited:.1f} s; none arrived.", record)
    return record.events[index]


def expect_in_order(record: RunRecord, expected: list[str]) -> None:
    """The expected types appear in this order (other events may come between them)."""
    position = 0
    matched: list[str] = []
    for wanted in expected:
        found = next((i for i in range(position, len(record.events)) if record.types[i] == wanted), None)
        if found is None:
            raise fail(
                f"Expected events in order: {', '.join(expected)}.\n"
                f"Matched {', '.join(matched) or 'nothing'}; no {wanted!r} came after that.",
                record,
            )
        matched.append(wanted)
        position = found + 1


def expect_terminal(record: RunRecord, terminal_type: str) -> dict[str, Any]:
    terminal = expect_finished(record)
    if terminal.get("type") != terminal_type:
        raise fail(
            f"Expected the run to end with {terminal_type!r}, but it ended with {terminal.get('type')!r}.", record
        )
    return terminal


def expect_bracketed(record: RunRecord) -> None:
    """Exactly one agent_started, and it comes first; exactly one terminal event."""
    expect_finished(record)
    counts = Counter(record.types)
    if record.types[0] != "agent_started" or counts["agent_started"] != 1:
        raise fail(
            f"Expected exactly one agent_started as the first event; got {counts['agent_started']}, "
            f"and the first event was {record.types[0]!r}.",
            record,
        )
    terminals = sum(counts[kind] for kind in TERMINAL_TYPES)
    if terminals != 1:
        raise fail(f"Expected exactly one terminal event; got {terminals}.", record)


def expect_nothing_after_terminal(record: RunRecord) -> None:
    expect_finished(record)
    after = record.types[(record.terminal_index or 0) + 1 :]
    if after:
        raise fail(f"Expected nothing after the terminal event; got {', '.join(after)}.", record)


def expect_ids_on_every_event(record: RunRecord, thread_id: str) -> None:
    run_ids = {event.get("run_id") for event in record.events}
    for event in record.events:
        missing = [key for key in ("run_id", "thread_id", "seq") if not event.get(key)]
        if missing:
            raise fail(
                f"Expected run_id, thread_id and seq on every event; {event.get('type')} lacks {missing}.", record
            )
        if event["thread_id"] != thread_id:
            raise fail(
                f"Expected thread_id {thread_id} on every event; {event['type']} has {event['thread_id']}.", record
            )
    if len(run_ids) != 1:
        raise fail(f"Expected one run_id across the run; got {sorted(map(str, run_ids))}.", record)


def expect_contiguous_seq(record: RunRecord) -> None:
    seqs = [event.get("seq") for event in record.events]
    expected = list(range(1, len(seqs) + 1))
    if seqs != expected:
        raise fail(f"Expected seq to rise by one from 1: {expected}; got {seqs}.", record)


def expect_tool_calls_paired(record: RunRecord) -> None:
    """Every tool_completed follows a tool_executing with the same tool_call_id, and none is left open."""
    open_calls: set[str] = set()
    executed = 0
    for event in record.events:
        call_id = event.get("tool_call_id")
        if event.get("type") == "tool_executing":
            executed += 1
            if not call_id:
                raise fail("Expected a tool_call_id on every tool_executing event.", record)
            open_calls.add(call_id)
        elif event.get("type") == "tool_completed":
            if call_id not in open_calls:
                raise fail(f"tool_completed {call_id!r} has no earlier tool_executing with that tool_call_id.", record)
            open_calls.discard(call_id)
    if executed == 0:
        raise fail("Expected at least one tool call in this run.", record)
    if open_calls:
        raise fail(f"Expected every tool call to complete; still open: {sorted(open_calls)}.", record)


def expect_distinct_runs(records: list[RunRecord]) -> None:
    """Each question got a finished run of its own."""
    assert len(records) >= 2, f"Expected at least two runs, got {len(records)}"
    run_ids = []
    for record in records:
        expect_finished(record)
        run_ids.append(record.events[0].get("run_id"))
    if None in run_ids or len(set(run_ids)) != len(run_ids):
        timelines = "\n".join(record.received() for record in records)
        raise AssertionError(f"Expected a distinct run_id for each question; got {run_ids}.\n{timelines}")
