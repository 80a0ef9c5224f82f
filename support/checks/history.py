"""Expectations that a question and its answer were kept, over REST and in the database."""

from typing import Any

from support.checks.event_stream import expect_terminal
from support.clients.run_record import RunRecord


def _expected_exchange(run: RunRecord) -> list[tuple[str, str]]:
    answer = expect_terminal(run, "agent_completed")
    return [("user", run.question), ("assistant", str(answer.get("content")))]


def _describe(messages: list[dict[str, Any]]) -> str:
    return (
        "\n".join(f"  {m.get('role')}: {str(m.get('content'))[:120]!r} run={m.get('run_id')}" for m in messages)
        or "  (none)"
    )


def _expect_exchange(run: RunRecord, messages: list[dict[str, Any]], where: str) -> None:
    expected = _expected_exchange(run)
    run_id = run.events[0].get("run_id")
    kept = [(m.get("role"), m.get("content")) for m in messages if m.get("run_id") == run_id]
    assert kept == expected, (
        f"Expected {where} to hold the question and the agent's answer of run {run_id}, in that order:\n"
        + "\n".join(f"  {role}: {content[:120]!r}" for role, content in expected)
        + f"\nbut it holds:\n{_describe(messages)}"
    )


def expect_exchange_in_history(run: RunRecord, messages: list[dict[str, Any]]) -> None:
    _expect_exchange(run, messages, "the chat history (REST)")


def expect_exchange_stored(run: RunRecord, rows: list[dict[str, Any]]) -> None:
    _expect_exchange(run, rows, "the messages table")


def expect_nothing_from(intruder_run: RunRecord, victim_rows: list[dict[str, Any]]) -> None:
    """None of the victim's stored messages is the intruder's question or belongs to a run the intruder saw."""
    intruder_runs = {str(event.get("run_id")) for event in intruder_run.events if event.get("run_id")}
    planted = [
        row for row in victim_rows if row.get("content") == intruder_run.question or row.get("run_id") in intruder_runs
    ]
    assert not planted, (
        f"Expected nothing of the intruder's to reach the other customer's thread; it now holds:\n{_describe(planted)}"
    )


def expect_no_hidden_run(hidden: list[dict[str, Any]], whose: str) -> None:
    """No run was started in the database without the chat showing it: a refused message starts none."""
    rows = "\n".join(f"  run {row['run']}: {row['status']}, started {row['started_at']}" for row in hidden)
    assert not hidden, (
        f"Expected no run to start for the refused message; the database holds runs in {whose} chat "
        f"that the chat never showed:\n{rows}"
    )


def expect_answer_names_stored_message(run: RunRecord, messages: list[dict[str, Any]]) -> None:
    """agent_completed's message_id is the id of the stored answer, so the app can link the two."""
    answer = expect_terminal(run, "agent_completed")
    named = answer.get("message_id")
    stored = [m for m in messages if m.get("id") == named]
    assert stored and stored[0].get("role") == "assistant" and stored[0].get("content") == answer.get("content"), (
        f"Expected agent_completed to name the stored answer; it names message {named!r}, "
        f"and the chat history holds:\n{_describe(messages)}"
    )
