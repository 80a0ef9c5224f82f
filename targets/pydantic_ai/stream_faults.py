"""A fault layer between pydantic-ai's AG-UI server and the suite: it rewrites the stream pydantic-ai encodes
(drops, duplicates, reorders or renames events and fields), so the kill matrix can show the suite catches what a
third-party server might send. Each rewrite takes one event and the run's state, and gives the events to send."""

import json
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Event = dict[str, Any]
Rewrite = Callable[[Event, dict[str, Any]], list[Event]]


def drop(kind: str) -> Rewrite:
    return lambda event, run: [] if event["type"] == kind else [event]


def twice(kind: str) -> Rewrite:
    return lambda event, run: [event, event] if event["type"] == kind else [event]


def args_after_end(event: Event, run: dict[str, Any]) -> list[Event]:
    """TOOL_CALL_END is sent before its TOOL_CALL_ARGS."""
    if event["type"] == "TOOL_CALL_ARGS":
        run["held"] = event
        return []
    if event["type"] == "TOOL_CALL_END" and "held" in run:
        return [event, run.pop("held")]
    return [event]


def snake_case_tool_call_id(event: Event, run: dict[str, Any]) -> list[Event]:
    if event["type"] == "TOOL_CALL_START":
        event = {**event, "tool_call_id": event["toolCallId"]}
        del event["toolCallId"]
    return [event]


def error_as_success(event: Event, run: dict[str, Any]) -> list[Event]:
    """RUN_ERROR becomes RUN_FINISHED, with the run's own ids: the failure is hidden as a success."""
    if event["type"] == "RUN_STARTED":
        run["ids"] = {"threadId": event["threadId"], "runId": event["runId"]}
    if event["type"] == "RUN_ERROR":
        return [{"type": "RUN_FINISHED", **run["ids"], "outcome": {"type": "success"}}]
    return [event]


def timestamps_as_text(event: Event, run: dict[str, Any]) -> list[Event]:
    return [{**event, "timestamp": str(event["timestamp"])} if "timestamp" in event else event]


def no_reasoning(event: Event, run: dict[str, Any]) -> list[Event]:
    return [] if event["type"].startswith("REASONING") else [event]


STREAM_FAULTS: dict[str, tuple[str, Rewrite]] = {
    "ag_ui_pydantic_stream_cut_off": ("RUN_FINISHED never reaches the app", drop("RUN_FINISHED")),
    "ag_ui_pydantic_run_finished_twice": ("RUN_FINISHED reaches the app twice", twice("RUN_FINISHED")),
    "ag_ui_pydantic_tool_args_after_end": ("TOOL_CALL_ARGS comes after its TOOL_CALL_END", args_after_end),
    "ag_ui_pydantic_tool_call_id_renamed": ("TOOL_CALL_START spells tool_call_id", snake_case_tool_call_id),
    "ag_ui_pydantic_tool_result_dropped": ("TOOL_CALL_RESULT never reaches the app", drop("TOOL_CALL_RESULT")),
    "ag_ui_pydantic_error_as_success": ("RUN_ERROR is rewritten as RUN_FINISHED success", error_as_success),
    "ag_ui_pydantic_timestamps_as_text": ("every timestamp is sent as a string", timestamps_as_text),
    "ag_ui_pydantic_reasoning_dropped": ("the agent's reasoning never reaches the app", no_reasoning),
}


class RewrittenStream:
    """ASGI middleware: each server-sent event of the answer goes through the rewrite."""

    def __init__(self, app: ASGIApp, rewrite: Rewrite) -> None:
        self.app = app
        self.rewrite = rewrite

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        run: dict[str, Any] = {}
        pending, streaming = "", False

        async def rewritten(message: Message) -> None:
            nonlocal pending, streaming
            if message["type"] == "http.response.start":
                streaming = any(
                    k == b"content-type" and v.startswith(b"text/event-stream") for k, v in message["headers"]
                )
            if message["type"] != "http.response.body" or not streaming:
                await send(message)
                return
            pending += message.get("body", b"").decode()
            *complete, pending = pending.split("\n\n")
            out = [e for block in complete if block.strip() for e in self.rewrite(parse(block), run)]
            body = "".join(f"data: {json.dumps(event)}\n\n" for event in out).encode()
            await send({**message, "body": body})

        await self.app(scope, receive, rewritten)


def parse(block: str) -> Event:
    data = "\n".join(line[5:].removeprefix(" ") for line in block.splitlines() if line.startswith("data:"))
    event: Event = json.loads(data)
    return event
