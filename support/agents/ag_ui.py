"""AG-UI over HTTP: one POST of `RunAgentInput` per run, answered by server-sent events.

Only this module speaks AG-UI's words. The app holds the conversation and sends all of it with each run.
Every event is checked as it arrives (ag_ui_rules); the first violation fails the step that received it.
"""

import json
from typing import Any

import httpx2

from support.agents.ag_ui_rules import StreamRules, Violation, parse_event
from support.agents.http_stream import StreamedConversation, new_id
from support.agents.run import AgentRun, AppTool, RunEvent

NAME = "ag-ui"
PROTOCOL_VERSION = "1.0"  # what the app speaks; producers may shape the stream by it (pydantic-ai's outcomes do)
OFFERS = frozenset({"client_history", "app_tools", "run_ids"})  # the app sends the conversation, declares tools


def translate(event: dict[str, Any], streamed: set[str]) -> list[RunEvent]:
    """An AG-UI event in the suite's words; a snapshot's answers that were not streamed count as text."""
    kind, wire = event["type"], event
    match kind:
        case "RUN_STARTED":
            return [RunEvent("started", wire, run_id=event["runId"], thread_id=event["threadId"])]
        case "RUN_FINISHED":
            outcome = event.get("outcome") or {}
            pending = outcome.get("pendingToolCallIds")
            return [
                RunEvent(
                    "finished",
                    wire,
                    run_id=event["runId"],
                    thread_id=event["threadId"],
                    outcome=outcome.get("type", "success"),
                    pending=tuple(pending) if pending else None,
                )
            ]
        case "RUN_ERROR":
            return [RunEvent("error", wire, code=event.get("code"), text=event.get("message", ""))]
        case "REASONING_MESSAGE_CONTENT" | "REASONING_MESSAGE_CHUNK":
            return [RunEvent("thinking", wire, text=event.get("delta", ""))]
        case "TOOL_CALL_START":
            return [RunEvent("tool_opened", wire, tool_call_id=event["toolCallId"], tool=event["toolCallName"])]
        case "TOOL_CALL_CHUNK" if event.get("toolCallId") and event.get("toolCallName"):
            return [RunEvent("tool_opened", wire, tool_call_id=event["toolCallId"], tool=event["toolCallName"])]
        case "TOOL_CALL_RESULT":
            return [RunEvent("tool_result", wire, tool_call_id=event["toolCallId"], text=str(event["content"]))]
        case "TEXT_MESSAGE_CONTENT" | "TEXT_MESSAGE_CHUNK":
            streamed.add(str(event.get("messageId")))
            return [RunEvent("text", wire, text=event.get("delta", ""))]
        case "MESSAGES_SNAPSHOT":
            return [
                RunEvent("text", wire, text=message["content"])
                for message in event["messages"]
                if message.get("role") == "assistant" and isinstance(message.get("content"), str)
                and message.get("id") not in streamed
            ]  # fmt: skip
    return [RunEvent("other", wire)]


class AgUiConversation(StreamedConversation):
    """One conversation with an AG-UI agent, as the app holds it, with the tools the app declares."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tools: list[AppTool] = []

    def recall(self, said: str, answered: str) -> None:
        """A turn the app holds from earlier, which this server never saw."""
        self.messages += [{"id": new_id("msg"), "role": "user", "content": said},
                          {"id": new_id("msg"), "role": "assistant", "content": answered}]  # fmt: skip

    async def ask(self, question: str, bearer: str | None = None) -> AgentRun:
        return await self.run(question, [{"id": new_id("msg"), "role": "user", "content": question}], bearer)

    async def answer_tool(self, tool_call_id: str, result: str) -> AgentRun:
        """The app's result for the tool call the last run left waiting, sent with the next run."""
        answered = {"id": new_id("msg"), "role": "tool", "toolCallId": tool_call_id, "content": result}
        return await self.run(f"(her app's result: {result})", [answered])

    def request_body(self, run_id: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
        no_arguments = {"type": "object", "properties": {}}
        tools = [{"name": tool.name, "description": tool.description, "parameters": no_arguments}
                 for tool in self.tools]  # fmt: skip
        return {"threadId": self.thread_id, "runId": run_id, "messages": messages, "tools": tools,
                "context": [], "state": {}, "forwardedProps": {}, "protocolVersion": PROTOCOL_VERSION}  # fmt: skip

    async def run(self, question: str, new: list[dict[str, Any]], bearer: str | None = None) -> AgentRun:
        """One run with the conversation so far and the `new` messages; they join it only if the run starts."""
        run = AgentRun(question, new_id("run"), self.thread_id)
        messages = [*self.messages, *new]
        body = json.dumps(self.request_body(run.run_id, messages))
        sent = {str(message["id"]) for message in messages}
        if await self.post(run, body, bearer, "AG-UI agent", lambda response: self.receive(response, run, sent)):
            self.messages += new
            self.remember_answer(run)
        return run

    async def receive(self, response: httpx2.Response, run: AgentRun, sent: set[str]) -> None:
        """Every event until the stream ends; one that ends with the run still going is cut off."""
        content_type = response.headers.get("content-type", "")
        if not content_type.startswith("text/event-stream"):
            raise AssertionError(f"Expected the AG-UI run to be answered as text/event-stream, got {content_type!r}")
        rules, streamed = StreamRules({tool.name for tool in self.tools}), set(sent)  # a snapshot's old news
        async for data in self.events(response, run, "AG-UI event"):
            self.take(data, run, rules, streamed)
        run.cut_off = rules.cut_off()
        if run.extras:
            defined_nowhere = ", ".join(sorted(set(run.extras)))
            self.evidence.record_note("Fields AG-UI does not define (allowed, listed only)", defined_nowhere)

    def take(self, text: str, run: AgentRun, rules: StreamRules, streamed: set[str]) -> None:
        self.evidence.record_frame(self.name, "<-", text)
        try:
            event = json.loads(text)
        except ValueError:
            raise Violation("each data line holds one JSON event", {"data": text[:300]}) from None
        if not isinstance(event, dict) or "type" not in event:
            raise Violation("each event is a JSON object with a type", {"data": text[:300]})
        try:
            _, extras = parse_event(event)
            run.extras += [f"{event['type']}.{extra}" for extra in extras]
            rules.check(event)
        except Violation as violation:
            raise AssertionError(f"{violation}\nReceived before it:\n{run.received()}") from None
        run.events += translate(event, streamed)

    def remember_answer(self, run: AgentRun) -> None:
        """The app keeps the run as a client does: the tool calls, their results, then the answer's text."""
        calls = [{"id": call_id, "type": "function", "function": {"name": tool, "arguments": "{}"}}
                 for call_id, tool in run.tool_calls.items()]  # fmt: skip
        if calls:
            self.messages.append({"id": new_id("msg"), "role": "assistant", "toolCalls": calls})
        for call_id, result in run.tool_results.items():
            self.messages.append({"id": new_id("msg"), "role": "tool", "toolCallId": call_id, "content": result})
        if run.answer:
            self.messages.append({"id": new_id("msg"), "role": "assistant", "content": run.answer})
