"""The Vercel AI SDK's UI message stream over HTTP: one POST of the chat (its id and every UIMessage) per run,
answered by server-sent events, one chunk each, then `data: [DONE]`.

Only this module speaks the stream's words. Each chunk is checked as it arrives, against the AI SDK's own
definitions (ai_sdk.py) and the order the protocol implies (vercel_ai_rules.py); the first violation fails the
step that received it. The protocol carries no run or conversation ids in its chunks, and the app declares no
tools, so the journeys that need them do not apply.
"""

import json
from typing import Any

import httpx2

from support.agents.ai_sdk import AI_SDK
from support.agents.http_stream import StreamedConversation, new_id
from support.agents.run import AgentRun, RunEvent
from support.agents.vercel_ai_rules import HEADER, StreamRules, Violation

NAME = "vercel-ai"
OFFERS = frozenset({"client_history"})  # the app sends every message of the chat with each question


def said(role: str, text: str) -> dict[str, Any]:
    return {"id": new_id("msg"), "role": role, "parts": [{"type": "text", "text": text}]}


def translate(chunk: dict[str, Any], seen: list[RunEvent]) -> RunEvent:
    """A chunk in the suite's words. After an `error` or `abort` the run has ended: a `finish` then only closes
    the stream, as the AI SDK's client reads no further."""
    ended = any(event.kind == "error" for event in seen)
    opened = {event.tool_call_id for event in seen if event.kind == "tool_opened"}
    match chunk["type"]:
        case "start":
            return RunEvent("started", chunk)
        case "reasoning-delta":
            return RunEvent("thinking", chunk, text=chunk["delta"])
        case "tool-input-start" | "tool-input-available" if chunk["toolCallId"] not in opened:
            return RunEvent("tool_opened", chunk, tool_call_id=chunk["toolCallId"], tool=chunk["toolName"])
        case "tool-output-available":
            return RunEvent("tool_result", chunk, tool_call_id=chunk["toolCallId"], text=json.dumps(chunk["output"]))
        case "tool-output-error" | "tool-input-error":
            return RunEvent("tool_result", chunk, tool_call_id=chunk["toolCallId"], text=chunk["errorText"])
        case "tool-output-denied":
            return RunEvent("tool_result", chunk, tool_call_id=chunk["toolCallId"], text="denied")
        case "text-delta":
            return RunEvent("text", chunk, text=chunk["delta"])
        case "error":
            return RunEvent("error", chunk, text=chunk["errorText"])
        case "abort":
            return RunEvent("error", chunk, code="aborted", text=str(chunk.get("reason") or "aborted"))
        case "finish" if not ended:
            reason = chunk.get("finishReason", "stop")
            return RunEvent("finished", chunk, outcome="success" if reason == "stop" else reason)
    return RunEvent("other", chunk)


class VercelAiConversation(StreamedConversation):
    """One chat with an agent that streams UI messages, as the app (useChat) holds it."""

    def recall(self, said_before: str, answered: str) -> None:
        self.messages += [said("user", said_before), said("assistant", answered)]

    async def ask(self, question: str, bearer: str | None = None) -> AgentRun:
        run = AgentRun(question, new_id("run"), self.thread_id)
        asked = said("user", question)
        body = json.dumps({"trigger": "submit-message", "id": self.thread_id, "messages": [*self.messages, asked]})
        if await self.post(run, body, bearer, "Vercel AI agent", lambda response: self.receive(response, run)):
            self.messages += [asked, self.answer_message(run)]
        return run

    async def receive(self, response: httpx2.Response, run: AgentRun) -> None:
        """Every chunk until the stream ends; one with no finish, error or abort is cut off."""
        if response.headers.get(HEADER) != "v1":
            raise AssertionError(f"Vercel AI stream rule broken: the answer carries the header {HEADER}: v1; it "
                                 f"carries {response.headers.get(HEADER)!r}")  # fmt: skip
        rules = StreamRules()
        async for data in self.events(response, run, "chunk"):
            await self.take(data, run, rules)
        run.cut_off = rules.cut_off()
        if rules.finished and not rules.done:
            raise AssertionError(f"Vercel AI stream rule broken: the stream ends with [DONE] after finish; it "
                                 f"ended without it. Received:\n{run.received()}")  # fmt: skip

    async def take(self, text: str, run: AgentRun, rules: StreamRules) -> None:
        self.evidence.record_frame(self.name, "<-", text)
        if text == "[DONE]":
            self.check(rules, text, run)
            return
        try:
            chunk = json.loads(text)
        except ValueError:
            raise AssertionError(
                f"Vercel AI stream rule broken: each data line holds one JSON chunk: {text[:300]}"
            ) from None
        if not isinstance(chunk, dict) or "type" not in chunk:
            raise AssertionError(f"Vercel AI stream rule broken: each chunk is an object with a type: {text[:300]}")
        problem = await AI_SDK.problem(chunk)
        if problem is not None:
            raise AssertionError(f"{Violation(f'the chunk is not one the AI SDK reads ({problem})', chunk)}\n"
                                 f"Received before it:\n{run.received()}")  # fmt: skip
        self.check(rules, chunk, run)
        run.events.append(translate(chunk, run.events))

    @staticmethod
    def check(rules: StreamRules, chunk: Any, run: AgentRun) -> None:
        try:
            rules.check(chunk)
        except Violation as violation:
            raise AssertionError(f"{violation}\nReceived before it:\n{run.received()}") from None

    @staticmethod
    def answer_message(run: AgentRun) -> dict[str, Any]:
        """The assistant's message as useChat keeps it: its tool parts with their inputs and outputs, then its text."""
        inputs = {e.wire["toolCallId"]: e.wire.get("input", {}) for e in run.events
                  if e.wire.get("type") == "tool-input-available"}  # fmt: skip
        parts: list[dict[str, Any]] = []
        for event in run.events:
            if event.kind != "tool_result" or event.tool_call_id not in run.tool_calls:
                continue
            call = event.tool_call_id
            part = {"type": f"tool-{run.tool_calls[call]}", "toolCallId": call, "input": inputs.get(call, {})}
            if event.wire["type"] == "tool-output-available":
                parts.append({**part, "state": "output-available", "output": event.wire["output"]})
            else:
                parts.append({**part, "state": "output-error", "errorText": event.text})
        if run.answer:
            parts.append({"type": "text", "text": run.answer})
        message_id = next((e.wire.get("messageId") for e in run.events if e.kind == "started"), None)
        return {"id": message_id or new_id("msg"), "role": "assistant", "parts": parts}
