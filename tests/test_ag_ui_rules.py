"""The AG-UI checker rejects what verifyEvents and spec 1.1 reject, and nothing spec 1.1 allows."""

from typing import Any

import pytest

from support.agents.ag_ui_rules import StreamRules, Violation, parse_event
from support.agents.port import AgentTarget, not_offered
from support.agents.profile import REFERENCE_PROFILE, load_profile

START = {"type": "RUN_STARTED", "threadId": "t", "runId": "r"}
FINISH = {"type": "RUN_FINISHED", "threadId": "t", "runId": "r"}


def tool(kind: str, call: str = "c1", **fields: Any) -> dict[str, Any]:
    return {"type": f"TOOL_CALL_{kind}", "toolCallId": call, **fields}


def text(kind: str, message: str = "m1", **fields: Any) -> dict[str, Any]:
    return {"type": f"TEXT_MESSAGE_{kind}", "messageId": message, **fields}


def check(events: list[dict[str, Any]], app_tools: frozenset[str] = frozenset()) -> StreamRules:
    rules = StreamRules(set(app_tools))
    for event in events:
        parse_event(event)
        rules.check(event)
    return rules


ALLOWED = {
    "a message reopened after its end, with the same role": [
        START, text("START", role="assistant"), text("END"), text("START", role="assistant"), text("END"), FINISH
    ],
    "tool arguments that are not JSON": [
        START, tool("START", toolCallName="x"), tool("ARGS", delta="not json"), tool("END"), FINISH
    ],
    "RUN_ERROR after RUN_FINISHED": [START, FINISH, {"type": "RUN_ERROR", "message": "late"}],
    "an assistant message with no content": [START, text("START", role="assistant"), text("END"), FINISH],
    "a tool call with no arguments event": [START, tool("START", toolCallName="x"), tool("END"), FINISH],
    "a second run after the first finished": [START, FINISH, START, FINISH],
    "a field the spec does not define": [START, {**FINISH, "vendorNote": "x"}],
}  # fmt: skip


@pytest.mark.parametrize("events", ALLOWED.values(), ids=ALLOWED.keys())
def test_what_the_spec_allows_passes(events: list[dict[str, Any]]) -> None:
    assert not check(events).cut_off()


REJECTED = {
    "a first event that is not RUN_STARTED or RUN_ERROR": ([text("START", role="assistant")], "the first event"),
    "RUN_STARTED while a run is going": ([START, START], "while a run is still going"),
    "an event after RUN_FINISHED": ([START, FINISH, text("START", role="assistant")], "after RUN_FINISHED"),
    "an event after RUN_ERROR": ([START, {"type": "RUN_ERROR", "message": "x"}, FINISH], "after RUN_ERROR"),
    "content for a message never opened": ([START, text("CONTENT", delta="x")], "not open"),
    "a message opened twice": ([START, text("START", role="assistant"), text("START", role="assistant")], "already"),
    "RUN_FINISHED with a tool call open": ([START, tool("START", toolCallName="x"), FINISH], "still open"),
    "arguments after the tool call ended": (
        [START, tool("START", toolCallName="x"), tool("END"), tool("ARGS", delta="{}")], "not open"
    ),
    "a reopened tool call under another name": (
        [START, tool("START", toolCallName="x"), tool("END"), tool("START", toolCallName="y")], "keeps its toolCallName"
    ),
    "a server result for the app's own tool": (
        [START, tool("START", toolCallName="pick"), tool("END"), tool("RESULT", messageId="m", content="{}")],
        "answered by the app",
    ),
    "an explicit null": ([START, {**FINISH, "result": None}], "explicit null"),
    "a name in snake_case": ([{"type": "RUN_STARTED", "thread_id": "t", "runId": "r"}], "spelled 'threadId'"),
    "a number where the spec says string": ([{**START, "runId": 7}], "published model"),
    "an unknown outcome": ([START, {**FINISH, "outcome": {"type": "maybe"}}], "published model"),
}  # fmt: skip


@pytest.mark.parametrize(("events", "rule"), REJECTED.values(), ids=REJECTED.keys())
def test_what_the_rules_forbid_fails_naming_the_rule(events: list[dict[str, Any]], rule: str) -> None:
    with pytest.raises(Violation, match=rule):
        check(events, frozenset({"pick"}))


def test_a_stream_that_ends_with_the_run_going_is_cut_off() -> None:
    assert check([START, text("START", role="assistant"), text("END")]).cut_off()
    assert StreamRules(set()).cut_off()  # nothing at all is no success either


def test_a_scenario_applies_only_where_its_needs_are_offered() -> None:
    reference = load_profile(REFERENCE_PROFILE)
    ag_ui, socket = AgentTarget("ag-ui", reference, None), AgentTarget("chat-socket", reference, None)
    assert not_offered(["needs.app_tools", "critical"], socket) == {"app_tools"}
    assert not not_offered(["needs.app_tools", "needs.accounts"], ag_ui)
    assert not_offered(["needs.chat_socket"], ag_ui) == {"chat_socket"}


def test_a_fact_is_a_whole_word_or_number_of_the_answer() -> None:
    from support.checks.agent_runs import mentions

    assert mentions("12 * 7 = 84.", "84") and mentions('{"value": 84.0}', "84") and mentions("You chose: pro.", "pro")
    assert not mentions("a process", "pro") and not mentions("in 1984", "84") and not mentions("0.84", "84")
