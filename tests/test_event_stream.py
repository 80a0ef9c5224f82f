from typing import Any

import pytest

from support.checks import event_stream as stream
from support.checks.event_stream import RunRecord

THREAD = "thread-1"


def event(kind: str, seq: int, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "run_id": "run-1", "thread_id": THREAD, "seq": seq, **extra}


def good_run() -> RunRecord:
    return RunRecord(
        "q",
        [
            event("agent_started", 1),
            event("agent_thinking", 2),
            event("tool_executing", 3, tool_call_id="c1"),
            event("tool_completed", 4, tool_call_id="c1"),
            event("agent_completed", 5, content="answer"),
        ],
    )


FIVE = ["agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed"]


def test_a_good_run_meets_the_whole_contract() -> None:
    run = good_run()
    stream.expect_in_order(run, FIVE)
    stream.expect_bracketed(run)
    stream.expect_nothing_after_terminal(run)
    stream.expect_ids_on_every_event(run, THREAD)
    stream.expect_contiguous_seq(run)
    stream.expect_tool_calls_paired(run)
    assert stream.expect_terminal(run, "agent_completed")["content"] == "answer"


def test_in_order_lists_expected_and_received_when_an_event_is_missing() -> None:
    run = good_run()
    del run.events[1]
    with pytest.raises(AssertionError) as failure:
        stream.expect_in_order(run, FIVE)
    message = str(failure.value)
    assert "Expected events in order: agent_started, agent_thinking" in message
    assert "no 'agent_thinking' came after that" in message
    assert "tool_executing" in message.split("received")[1]


def test_in_order_fails_when_tool_events_are_swapped() -> None:
    run = good_run()
    run.events[2], run.events[3] = run.events[3], run.events[2]
    with pytest.raises(AssertionError, match="no 'tool_completed' came after that"):
        stream.expect_in_order(run, FIVE)


def test_in_order_allows_other_events_in_between() -> None:
    run = good_run()
    run.events.insert(2, event("agent_thinking", 3))
    stream.expect_in_order(run, FIVE)


def test_an_event_after_the_terminal_is_reported_by_type() -> None:
    run = good_run()
    run.events.append(event("agent_thinking", 6))
    with pytest.raises(AssertionError, match="nothing after the terminal event; got agent_thinking"):
        stream.expect_nothing_after_terminal(run)


def test_two_starts_break_the_bracket() -> None:
    run = good_run()
    run.events.insert(1, event("agent_started", 2))
    with pytest.raises(AssertionError, match="exactly one agent_started"):
        stream.expect_bracketed(run)


def test_a_run_with_no_terminal_says_how_long_it_waited() -> None:
    run = good_run()
    run.events.pop()
    run.waited = 5.0
    with pytest.raises(AssertionError, match=r"within 5\.0 s; none arrived"):
        stream.expect_bracketed(run)


def test_a_seq_gap_shows_both_sequences() -> None:
    run = good_run()
    run.events[3]["seq"] = 5
    run.events[4]["seq"] = 6
    with pytest.raises(AssertionError, match=r"\[1, 2, 3, 4, 5\]; got \[1, 2, 3, 5, 6\]"):
        stream.expect_contiguous_seq(run)


def test_a_missing_run_id_names_the_event() -> None:
    run = good_run()
    del run.events[1]["run_id"]
    with pytest.raises(AssertionError, match="agent_thinking lacks"):
        stream.expect_ids_on_every_event(run, THREAD)


def test_an_event_from_another_thread_is_caught() -> None:
    run = good_run()
    run.events[2]["thread_id"] = "other"
    with pytest.raises(AssertionError, match="tool_executing has other"):
        stream.expect_ids_on_every_event(run, THREAD)


def test_an_unmatched_tool_completed_is_caught() -> None:
    run = good_run()
    run.events[3]["tool_call_id"] = "c2"
    with pytest.raises(AssertionError, match="'c2' has no earlier tool_executing"):
        stream.expect_tool_calls_paired(run)


def test_an_open_tool_call_is_caught() -> None:
    run = good_run()
    del run.events[3]
    with pytest.raises(AssertionError, match=r"still open: \['c1'\]"):
        stream.expect_tool_calls_paired(run)


def test_the_wrong_terminal_is_named() -> None:
    with pytest.raises(AssertionError, match="end with 'agent_error', but it ended with 'agent_completed'"):
        stream.expect_terminal(good_run(), "agent_error")


def test_runs_sharing_a_run_id_are_caught() -> None:
    with pytest.raises(AssertionError, match="distinct run_id"):
        stream.expect_distinct_runs([good_run(), good_run()])
