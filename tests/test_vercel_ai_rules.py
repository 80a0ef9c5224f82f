"""The Vercel AI stream's order rules, and the AI SDK's own chunk check, hold what the protocol implies."""

import asyncio
from typing import Any

import pytest

from support.agents.ai_sdk import AiSdkChunks
from support.agents.vercel_ai_rules import StreamRules, Violation

START, FINISH, DONE = {"type": "start"}, {"type": "finish"}, "[DONE]"


def text(phase: str, part: str = "t1", **fields: Any) -> dict[str, Any]:
    return {"type": f"text-{phase}", "id": part, **fields}


def tool(kind: str, call: str = "c1", **fields: Any) -> dict[str, Any]:
    return {"type": f"tool-{kind}", "toolCallId": call, **fields}


def check(chunks: list[Any]) -> StreamRules:
    rules = StreamRules()
    for chunk in chunks:
        rules.check(chunk)
    return rules


def test_a_whole_answer_with_a_tool_passes() -> None:
    rules = check([
        START, {"type": "start-step"}, tool("input-start", toolName="calc"),
        tool("input-available", toolName="calc", input={}), tool("output-available", output=84),
        {"type": "finish-step"}, text("start"), text("delta", delta="84"), text("end"), FINISH, DONE,
    ])  # fmt: skip
    assert not rules.cut_off() and rules.done


def test_an_error_mid_stream_may_be_followed_by_finish() -> None:
    assert not check(
        [START, {"type": "error", "errorText": "x"}, {"type": "finish", "finishReason": "error"}]
    ).cut_off()


REJECTED = {
    "a part before start": ([text("start")], "start comes before the message's parts"),
    "two starts": ([START, START], "one start per message"),
    "a delta before its part opens": ([START, text("delta", delta="x")], "not open"),
    "a part opened again while open": ([START, text("start"), text("start")], "not opened again while open"),
    "finish with a part open": ([START, text("start"), FINISH], "still open"),
    "a server tool left unanswered": (
        [START, tool("input-available", toolName="calc", input={}), FINISH], "answered before finish"
    ),
    "an output for an unknown call": ([START, tool("output-available", output=1)], "whose input came before it"),
    "an input delta before its start": ([START, tool("input-delta", inputTextDelta="{")], "has not started"),
    "a chunk after finish": ([START, FINISH, text("start")], "finish is the last chunk"),
    "a chunk after [DONE]": ([START, FINISH, DONE, text("start")], "nothing follows"),
}  # fmt: skip


@pytest.mark.parametrize(("chunks", "rule"), REJECTED.values(), ids=REJECTED.keys())
def test_what_the_order_forbids_fails_naming_the_rule(chunks: list[Any], rule: str) -> None:
    with pytest.raises(Violation, match=rule):
        check(chunks)


def test_a_stream_with_no_finish_is_cut_off_even_if_it_says_done() -> None:
    assert check([START, text("start"), text("delta", delta="x"), text("end")]).cut_off()
    assert check([START, text("start"), text("end"), DONE]).cut_off()


def test_the_ai_sdk_reads_its_own_chunks_and_names_what_is_wrong_with_others() -> None:
    async def verdicts() -> list[str | None]:
        chunks, stop = AiSdkChunks(), {"type": "finish", "finishReason": "stop"}
        return [
            await chunks.problem(chunk) for chunk in (START, {"type": "bogus"}, {"type": "error", "message": "x"}, stop)
        ]

    fine, unknown, misnamed, finish = asyncio.run(verdicts())
    assert fine is None and finish is None
    assert unknown is not None and "bogus" in unknown
    assert misnamed is not None and "errorText" in misnamed
