"""The contract a run's event stream on the chat socket must keep, checked on what arrived (no I/O here)."""

import re
from collections import Counter
from itertools import pairwise
from typing import Any

from support.clients.run_record import REFUSAL_TYPE, TERMINAL_TYPES, RunRecord


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


def expect_exactly(record: RunRecord, expected: list[str]) -> None:
    """These events and no others: no duplicate, no stray agent_error, nothing of another run."""
    expect_in_order(record, expected)
    if record.types != expected:
        raise fail(f"Expected exactly these events, in this order: {', '.join(expected)}.", record)


def expect_terminal(record: RunRecord, terminal_type: str) -> dict[str, Any]:
    terminal = expect_finished(record)
    if terminal.get("type") != terminal_type:
        raise fail(
            f"Expected the run to end with {terminal_type!r}, but it ended with {terminal.get('type')!r}.", record
        )
    return terminal


def expect_answered(record: RunRecord, what: str) -> None:
    """Not refused with an error frame, and ended with agent_completed."""
    refusal = next((event for event in record.events if event.get("type") == REFUSAL_TYPE), None)
    if refusal is not None:
        raise fail(f"Expected {what} to be answered; it was refused with {refusal.get('code')!r}", record)
    expect_terminal(record, "agent_completed")


NEXT_QUESTION, NEXT_ANSWER = "What is 17 + 25?", "42"


def expect_answered_on_the_same_chat(record: RunRecord, same_connection: bool) -> None:
    """The next question got its own answer (agent_completed stating its figure) on the chat it was asked on,
    which stayed open."""
    if not same_connection or record.closed is not None:
        raise fail("Expected the next question to be answered on the same chat, but the chat closed.", record)
    terminal = record.terminal_index
    if terminal is None or record.events[terminal].get("type") != "agent_completed":
        raise fail("Expected the next question to be answered on the same chat with agent_completed.", record)
    answer = str(record.events[terminal].get("content") or "")
    if not states(answer, NEXT_ANSWER):
        raise fail(f"Expected the answer to {NEXT_QUESTION!r} to state {NEXT_ANSWER}; it says {answer!r}.", record)


def expect_finished_within(record: RunRecord, seconds: float) -> None:
    expect_finished(record)
    took = record.seconds_to(record.terminal_index or 0)
    if took > seconds:
        raise fail(f"Expected the run to finish within {seconds:g} s of the question; it took {took:.2f} s.", record)


def expect_run_took_at_most(row: dict[str, Any] | None, record: RunRecord, seconds: float) -> None:
    """By the platform's own times, from the run's start to its end as the database stored them, the run took at
    most `seconds` (the client's clock, which a busy machine slows, is only evidence)."""
    took = (row["ended_at"] - row["started_at"]).total_seconds() if row and row["ended_at"] else None
    if took is None or took > seconds:
        raise fail(
            f"Expected the run to finish within {seconds:g} s of its start; it took "
            f"{record.seconds_to(record.terminal_index or 0):.2f} s as seen here, and "
            f"{'no recorded end' if took is None else f'{took:.2f} s'} by the platform's own times.",
            record,
        )


def expect_bracketed(record: RunRecord) -> None:
    """Exactly one agent_started, and it comes first; exactly one terminal event, and it comes last."""
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
    after = record.types[(record.terminal_index or 0) + 1 :]
    if after:
        raise fail(f"Expected the terminal event to come last; {', '.join(after)} came after it.", record)


def expect_silent(record: RunRecord, where: str) -> None:
    if record.events or record.closed is not None:
        raise fail(f"Expected nothing to reach {where}, where nobody asked anything.", record)


def expect_nothing_after_terminal(record: RunRecord, seconds: float) -> None:
    """Nothing arrived in the `seconds` after the terminal event (the record must have been listened to that long)."""
    index = record.terminal_index
    expect_finished(record)
    assert index is not None
    listened = record.waited - record.seconds_to(index)
    assert listened >= seconds, f"the suite listened only {listened:.2f} s after the terminal event, not {seconds:g} s"
    after = [
        f"{record.types[i]} {record.seconds_to(i) - record.seconds_to(index):.2f} s after it"
        for i in range(index + 1, len(record.events))
    ]
    if after:
        raise fail(f"Expected nothing in the {seconds:g} s after the terminal event; got {', '.join(after)}.", record)


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
    open_calls = _open_tool_calls(record, record.events)
    if not any(kind == "tool_executing" for kind in record.types):
        raise fail("Expected at least one tool call in this run.", record)
    if open_calls:
        raise fail(f"Expected every tool call to complete; still open: {sorted(open_calls)}.", record)


