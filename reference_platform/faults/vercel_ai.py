"""Defects in the platform's Vercel AI stream endpoint: its encoder and what it reads from the chat."""

from typing import Any

from reference_platform.chat.conversation import Conversation
from reference_platform.chat.streamed_runs import Asked, Wire
from reference_platform.chat.vercel_ai import VercelEncoder, VercelRuns
from reference_platform.faults.fault import Fault

Event = dict[str, Any]


class NeverFinishes(VercelEncoder):
    def agent_completed(self, event: Event) -> list[Wire]:
        return [chunk for chunk in super().agent_completed(event) if chunk["type"] != "finish"]


class FinishesForLength(VercelEncoder):
    def agent_completed(self, event: Event) -> list[Wire]:
        return [{**chunk, "finishReason": "length"} if chunk["type"] == "finish" else chunk
                for chunk in super().agent_completed(event)]  # fmt: skip


class NeverSaysDone(VercelEncoder):
    def closing(self) -> list[str]:
        return []


class StartsTwice(VercelEncoder):
    def agent_started(self, event: Event) -> list[Wire]:
        return [*super().agent_started(event), {"type": "start"}]


class DropsToolOutputs(VercelEncoder):
    def tool_completed(self, event: Event) -> list[Wire]:
        return [chunk for chunk in super().tool_completed(event) if chunk["type"] != "tool-output-available"]


class HidesErrorsAsStop(VercelEncoder):
    def agent_error(self, event: Event) -> list[Wire]:
        chunks = super().agent_error(event)
        return [*chunks[:-3], {"type": "finish-step"}, {"type": "finish", "finishReason": "stop"}]


class MisnamesErrorText(VercelEncoder):
    def agent_error(self, event: Event) -> list[Wire]:
        return [{"type": "error", "message": chunk["errorText"]} if chunk["type"] == "error" else chunk
                for chunk in super().agent_error(event)]  # fmt: skip


class DeltaBeforeStart(VercelEncoder):
    def agent_completed(self, event: Event) -> list[Wire]:
        chunks = super().agent_completed(event)
        if chunks[0]["type"] == "text-start":
            chunks[0], chunks[1] = chunks[1], chunks[0]
        return chunks


class DropsReasoning(VercelEncoder):
    def agent_thinking(self, event: Event) -> list[Wire]:
        return []


class DropsText(VercelEncoder):
    def agent_completed(self, event: Event) -> list[Wire]:
        return [chunk for chunk in super().agent_completed(event) if chunk["type"] != "text-delta"]


class InventsChunkTypes(VercelEncoder):
    def agent_completed(self, event: Event) -> list[Wire]:
        return [{**chunk, "type": "text-chunk"} if chunk["type"] == "text-delta" else chunk
                for chunk in super().agent_completed(event)]  # fmt: skip


class SendsNoHeader(VercelRuns):
    headers = {}  # noqa: RUF012 -- the defect: no x-vercel-ai-ui-message-stream header


class ForgetsTheChat(VercelRuns):
    def read(self, body: bytes) -> Asked:
        asked = super().read(body)
        return Asked(asked.thread, asked.question, Conversation(), asked.encoder)


def encoder(description: str, part: type[VercelEncoder]) -> Fault:
    return Fault(f"Vercel AI stream: {description}", {"vercel_encoder": part})


VERCEL_FAULTS: dict[str, Fault] = {
    "vercel_finish_never_sent": encoder("an answered run never sends finish", NeverFinishes),
    "vercel_finish_says_cut_for_length": encoder(
        "a complete answer finishes with finishReason length", FinishesForLength
    ),
    "vercel_done_never_sent": encoder("the stream ends without [DONE]", NeverSaysDone),
    "vercel_start_sent_twice": encoder("every run sends start twice", StartsTwice),
    "vercel_tool_output_never_sent": encoder("tool-output-available is never sent", DropsToolOutputs),
    "vercel_error_hidden_as_stop": encoder("a failed run ends with finish stop and no error", HidesErrorsAsStop),
    "vercel_error_text_misnamed": encoder("the error chunk says message instead of errorText", MisnamesErrorText),
    "vercel_text_delta_before_start": encoder("the answer's text-delta comes before its text-start", DeltaBeforeStart),
    "vercel_reasoning_dropped": encoder("the agent's reasoning is never sent", DropsReasoning),
    "vercel_text_dropped": encoder("the answer's text-delta is never sent (its start and end are)", DropsText),
    "vercel_unknown_chunk_type": encoder(
        "the answer is sent as text-chunk, a type the AI SDK has not", InventsChunkTypes
    ),
    "vercel_stream_header_missing": Fault(
        "Vercel AI stream: the answer lacks x-vercel-ai-ui-message-stream: v1", {"vercel_runs": SendsNoHeader}
    ),
    "vercel_chat_history_ignored": Fault(
        "Vercel AI stream: the agent answers from the last message only, not the chat the app sent",
        {"vercel_runs": ForgetsTheChat},
    ),
}
