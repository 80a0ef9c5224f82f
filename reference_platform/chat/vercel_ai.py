"""POST /agents/vercel-ai: a run of the platform's agent, streamed as the Vercel AI SDK's UI message stream
(the chunks `useChat` reads), by the same machinery as AG-UI (streamed_runs.py)."""

import json
from typing import Any

from reference_platform.chat.conversation import Conversation
from reference_platform.chat.streamed_runs import Asked, StreamedRuns, Wire
from reference_platform.problems import Problem

STREAM_HEADER = {"x-vercel-ai-ui-message-stream": "v1"}


class VercelEncoder:
    """The platform's run events as UI message chunks. A tool call still open when the run fails is answered
    with tool-output-error before the error, so that every server tool's input has its answer."""

    def __init__(self) -> None:
        self.open_calls: list[str] = []
        self.started = False

    def encode(self, event: dict[str, Any]) -> list[Wire]:
        handler = getattr(self, event["type"], None)
        return handler(event) if handler is not None else []

    def agent_started(self, event: dict[str, Any]) -> list[Wire]:
        self.started = True
        return [{"type": "start"}, {"type": "start-step"}]

    def agent_thinking(self, event: dict[str, Any]) -> list[Wire]:
        thought = f"thought-{event['seq']}"
        return [{"type": "reasoning-start", "id": thought},
                {"type": "reasoning-delta", "id": thought, "delta": event["summary"]},
                {"type": "reasoning-end", "id": thought}]  # fmt: skip

    def tool_executing(self, event: dict[str, Any]) -> list[Wire]:
        call, tool = event["tool_call_id"], event["tool"]
        self.open_calls.append(call)
        available = {"type": "tool-input-available", "toolCallId": call, "toolName": tool, "input": event["arguments"]}
        return [{"type": "tool-input-start", "toolCallId": call, "toolName": tool}, available]

    def tool_completed(self, event: dict[str, Any]) -> list[Wire]:
        """The tool's output ends its step, as the AI SDK's streamText ends one: what follows is a new step
        (a step that held finished tool calls and then text would make useChat send the chat again)."""
        self.open_calls.remove(event["tool_call_id"])
        output = {"type": "tool-output-available", "toolCallId": event["tool_call_id"], "output": event["result"]}
        return [output, {"type": "finish-step"}, {"type": "start-step"}]

    def agent_completed(self, event: dict[str, Any]) -> list[Wire]:
        text, message = [], f"text-{event['message_id']}"
        if event["content"]:
            text = [{"type": "text-start", "id": message},
                    {"type": "text-delta", "id": message, "delta": event["content"]},
                    {"type": "text-end", "id": message}]  # fmt: skip
        return [*text, {"type": "finish-step"}, {"type": "finish", "finishReason": "stop"}]

    def agent_error(self, event: dict[str, Any]) -> list[Wire]:
        """Open tool calls get their error first; a run that failed before it started starts first."""
        opening = [] if self.started else self.agent_started(event)
        failed = [{"type": "tool-output-error", "toolCallId": call, "errorText": event["message"]}
                  for call in self.open_calls]  # fmt: skip
        self.open_calls = []
        return [*opening, *failed, {"type": "error", "errorText": event["message"]}, {"type": "finish-step"},
                {"type": "finish", "finishReason": "error"}]  # fmt: skip

    def closing(self) -> list[str]:
        return ["[DONE]"]


def text_of(message: dict[str, Any]) -> str:
    parts = message.get("parts")
    if not isinstance(parts, list):
        return ""
    return "".join(str(part.get("text", "")) for part in parts if isinstance(part, dict) and part.get("type") == "text")


def read_chat(body: bytes) -> tuple[str, list[dict[str, Any]]]:
    """The chat's id and its messages, as useChat sends them (trigger submit-message)."""
    try:
        chat = json.loads(body)
        chat_id, messages = chat["id"], chat["messages"]
        if not isinstance(chat_id, str) or not isinstance(messages, list) or chat.get("trigger") != "submit-message":
            raise ValueError(chat)
    except (ValueError, KeyError, TypeError):
        raise Problem(422, "invalid-chat", "Expected {trigger: submit-message, id, messages}") from None
    return chat_id, [message for message in messages if isinstance(message, dict)]


class VercelRuns(StreamedRuns):
    headers = STREAM_HEADER

    def read(self, body: bytes) -> Asked:
        chat_id, messages = read_chat(body)
        asked = [i for i, message in enumerate(messages) if message.get("role") == "user" and text_of(message)]
        if not asked or asked[-1] != len(messages) - 1:
            raise Problem(422, "no-question", "The chat ends with no question from the app")
        earlier = [text_of(message) for message in messages[: asked[-1]]]
        return Asked(chat_id, text_of(messages[-1]), Conversation(earlier), self.encoder())
