"""Listening for runs on a chat connection, each wait with its deadline; what arrives fills a RunRecord."""

import time

from support.clients.chat_connection import ChatConnection
from support.clients.run_record import REFUSAL_TYPE, SETTLE_SECONDS, TERMINAL_TYPES, Closed, RunRecord
from support.stack.service_errors import ServiceUnavailable


async def collect_run(connection: ChatConnection, question: str, timeout: float, asked_at: float) -> RunRecord:
    """Read frames until a terminal event or a refusal (plus a short settle window), a close, or `timeout`."""
    record = RunRecord(question, asked_at=asked_at)
    await listen(connection, record, asked_at + timeout, settle=True)
    return record


async def collect_runs(connection: ChatConnection, what: str, runs: int, timeout: float, asked_at: float) -> RunRecord:
    """Everything that arrives until `runs` terminal events have come (plus the settle window), or `timeout`."""
    record = RunRecord(what, asked_at=asked_at)
    deadline = asked_at + timeout
    while sum(kind in TERMINAL_TYPES for kind in record.types) < runs and time.monotonic() < deadline:
        await listen(connection, record, min(deadline, time.monotonic() + SETTLE_SECONDS))
        if record.closed:
            break
    await listen(connection, record, time.monotonic() + SETTLE_SECONDS)
    return record


async def collect_until(
    connection: ChatConnection, question: str, event_type: str, timeout: float, asked_at: float
) -> RunRecord:
    """Read frames until one of `event_type` arrives (or the run ends, the socket closes, or `timeout`)."""
    record = RunRecord(question, asked_at=asked_at)
    await listen(connection, record, asked_at + timeout, stop_at=(event_type, *TERMINAL_TYPES, REFUSAL_TYPE))
    if event_type not in record.types:
        expected = f"Expected {event_type} within {timeout:g} s of the question; it did not come."
        raise AssertionError(f"{expected}\n{record.received()}")
    return record


async def listen(
    connection: ChatConnection,
    record: RunRecord,
    deadline: float,
    settle: bool = False,
    stop_at: tuple[str, ...] = (),
) -> None:
    """Add what arrives on the connection to `record` until the monotonic `deadline`, a close, or a frame
    of a type in `stop_at`."""
    while record.closed is None and (arrival := await connection.next_frame(deadline)) is not None:
        frame = arrival.frame
        if isinstance(frame, Closed):
            if frame.code is None:
                raise ServiceUnavailable(
                    "chat WebSocket", connection.url, "the connection dropped without a close frame"
                )
            record.closed = frame
            break
        record.events.append(frame)
        record.arrivals.append(arrival.at)
        if frame.get("type") in stop_at:
            break
        ends_run = frame.get("type") in (*TERMINAL_TYPES, REFUSAL_TYPE)
        if settle and ends_run and deadline > time.monotonic() + SETTLE_SECONDS:
            deadline = time.monotonic() + SETTLE_SECONDS
    record.waited = time.monotonic() - record.asked_at
