"""AG-UI's rules, applied to each event as it arrives: the published models, parsed strictly, then the order.

The order rules are a strict superset of `verifyEvents` in `@ag-ui/client` 1.0.0 and of spec 1.1's MUSTs
(docs/agent-protocols.md lists them); nothing spec 1.1 allows is rejected. pydantic's models accept
snake_case names, coerce types and allow extra fields, so the raw event is read as well: a name the spec
spells otherwise and an explicit null are violations, a field the spec does not define is only listed.
"""

import json
from typing import Any

from ag_ui.core import Event
from pydantic import BaseModel, TypeAdapter, ValidationError

EVENT = TypeAdapter(Event)
OPENERS = {  # the event that opens an entity, the events that need it open, the one that closes it, its id field
    "message": ("TEXT_MESSAGE_START", {"TEXT_MESSAGE_CONTENT"}, "TEXT_MESSAGE_END", "messageId"),
    "tool call": ("TOOL_CALL_START", {"TOOL_CALL_ARGS"}, "TOOL_CALL_END", "toolCallId"),
    "step": ("STEP_STARTED", set(), "STEP_FINISHED", "stepName"),
    "reasoning": ("REASONING_START", set(), "REASONING_END", "messageId"),
    "reasoning message": (
        "REASONING_MESSAGE_START",
        {"REASONING_MESSAGE_CONTENT"},
        "REASONING_MESSAGE_END",
        "messageId",
    ),
}


class Violation(AssertionError):
    """An event that breaks a rule of the protocol: the rule, and the event as it came."""

    def __init__(self, rule: str, event: dict[str, Any]) -> None:
        super().__init__(f"AG-UI rule broken: {rule}. The offending event: {json.dumps(event)[:600]}")
        self.rule = rule


def parse_event(raw: dict[str, Any]) -> tuple[BaseModel, list[str]]:
    """The event as the published models read it, strictly; and the fields they do not define (evidence only)."""
    try:
        model: BaseModel = EVENT.validate_python(raw, strict=True)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'][1:])) or 'event'}: {e['msg']}" for e in error.errors())
        raise Violation(f"the event does not match AG-UI's published model ({problems[:400]})", raw) from None
    fields = type(model).model_fields
    aliases = {info.alias or name: name for name, info in fields.items()}
    for key, value in raw.items():
        if key not in aliases and key in fields and fields[key].alias not in (None, key):
            raise Violation(f"the field {key!r} is spelled {fields[key].alias!r} in the spec", raw)
        if value is None and key in aliases:
            raise Violation(
                f"{key} is an explicit null; an optional field the producer has no value for is left out", raw
            )
    return model, sorted(key for key in raw if key not in aliases)


class StreamRules:
    """The order of one stream: runs bracketed, messages, tool calls, steps and reasoning opened before use and
    closed before the run finishes, nothing after the end, and the app's own tools never answered by the server."""

    def __init__(self, app_tools: set[str]) -> None:
        self.app_tools = app_tools
        self.first = True
        self.running = False
        self.ended_by: str | None = None
        self.open: dict[str, dict[str, dict[str, Any]]] = {kind: {} for kind in OPENERS}
        self.closed: dict[str, dict[str, dict[str, Any]]] = {kind: {} for kind in OPENERS}
        self.tool_names: dict[str, str] = {}

    def check(self, event: dict[str, Any]) -> None:
        kind = event["type"]
        if self.first and kind not in ("RUN_STARTED", "RUN_ERROR"):
            raise Violation("the first event of a stream is RUN_STARTED or RUN_ERROR", event)
        self.first = False
        if self.ended_by == "RUN_FINISHED" and kind not in ("RUN_STARTED", "RUN_ERROR"):
            raise Violation("after RUN_FINISHED only RUN_STARTED or RUN_ERROR may follow", event)
        if self.ended_by == "RUN_ERROR" and kind != "RUN_STARTED":
            raise Violation("after RUN_ERROR only a new RUN_STARTED may follow", event)
        if kind == "RUN_STARTED":
            if self.running:
                raise Violation("RUN_STARTED while a run is still going", event)
            self.running, self.ended_by = True, None
        elif kind in ("RUN_FINISHED", "RUN_ERROR"):
            self.end(kind, event)
        else:
            self.track(kind, event)

    def end(self, kind: str, event: dict[str, Any]) -> None:
        if kind == "RUN_FINISHED":
            still_open = [f"{entity} {key}" for entity, opened in self.open.items() for key in opened]
            if still_open:
                raise Violation(f"RUN_FINISHED while these are still open: {', '.join(still_open)}", event)
        self.running, self.ended_by = False, kind

    def track(self, kind: str, event: dict[str, Any]) -> None:
        for entity, (start, middle, close, id_field) in OPENERS.items():
            key = str(event.get(id_field))
            if kind == start:
                if key in self.open[entity]:
                    raise Violation(f"{start} for a {entity} that is already open ({id_field} {key})", event)
                self.reopen(entity, key, event)
                self.open[entity][key] = event
            elif kind in middle or kind == close:
                if key not in self.open[entity]:
                    raise Violation(f"{kind} for a {entity} that is not open ({id_field} {key})", event)
                if kind == close:
                    self.closed[entity][key] = self.open[entity].pop(key)
        if kind == "TOOL_CALL_START":
            self.tool_names[str(event.get("toolCallId"))] = str(event.get("toolCallName"))
        if kind == "TOOL_CALL_RESULT" and self.tool_names.get(str(event.get("toolCallId"))) in self.app_tools:
            raise Violation(
                "a tool the app declared is answered by the app, never by the server's TOOL_CALL_RESULT", event
            )

    def reopen(self, entity: str, key: str, event: dict[str, Any]) -> None:
        """Spec 1.1: a message or tool call opened again after its end keeps its role, name and parent."""
        before = self.closed[entity].get(key)
        for field in ("role", "toolCallName", "parentMessageId"):
            if before is not None and field in before and before.get(field) != event.get(field):
                raise Violation(f"a reopened {entity} keeps its {field} ({before.get(field)!r})", event)

    def cut_off(self) -> bool:
        """The stream ended with a run still going: never a success, never made up as one."""
        return self.running or self.first
