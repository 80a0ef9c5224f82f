"""What a Then verifies about an agent's run, in the suite's words, whichever protocol carried it."""

import re

from support.agents.run import AgentRun


def fail(expectation: str, run: AgentRun) -> AssertionError:
    return AssertionError(f"{expectation}\nThe run of {run.question!r} received:\n{run.received()}")


def last_said(run: AgentRun) -> object:
    """The last event that says something about the run (not a protocol's own bookkeeping, such as a step's end)."""
    said = [event for event in run.events if event.kind != "other"]
    return said[-1] if said else None


def expect_started(run: AgentRun) -> None:
    if run.refused is not None:
        raise fail(f"Expected the run to start, but it was refused: {run.refused.said}", run)


def expect_one_run(run: AgentRun) -> None:
    """One start first, one end last, and the end a success."""
    expect_started(run)
    starts, ends = run.of_kind("started"), run.terminals
    if len(starts) != 1 or len(ends) != 1 or run.events[0] is not starts[0] or last_said(run) is not ends[0]:
        raise fail(f"Expected one start first and one end last; got {len(starts)} starts and {len(ends)} ends", run)
    if ends[0].kind != "finished" or ends[0].outcome != "success":
        raise fail(f"Expected the run to end as a success, but it ended with {ends[0].wire}", run)


def expect_kept_ids(run: AgentRun) -> None:
    """The start and the end, and every event that carries ids, carry the ones the run began with."""
    expect_one_run(run)
    start, end = run.of_kind("started")[0], run.terminals[0]
    expected = (run.run_id or start.run_id, run.thread_id)
    for event in (start, end, *(e for e in run.events if e.run_id is not None or e.thread_id is not None)):
        if (event.run_id, event.thread_id) != expected:
            raise fail(f"Expected the run and conversation ids {expected}, but {event.kind} carries "
                       f"{(event.run_id, event.thread_id)}", run)  # fmt: skip


def expect_tool_answered(run: AgentRun, tool: str, app_tools: frozenset[str] = frozenset()) -> None:
    """The tool was called, and every call of a tool on the agent's side has its result, after it, before the end."""
    expect_started(run)
    if tool not in run.tool_calls.values():
        raise fail(f"Expected the agent to call its tool {tool!r}; it called {sorted(run.tool_calls.values())}", run)
    for index, event in enumerate(run.events):
        if event.kind != "tool_opened" or event.tool in app_tools:
            continue
        if not event.tool_call_id:
            raise fail(f"Expected every tool call to carry its id; {event.wire} has none", run)
        after = [e for e in run.events[index + 1 :] if e.kind == "tool_result" and e.tool_call_id == event.tool_call_id]
        if not after:
            raise fail(f"Expected every call of {event.tool!r} to be answered by the tool, after the call; "
                       f"no result for {event.tool_call_id} came after it", run)  # fmt: skip


def mentions(text: str, fact: str) -> bool:
    """The fact as a whole word or number of the text ("pro" is not in "process"; "84" is in "84.0")."""
    return re.search(rf"(?<![\w.]){re.escape(fact)}(?![\w])", text) is not None


def expect_tool_found(run: AgentRun, tool: str, fact: str) -> None:
    """The tool's own result holds the fact, and so does the answer."""
    expect_started(run)
    found = [run.tool_results.get(call, "") for call, name in run.tool_calls.items() if name == tool]
    if not any(mentions(result, fact) for result in found):
        raise fail(f"Expected a result of the tool {tool!r} that holds {fact!r}; its results: {found}", run)
    expect_answer_states(run, fact, "what the tool found")


def expect_finished(run: AgentRun, with_what: str) -> None:
    expect_started(run)
    if not run.terminals or run.terminals[-1].kind != "finished":
        raise fail(f"Expected the run to finish with {with_what}", run)


def expect_answer_states(run: AgentRun, fact: str, what: str) -> None:
    expect_finished(run, f"an answer that states {what} ({fact!r})")
    if not mentions(run.answer, fact):
        raise fail(f"Expected the answer to state {what} ({fact!r}); it says {run.answer!r}", run)


