"""The order the Vercel AI SDK's UI message stream implies, applied to each chunk as it arrives.

One `start` first; text and reasoning parts opened before their deltas and closed once; a tool call's input
before its output, and every server tool's input answered by `tool-output-available` or `tool-output-error`
before `finish`; `finish` last, then `[DONE]`. A stream with no `finish` is cut off.
"""

import json
from typing import Any

PARTS = {"text": "text", "reasoning": "reasoning"}  # text-start/-delta/-end and reasoning-start/-delta/-end by id
HEADER = "x-vercel-ai-ui-message-stream"


class Violation(AssertionError):
    def __init__(self, rule: str, chunk: Any) -> None:
        super().__init__(f"Vercel AI stream rule broken: {rule}. The offending chunk: {json.dumps(chunk)[:600]}")
        self.rule = rule


class StreamRules:
    def __init__(self) -> None:
        self.started = False
        self.finished = False
        self.done = False
        self.open: dict[str, set[str]] = {kind: set() for kind in PARTS}
        self.closed: dict[str, set[str]] = {kind: set() for kind in PARTS}
        self.inputs: dict[str, str] = {}  # tool call id -> tool name, once its input is available
        self.outputs: set[str] = set()
        self.steps = 0

    def check(self, chunk: Any) -> None:
        if self.done:
            raise Violation("nothing follows [DONE]", chunk)
        if chunk == "[DONE]":
            self.done = True  # with no finish before it, the stream is cut off (cut_off)
            return
        kind = chunk["type"]
        if self.finished:
            raise Violation("finish is the last chunk before [DONE]", chunk)
        if not self.started and kind != "start":
            raise Violation("the first chunk is start", chunk)
        if kind == "start":
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
            self.text_like(PARTS[family], phase, chunk)
        elif kind == "tool-input-available":
            self.inputs[chunk["toolCallId"]] = chunk["toolName"]
        elif kind in ("tool-output-available", "tool-output-error"):
            if chunk["toolCallId"] not in self.inputs:
                raise Violation(f"{kind} answers a tool call whose input was available before it", chunk)
            self.outputs.add(chunk["toolCallId"])
        elif kind == "start-step":
            self.steps += 1
        elif kind == "finish-step":
            if self.steps < 1:
                raise Violation("finish-step closes a step that started", chunk)
            self.steps -= 1

    def text_like(self, family: str, phase: str, chunk: dict[str, Any]) -> None:
        part = str(chunk.get("id"))
        if phase == "start":
            if part in self.open[family] or part in self.closed[family]:
                raise Violation(f"a {family} part is opened once ({part})", chunk)
            self.open[family].add(part)
        elif part not in self.open[family]:
            raise Violation(f"{family}-{phase} for a {family} part that is not open ({part})", chunk)
        elif phase == "end":
            self.open[family].discard(part)
            self.closed[family].add(part)

    def finish(self, chunk: dict[str, Any]) -> None:
        still_open = [f"{family} {part}" for family, parts in self.open.items() for part in parts]
        if still_open:
            raise Violation(f"finish while these parts are still open: {', '.join(still_open)}", chunk)
        unanswered = [f"{name} ({call})" for call, name in self.inputs.items() if call not in self.outputs]
        if unanswered:
            raise Violation(f"every server tool's input is answered before finish; not {', '.join(unanswered)}", chunk)
        self.finished = True

    def cut_off(self) -> bool:
        return not self.finished
