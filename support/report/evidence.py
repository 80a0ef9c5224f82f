"""Evidence of what the suite really exchanged with the platform, attached to Allure through one place.

Everything passes through the Redactor before it is attached.
"""

import json
import time
from dataclasses import dataclass, field
from typing import Any

import allure

from support.report.redaction import Redactor


@dataclass
class HttpExchange:
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str
    status: int | None
    response_headers: dict[str, str]
    response_body: str
    elapsed_ms: float
    error: str = ""

    @property
    def request_id(self) -> str | None:
        return self.response_headers.get("x-request-id")


@dataclass
class SocketFrame:
    connection: str
    direction: str
    at: float
    payload: str


@dataclass
class ScenarioEvidence:
    redactor: Redactor
    started: float = field(default_factory=time.monotonic)
    http: list[HttpExchange] = field(default_factory=list)
    frames: list[SocketFrame] = field(default_factory=list)
    timelines: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    queries: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)

    def record_http(self, exchange: HttpExchange) -> None:
        self.http.append(exchange)

    def record_frame(self, connection: str, direction: str, payload: str) -> None:
        self.frames.append(SocketFrame(connection, direction, time.monotonic(), payload))

    def record_timeline(self, title: str, events: list[dict[str, Any]]) -> None:
        self.timelines.append((title, list(events)))

    def record_rows(self, title: str, rows: list[dict[str, Any]]) -> None:
        self.queries.append((title, rows))

    def http_transcript(self) -> str:
        blocks = []
        redact = self.redactor
        for exchange in self.http:
            lines = [f"{exchange.method} {redact.text(exchange.url)}"]
            lines += [f"{name}: {value}" for name, value in redact.headers(exchange.request_headers).items()]
            if exchange.request_body:
                lines += ["", redact.body(exchange.request_body)]
            if exchange.status is None:
                lines += ["", f"<- no response: {redact.text(exchange.error)}"]
            else:
                lines += ["", f"<- {exchange.status} in {exchange.elapsed_ms:.0f} ms"]
                lines += [f"{name}: {value}" for name, value in redact.headers(exchange.response_headers).items()]
                if exchange.response_body:
                    lines += ["", redact.body(exchange.response_body)]
            blocks.append("\n".join(lines))
        return "\n\n----------------------------------------\n\n".join(blocks)

    def socket_transcript(self) -> str:
        return "\n".join(
            f"+{frame.at - self.started:7.3f}s {frame.connection} {frame.direction} {self.redactor.body(frame.payload)}"
            for frame in self.frames
        )

    def request_ids(self) -> str:
        return "\n".join(
            f"{exchange.request_id}  {exchange.method} {self.redactor.text(exchange.url)} -> {exchange.status}"
            for exchange in self.http
            if exchange.request_id
        )

    def attach_all(self) -> None:
        if self.http:
            allure.attach(self.http_transcript(), "HTTP exchanges", allure.attachment_type.TEXT)
            allure.attach(self.request_ids() or "(none returned)", "Server request ids", allure.attachment_type.TEXT)
        if self.frames:
            allure.attach(self.socket_transcript(), "WebSocket frames", allure.attachment_type.TEXT)
        for title, events in self.timelines:
            allure.attach(format_timeline(events, self.redactor), title, allure.attachment_type.TEXT)
        for title, rows in self.queries:
            rows_json = json.dumps(self.redactor.data(rows), indent=2, ensure_ascii=False, default=str)
            allure.attach(rows_json, title, allure.attachment_type.JSON)


def format_timeline(
    events: list[dict[str, Any]], redactor: Redactor | None = None, offsets: list[float] | None = None
) -> str:
    """One line per event: when it came (seconds after the question), seq, type, and the fields that identify it."""
    if not events:
        return "(no events)"
    lines = []
    for index, event in enumerate(events):
        details = {key: value for key, value in event.items() if key not in ("type", "seq", "run_id", "thread_id")}
        text = json.dumps(details, ensure_ascii=False) if details else ""
        if redactor is not None:
            text = redactor.text(text)
        run = str(event.get("run_id", "-"))[:8]
        at = f"+{offsets[index]:6.3f}s  " if offsets and index < len(offsets) else ""
        lines.append(f"{at}seq={event.get('seq', '?')!s:>3}  run={run}  {event.get('type', '?'):<15} {text}")
    return "\n".join(lines)
