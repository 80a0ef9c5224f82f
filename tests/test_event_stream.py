from typing import Any

import pytest

from support.checks import event_stream as stream
from support.checks.event_stream import states
from support.clients.run_record import RunRecord

THREAD = "thread-1"


def event(kind: str, seq: int, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "run_id": "run-1", "thread_id": THREAD, "seq": seq, **extra}


def good_run(listened: float = 3.0) -> RunRecord:
    """A clean five-event run, each event 10 ms after the last, listened to for `listened` s after the question."""
    events = [
        event("agent_started", 1),
        event("agent_thinking", 2),
        event("tool_executing", 3, tool_call_id="c1"),
        event("tool_completed", 4, tool_call_id="c1"),
        event("agent_completed", 5, content="It costs about $75.00 at $2.50 per million tokens."),
    ]
    return RunRecord("q", events, asked_at=100.0, arrivals=[100.01 + 0.01 * i for i in range(5)], waited=listened)


def failed_tool_run(**error: Any) -> RunRecord:
    run = good_run()
    run.events[3:] = [event("agent_error", 4, **error)]
    run.arrivals = run.arrivals[:4]
    return run


FIVE = ["agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed"]


def test_a_good_run_meets_the_whole_contract() -> None:
    run = good_run()
    stream.expect_in_order(run, FIVE)
    stream.expect_bracketed(run)
    stream.expect_nothing_after_terminal(run, 2)
    stream.expect_finished_within(run, 2)
    stream.expect_answer_mentions(run, ["$75.00", "$2.50"])
    stream.expect_ids_on_every_event(run, THREAD)
    stream.expect_contiguous_seq(run)
    stream.expect_tool_calls_paired(run)
    assert stream.expect_terminal(run, "agent_completed")["content"].startswith("It costs")


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
    run.arrivals.append(101.05)
    with pytest.raises(
        AssertionError, match=r"nothing in the 2 s after the terminal event; got agent_thinking 1\.0\d s"
    ):
        stream.expect_nothing_after_terminal(run, 2)


def test_nothing_after_the_terminal_needs_the_full_listening_window() -> None:
    with pytest.raises(AssertionError, match=r"listened only 0\.95 s"):
        stream.expect_nothing_after_terminal(good_run(listened=1.0), 2)


def test_an_event_after_the_terminal_breaks_the_bracket() -> None:
    run = good_run()
    run.events.append(event("agent_thinking", 6))
    with pytest.raises(AssertionError, match="terminal event to come last; agent_thinking came after it"):
        stream.expect_bracketed(run)


def test_a_slow_run_says_how_long_it_took() -> None:
    run = good_run()
    run.arrivals[-1] = 103.5
    with pytest.raises(AssertionError, match=r"within 2 s of the question; it took 3\.50 s"):
        stream.expect_finished_within(run, 2)


def test_an_answer_without_the_figures_names_what_is_missing() -> None:
    run = good_run()
    run.events[-1]["content"] = "I can estimate token costs and do arithmetic."
    with pytest.raises(AssertionError, match=r"does not say \$75\.00, \$2\.50"):
        stream.expect_answer_mentions(run, ["$75.00", "$2.50"])


def test_a_failed_tool_call_with_code_and_message_passes() -> None:
    stream.expect_failed_tool_call(failed_tool_run(code="tool_failed", message="division by zero"), "tool_failed")


@pytest.mark.parametrize(
    ("error", "complaint"),
    [
        ({"message": "division by zero"}, "carry the code 'tool_failed'; it carries None"),
        ({"code": "tool_failed"}, "carry a message"),
    ],
)
def test_agent_error_without_code_or_message_is_caught(error: dict[str, str], complaint: str) -> None:
    with pytest.raises(AssertionError, match=complaint):
        stream.expect_failed_tool_call(failed_tool_run(**error), "tool_failed")


def test_agent_error_with_no_failed_tool_call_before_it_is_caught() -> None:
    run = failed_tool_run(code="tool_failed", message="boom")
    del run.events[2]
    with pytest.raises(AssertionError, match="follow a tool call that started and did not complete"):
        stream.expect_failed_tool_call(run, "tool_failed")


def test_a_refusal_with_a_run_is_caught() -> None:
    with pytest.raises(AssertionError, match="a run started"):
        stream.expect_refused(good_run(), "thread_not_found")
    refused = RunRecord("q", [{"type": "error", "code": "thread_not_found"}])
    stream.expect_refused(refused, "thread_not_found")


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


def test_a_question_answered_by_agent_error_is_not_answered() -> None:
    with pytest.raises(AssertionError, match="end with 'agent_completed', but it ended with 'agent_error'"):
        stream.expect_distinct_runs([good_run(), failed_tool_run(code="agent_failed", message="busy")])


def test_a_run_whose_events_disagree_on_the_run_id_is_caught() -> None:
    second = good_run()
    for item in second.events:
        item["run_id"] = "run-2"
    second.events[2]["run_id"] = "run-3"
    with pytest.raises(AssertionError, match="same run_id"):
        stream.expect_distinct_runs([good_run(), second])


def test_a_figure_is_stated_only_on_its_own() -> None:
    assert states("about $75.00 a month at $2.50 per million tokens", "$75.00")
    assert states("The answer is 20.", "20") and states("20", "20")
    assert not states("The answer is 420.", "20") and not states("costs $2.505", "$2.50")
    assert not states("version 20.1", "20")