def expect_plain_answer(run: AgentRun) -> None:
    expect_finished(run, "an answer in words")
    if not run.answer.strip():
        raise fail("Expected an answer in words; the answer is empty", run)
    if run.tool_calls:
        raise fail(f"Expected no tool call for a plain question; got {sorted(run.tool_calls.values())}", run)


def expect_thinking_first(run: AgentRun) -> None:
    expect_started(run)
    answering = ("text", "tool_opened", "finished")
    first_answer = next(
        (i for i, e in enumerate(run.events) if e.kind in answering and (e.text or e.kind != "text")), None
    )
    thoughts = [i for i, e in enumerate(run.events) if e.kind == "thinking" and e.text.strip()]
    if not thoughts or (first_answer is not None and thoughts[0] > first_answer):
        raise fail("Expected the agent to show its thinking, in words, before it answers or calls a tool", run)


def expect_failure_shown(run: AgentRun, tool: str) -> None:
    """The tool was called, and the run ends with an error that has a message; nothing calls it a success."""
    expect_started(run)
    if tool not in run.tool_calls.values():
        raise fail(f"Expected the agent to call its tool {tool!r}, which fails", run)
    ends = run.terminals
    if not ends or ends[-1].kind != "error" or last_said(run) is not ends[-1]:
        raise fail("Expected the run whose tool failed to end with an error, as its last event", run)
    if any(end.kind == "finished" for end in ends):
        raise fail("Expected no success for a run whose tool failed; it also finished as one", run)
    if not ends[-1].text.strip():
        raise fail("Expected the error to say what went wrong; its message is empty", run)


def expect_waiting_on_app(run: AgentRun, tool: str) -> None:
    """The run finished with its call to the app's tool left for the app: no result from the server."""
    expect_started(run)
    calls = [call for call, name in run.tool_calls.items() if name == tool]
    if not calls:
        raise fail(f"Expected the agent to call her app's tool {tool!r}", run)
    end = run.terminals[-1] if run.terminals else None
    if end is None or end.kind != "finished" or end.outcome != "success":
        raise fail(f"Expected the run to end, waiting for her app's {tool!r}, not to fail or stop", run)
    if end.pending is not None and not set(calls) <= set(end.pending):
        raise fail(f"Expected the run's end to name the call of {tool!r} as pending; it names {end.pending}", run)
    answered = [call for call in calls if call in run.tool_results]
    if answered:
        raise fail(f"Expected her app's tool {tool!r} to be left to her app; the agent's side answered it", run)


def expect_refused(run: AgentRun, reason: str, why: str) -> None:
    if run.refused is None:
        raise fail(f"Expected the run to be refused as {why}; it started", run)
    if run.refused.reason != reason:
        raise fail(f"Expected the run to be refused as {why}; it was refused otherwise: {run.refused.said}", run)
    if run.events:
        raise fail(f"Expected no run to start once refused as {why}", run)


def expect_retry_after(run: AgentRun) -> None:
    expect_refused(run, "rate_limited", "over the limit")
    assert run.refused is not None
    if run.refused.retry_after is None or run.refused.retry_after <= 0:  # in seconds, as the contract says
        raise fail(f"Expected the refusal to say, in seconds, when to retry: {run.refused.said}", run)


def expect_runs_of_their_own(first: AgentRun, second: AgentRun) -> None:
    """Where runs carry ids, the two differ (each is bracketed by expect_one_run)."""
    ids = (first.of_kind("started")[0].run_id, second.of_kind("started")[0].run_id)
    if ids[0] is not None and ids[0] == ids[1]:
        raise fail(f"Expected each question to get a run of its own; both ran as {ids[0]}", second)


def expect_in_history(history: list[dict[str, object]], run: AgentRun) -> None:
    said = [(message.get("role"), message.get("content")) for message in history]
    if ("user", run.question) not in said or ("assistant", run.answer) not in said:
        raise fail(f"Expected her question and the answer {run.answer!r} in her history; it holds {said}", run)


def expect_history_unchanged(before: list[dict[str, object]], after: list[dict[str, object]]) -> None:
    if after != before:
        added = [message for message in after if message not in before]
        raise AssertionError(f"Expected nothing to reach her conversation; it now also holds {added}")
