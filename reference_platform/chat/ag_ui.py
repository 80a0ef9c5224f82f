"""POST /agents/ag-ui: a run of the platform's agent, streamed as AG-UI events (streamed_runs.py runs it)."""

import json
from typing import Any

from ag_ui.core import (
    BaseEvent,
    ReasoningEndEvent,
    ReasoningMessageContentEvent,
    ReasoningMessageEndEvent,
    ReasoningMessageStartEvent,
    ReasoningStartEvent,
    RunAgentInput,
    RunErrorEvent,
    RunFinishedEvent,
    RunStartedEvent,
    TextMessageContentEvent,
    TextMessageEndEvent,
    TextMessageStartEvent,
    ToolCallArgsEvent,
    ToolCallEndEvent,
    ToolCallResultEvent,
    ToolCallStartEvent,
)
from pydantic import ValidationError

from reference_platform.chat.conversation import Conversation
from reference_platform.chat.streamed_runs import Asked, StreamedRuns, Wire
from reference_platform.problems import Problem


def wire(event: BaseEvent) -> Wire:
    return event.model_dump(mode="json", by_alias=True, exclude_none=True)


class AgUiEncoder:
    """The platform's run events in AG-UI's words, for one run the app named by its thread and run ids."""

    def __init__(self, thread_id: str, run_id: str) -> None:
        self.thread_id, self.run_id = thread_id, run_id

    def encode(self, event: dict[str, Any]) -> list[Wire]:
        handler = getattr(self, event["type"], None)
        return handler(event) if handler is not None else []

    def agent_started(self, event: dict[str, Any]) -> list[Wire]:
        return [wire(RunStartedEvent(thread_id=self.thread_id, run_id=self.run_id))]

    def agent_thinking(self, event: dict[str, Any]) -> list[Wire]:
        thought = f"thought-{event['seq']}"
        return [
            wire(ReasoningStartEvent(message_id=thought)),
            wire(ReasoningMessageStartEvent(message_id=thought, role="reasoning")),
            wire(ReasoningMessageContentEvent(message_id=thought, delta=event["summary"])),
            wire(ReasoningMessageEndEvent(message_id=thought)),
            wire(ReasoningEndEvent(message_id=thought)),
        ]

    def tool_executing(self, event: dict[str, Any]) -> list[Wire]:
        call = event["tool_call_id"]
        return [
            wire(ToolCallStartEvent(tool_call_id=call, tool_call_name=event["tool"])),
            wire(ToolCallArgsEvent(tool_call_id=call, delta=json.dumps(event["arguments"]))),
            wire(ToolCallEndEvent(tool_call_id=call)),
        ]

    def tool_completed(self, event: dict[str, Any]) -> list[Wire]:
        result = json.dumps(event["result"])
        message_id = f"result-{event['tool_call_id']}"
        return [wire(ToolCallResultEvent(message_id=message_id, tool_call_id=event["tool_call_id"], content=result))]

    def agent_completed(self, event: dict[str, Any]) -> list[Wire]:
        text, message = [], event["message_id"]
        if event["content"]:
            text = [
                wire(TextMessageStartEvent(message_id=message, role="assistant")),
                wire(TextMessageContentEvent(message_id=message, delta=event["content"])),
                wire(TextMessageEndEvent(message_id=message)),
            ]
        finished = wire(RunFinishedEvent(thread_id=self.thread_id, run_id=self.run_id))
        finished["outcome"] = {"type": "success"}
        if event.get("waiting_on"):
            finished["outcome"]["pendingToolCallIds"] = event["waiting_on"]
        return [*text, finished]

    def agent_error(self, event: dict[str, Any]) -> list[Wire]:
        return [wire(RunErrorEvent(message=event["message"], code=event["code"]))]

    def closing(self) -> list[str]:
        return []


def read_input(body: bytes) -> RunAgentInput:
    try:
        return RunAgentInput.model_validate_json(body)
    except ValidationError as error:
        raise Problem(422, "invalid-run-input", "The body is not an AG-UI RunAgentInput", str(error)[:500]) from None


def conversation_of(run_input: RunAgentInput) -> tuple[str, Conversation]:
    """The question (the app's last user message) and what the conversation holds around it."""
    messages = [message.model_dump(by_alias=True) for message in run_input.messages]
    asked = [i for i, message in enumerate(messages) if message["role"] == "user"]
    if not asked or not isinstance(messages[asked[-1]].get("content"), str):
        raise Problem(422, "no-question", "The conversation ends with no question from the app")
    last = asked[-1]
    earlier = [str(m.get("content")) for m in messages[:last] if isinstance(m.get("content"), str)]
    results = [str(m.get("content")) for m in messages[last:] if m["role"] == "tool"]
    tools = frozenset(tool.name for tool in run_input.tools or [])
    return str(messages[last]["content"]), Conversation(earlier, tools, results)


class AgUiRuns(StreamedRuns):
    def read(self, body: bytes) -> Asked:
        run_input = read_input(body)
        question, conversation = conversation_of(run_input)
        encoder = self.encoder(run_input.thread_id, run_input.run_id)
        return Asked(run_input.thread_id, question, conversation, encoder)
