"""A fault layer between pydantic-ai's AG-UI server and the suite: it rewrites the stream pydantic-ai encodes
(drops, duplicates, reorders or renames events and fields), so the kill matrix can show the suite catches what a
third-party server might send. Each rewrite takes one event and the run's state, and gives the events to send."""

import json
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Event = dict[str, Any]
Rewrite = Callable[[Event, dict[str, Any]], list[Event]]  # the same layer rewrites AG-UI events and Vercel chunks


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


def error_as_stop(event: Event, run: dict[str, Any]) -> list[Event]:
    """The error chunk is dropped and the finish says stop: the failure is hidden as an answer."""
    if event["type"] == "error":
        return []
    if event["type"] == "finish":
        return [{**event, "finishReason": "stop"}]
    return [event]


def delta_renamed(event: Event, run: dict[str, Any]) -> list[Event]:
    if event["type"] == "text-delta":
        event = {**event, "textDelta": event["delta"]}
        del event["delta"]
    return [event]


STREAM_FAULTS: dict[str, tuple[str, Rewrite]] = {
    "ag_ui_pydantic_stream_cut_off": ("RUN_FINISHED never reaches the app", drop("RUN_FINISHED")),
    "ag_ui_pydantic_run_finished_twice": ("RUN_FINISHED reaches the app twice", twice("RUN_FINISHED")),
    "ag_ui_pydantic_tool_args_after_end": ("TOOL_CALL_ARGS comes after its TOOL_CALL_END", args_after_end),
    "ag_ui_pydantic_tool_call_id_renamed": ("TOOL_CALL_START spells tool_call_id", snake_case_tool_call_id),
    "ag_ui_pydantic_tool_result_dropped": ("TOOL_CALL_RESULT never reaches the app", drop("TOOL_CALL_RESULT")),
    "ag_ui_pydantic_error_as_success": ("RUN_ERROR is rewritten as RUN_FINISHED success", error_as_success),
    "ag_ui_pydantic_timestamps_as_text": ("every timestamp is sent as a string", timestamps_as_text),
    "ag_ui_pydantic_reasoning_dropped": ("the agent's reasoning never reaches the app", no_reasoning),
    "vercel_pydantic_finish_dropped": ("finish never reaches the app", drop("finish")),
    "vercel_pydantic_tool_output_dropped": (
        "tool-output-available never reaches the app",
        drop("tool-output-available"),
    ),
    "vercel_pydantic_error_as_stop": ("the error chunk is dropped and finish says stop", error_as_stop),
    "vercel_pydantic_delta_renamed": ("text-delta's delta is renamed textDelta", delta_renamed),
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
            out = [e for block in complete if block.strip() for e in rewritten_block(block, self.rewrite, run)]
            body = "".join(f"data: {event if isinstance(event, str) else json.dumps(event)}\n\n" for event in out)
            await send({**message, "body": body.encode()})

        await self.app(scope, receive, rewritten)


def rewritten_block(block: str, rewrite: Rewrite, run: dict[str, Any]) -> list[Event | str]:
    """One server-sent event through the rewrite; one that is not a JSON event (the Vercel [DONE]) as it is."""
    data = "\n".join(line[5:].removeprefix(" ") for line in block.splitlines() if line.startswith("data:"))
    try:
        event = json.loads(data)
    except ValueError:
        return [data]
    return list(rewrite(event, run)) if isinstance(event, dict) else [data]