def _open_tool_calls(record: RunRecord, events: list[dict[str, Any]]) -> set[str]:
    open_calls: set[str] = set()
    for event in events:
        call_id = event.get("tool_call_id")
        if event.get("type") == "tool_executing":
            if not call_id:
                raise fail("Expected a tool_call_id on every tool_executing event.", record)
            open_calls.add(call_id)
        elif event.get("type") == "tool_completed":
            if call_id not in open_calls:
                raise fail(f"tool_completed {call_id!r} has no earlier tool_executing with that tool_call_id.", record)
            open_calls.discard(call_id)
    return open_calls


def expect_failed_tool_call(record: RunRecord, code: str) -> dict[str, Any]:
    """The run ends, last and once, with agent_error `code` and a message, after a tool call that never completed."""
    terminal = expect_terminal(record, "agent_error")
    expect_bracketed(record)
    if not _open_tool_calls(record, record.events[: record.terminal_index]):
        raise fail("Expected agent_error to follow a tool call that started and did not complete.", record)
    if terminal.get("code") != code:
        raise fail(f"Expected agent_error to carry the code {code!r}; it carries {terminal.get('code')!r}.", record)
    if not str(terminal.get("message") or "").strip():
        raise fail("Expected agent_error to carry a message saying what went wrong; it has none.", record)
    return terminal


def expect_error_code(record: RunRecord, code: str) -> None:
    terminal = expect_terminal(record, "agent_error")
    if terminal.get("code") != code:
        raise fail(f"Expected agent_error to carry the code {code!r}; it carries {terminal.get('code')!r}.", record)


def states(text: str, figure: str) -> bool:
    """Whether `text` states `figure` as a figure of its own: "20" is not in "420", "$2.50" not in "$2.505"."""
    return re.search(rf"(?<![\w.]){re.escape(figure)}(?![\w]|\.\d)", text) is not None


def expect_answer_mentions(record: RunRecord, figures: list[str]) -> None:
    answer = str(expect_terminal(record, "agent_completed").get("content") or "")
    missing = [figure for figure in figures if not states(answer, figure)]
    if missing:
        raise fail(f"Expected the answer to state {', '.join(figures)}; it does not say {', '.join(missing)}.", record)


def expect_complete_run(record: RunRecord, thread_id: str, figures: list[str]) -> None:
    """A whole run as the contract has it: started once and ended last, seq without gaps, every event naming its
    run and thread, every tool call answered, and an answer that states `figures`. The crowd, the bench and Locust's
    users all judge a run by this."""
    expect_bracketed(record)
    expect_contiguous_seq(record)
    expect_ids_on_every_event(record, thread_id)
    expect_tool_calls_paired(record)
    expect_answer_mentions(record, figures)


def expect_refused(record: RunRecord, code: str) -> None:
    """The message got an error frame with `code`, and no run started."""
    refusals = [event for event in record.events if event.get("type") == REFUSAL_TYPE]
    if "agent_started" in record.types:
        raise fail(f"Expected the message to be refused with {code!r}, but a run started.", record)
    if not refusals or refusals[0].get("code") != code:
        got = refusals[0].get("code") if refusals else "no error frame"
        raise fail(f"Expected an error frame with code {code!r}; got {got!r}.", record)


