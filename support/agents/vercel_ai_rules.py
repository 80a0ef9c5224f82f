"""The order the Vercel AI SDK's UI message stream implies, applied to each chunk as it arrives.

One `start`, before anything but data, metadata or an error; text and reasoning parts opened before their
deltas and ended while open (an id may open again once ended, as providers restart ids each step); a tool
call's input before its output, and every server tool's input answered (an output, an error, a denial) before
`finish`, unless it asked for approval; `finish` last, then `[DONE]`. An `error` or `abort` ends the run as the
AI SDK's client ends it: what follows only closes the stream. A stream that ends with neither is cut off.
"""

import json
from typing import Any

PARTS = ("text", "reasoning")  # text-start/-delta/-end and reasoning-start/-delta/-end by id
BEFORE_START = ("data-", "message-metadata", "error")  # what createUIMessageStream may send before start
HEADER = "x-vercel-ai-ui-message-stream"
ANSWERS = ("tool-output-available", "tool-output-error", "tool-output-denied", "tool-input-error")


class Violation(AssertionError):
    def __init__(self, rule: str, chunk: Any) -> None:
        super().__init__(f"Vercel AI stream rule broken: {rule}. The offending chunk: {json.dumps(chunk)[:600]}")
        self.rule = rule


class StreamRules:
    def __init__(self) -> None:
        self.started = self.finished = self.ended = self.done = False
        self.open: dict[str, set[str]] = {kind: set() for kind in PARTS}
        self.inputs: dict[str, str] = {}  # tool call id -> tool name, once its input began
        self.answered: set[str] = set()

    def check(self, chunk: Any) -> None:
        if self.done:
            raise Violation("nothing follows [DONE]", chunk)
        if chunk == "[DONE]":
            self.done = True  # with no finish, error or abort before it, the stream is cut off (cut_off)
            return
        kind = chunk["type"]
        if self.ended:
            return  # after an error or abort the client reads no further: what comes only closes the stream
        if self.finished:
            raise Violation("finish is the last chunk before [DONE]", chunk)
        if kind in ("error", "abort"):
            self.ended = True
        elif not self.started and kind != "start" and not kind.startswith(BEFORE_START):
            raise Violation("start comes before the message's parts", chunk)
        elif kind == "start":
            if self.started:
                raise Violation("one start per message", chunk)
            self.started = True
        elif kind == "finish":
            self.finish(chunk)
        else:
            self.part(kind, chunk)

    def part(self, kind: str, chunk: dict[str, Any]) -> None:
        family, _, phase = kind.partition("-")
        if family in PARTS and phase in ("start", "delta", "end"):
            self.text_like(family, phase, chunk)
        elif kind in ("tool-input-start", "tool-input-available"):
            self.inputs[chunk["toolCallId"]] = chunk["toolName"]
        elif kind == "tool-input-delta" and chunk["toolCallId"] not in self.inputs:
            raise Violation("tool-input-delta for a tool call whose input has not started", chunk)
        elif kind in ANSWERS or kind == "tool-approval-request":
            if kind != "tool-input-error" and chunk["toolCallId"] not in self.inputs:
                raise Violation(f"{kind} for a tool call whose input came before it", chunk)
            self.answered.add(chunk["toolCallId"])
        elif kind == "reset-step":
            self.open = {family: set() for family in PARTS}

    def text_like(self, family: str, phase: str, chunk: dict[str, Any]) -> None:
        part = str(chunk.get("id"))
        if phase == "start":
            if part in self.open[family]:
                raise Violation(f"a {family} part is not opened again while open ({part})", chunk)
            self.open[family].add(part)
        elif part not in self.open[family]:
            raise Violation(f"{family}-{phase} for a {family} part that is not open ({part})", chunk)
        elif phase == "end":
            self.open[family].discard(part)

    def finish(self, chunk: dict[str, Any]) -> None:
        still_open = [f"{family} {part}" for family, parts in self.open.items() for part in parts]
        if still_open:
            raise Violation(f"finish while these parts are still open: {', '.join(still_open)}", chunk)
        unanswered = [f"{name} ({call})" for call, name in self.inputs.items() if call not in self.answered]
        if unanswered:
            raise Violation(f"every server tool's input is answered before finish; not {', '.join(unanswered)}", chunk)
        self.finished = True

    def cut_off(self) -> bool:
        return not (self.finished or self.ended)