def expect_distinct_runs(records: list[RunRecord]) -> None:
    """Each question was answered (agent_completed) by a run of its own, whose id every one of its events carries."""
    assert len(records) >= 2, f"Expected at least two runs, got {len(records)}"
    run_ids = []
    for record in records:
        expect_terminal(record, "agent_completed")
        ids = {event.get("run_id") for event in record.events}
        if len(ids) != 1 or None in ids:
            raise fail(
                f"Expected every event of the run to carry the same run_id; got {sorted(map(str, ids))}.", record
            )
        run_ids.append(ids.pop())
    if len(set(run_ids)) != len(run_ids):
        timelines = "\n".join(record.received() for record in records)
        raise AssertionError(f"Expected a distinct run_id for each question; got {run_ids}.\n{timelines}")


def expect_one_after_another(record: RunRecord, answers: list[str]) -> None:
    """One run per question, in the order asked, each ending with agent_completed stating its own answer, and
    none starting before the one before it ended."""
    order = list(dict.fromkeys(str(event.get("run_id")) for event in record.events if event.get("run_id")))
    runs = len(answers)
    if len(order) != runs:
        raise fail(f"Expected {runs} runs, one per question; got {len(order)}.", record)
    for earlier, later in pairwise(order):
        ended = [
            i for i, e in enumerate(record.events) if e.get("run_id") == earlier and e.get("type") in TERMINAL_TYPES
        ]
        started = [i for i, e in enumerate(record.events) if e.get("run_id") == later]
        if not ended or started[0] < ended[0]:
            raise fail(f"Expected run {later[:8]} to start only after run {earlier[:8]} ended; they overlap.", record)
    for run_id in order:
        terminals = [
            e.get("type") for e in record.events if e.get("run_id") == run_id and e.get("type") in TERMINAL_TYPES
        ]
        if terminals != ["agent_completed"]:
            raise fail(
                f"Expected run {run_id[:8]} to end once with agent_completed; it ended with {terminals}.", record
            )
    completed = {e.get("run_id"): str(e.get("content")) for e in record.events if e.get("type") == "agent_completed"}
    for number, (run_id, answer) in enumerate(zip(order, answers, strict=True), start=1):
        if not states(completed[run_id], answer):
            said = completed[run_id]
            raise fail(f"Expected run {number} to answer question {number} with {answer!r}; it said {said!r}.", record)


def last_seq(record: RunRecord) -> int:
    """The highest seq the client saw: what it resumes after."""
    return max((event["seq"] for event in record.events if isinstance(event.get("seq"), int)), default=0)


def expect_resumed_without_gaps(before: RunRecord, resumed: RunRecord, terminal_type: str) -> None:
    """The resumed stream goes on at the seq after the last one seen, with no gap and no repeat, for the same run,
    and ends once, last, with `terminal_type`."""
    seen = last_seq(before)
    refusal = next((event for event in resumed.events if event.get("type") == REFUSAL_TYPE), None)
    if refusal is not None:
        raise fail(
            f"Expected the run's events after seq {seen}; the platform refused to resume it with "
            f"{refusal.get('code')!r}: {refusal.get('detail')}",
            resumed,
        )
    seqs = [event.get("seq") for event in resumed.events]
    expected = list(range(seen + 1, seen + 1 + len(seqs)))
    if not seqs:
        raise fail(f"Expected the events after seq {seen}; none arrived on the resumed connection.", resumed)
    if seqs != expected:
        repeated = sorted({seq for seq in seqs if isinstance(seq, int) and (seq <= seen or seqs.count(seq) > 1)})
        highest = max((seq for seq in seqs if isinstance(seq, int)), default=seen)
        missing = sorted(set(range(seen + 1, highest + 1)) - {seq for seq in seqs if isinstance(seq, int)})
        raise fail(
            f"Expected the resumed run to go on at seq {seen + 1} with no gap and no repeat; got seqs {seqs}"
            f" (repeated: {repeated or 'none'}, missing: {missing or 'none'}).",
            resumed,
        )
    run_ids = {event.get("run_id") for event in [*before.events, *resumed.events]}
    if len(run_ids) != 1:
        raise fail(f"Expected every event to belong to the one run; got run ids {sorted(map(str, run_ids))}.", resumed)
    terminals = [kind for kind in resumed.types if kind in TERMINAL_TYPES]
    if terminals != [terminal_type] or resumed.types[-1] != terminal_type:
        raise fail(f"Expected the run to end once, last, with {terminal_type}; its endings: {terminals}.", resumed)
