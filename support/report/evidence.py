"""Evidence of what the suite really exchanged with the platform, attached to Allure through one place.

Everything passes through the Redactor before it is attached.
"""

import json
import time
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import allure

from support.checks.conformance import Conformance
from support.report.allure_report import SCENARIO_LABELS
from support.report.attempts import CONFORMANCE_LABEL
from support.report.redaction import Redactor
from support.report.timeline import format_timeline

T = TypeVar("T")


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
    notes: list[tuple[str, str]] = field(default_factory=list)
    attached: dict[str, int] = field(default_factory=dict)  # per kind: how many items a step has attached
    conformance: Conformance = field(default_factory=Conformance)  # the platform's answers and frames checked

    def record_http(self, exchange: HttpExchange) -> None:
        self.http.append(exchange)

    def record_frame(self, connection: str, direction: str, payload: str) -> None:
        self.frames.append(SocketFrame(connection, direction, time.monotonic(), payload))

    def record_timeline(self, title: str, events: list[dict[str, Any]]) -> None:
        self.timelines.append((title, list(events)))

    def record_rows(self, title: str, rows: list[dict[str, Any]]) -> None:
        self.queries.append((title, rows))

    def record_note(self, title: str, text: str) -> None:
        """A summary the suite worked out (a latency table, say), under its title."""
        self.notes.append((title, text))

    def exchange_text(self, exchange: HttpExchange) -> str:
        redact = self.redactor
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
        return "\n".join(lines)

    def exchange_title(self, exchange: HttpExchange) -> str:
        path = self.redactor.text(urlsplit(exchange.url).path)
        return f"{exchange.method} {path} → {exchange.status if exchange.status is not None else 'no response'}"

    def http_transcript(self, exchanges: list[HttpExchange] | None = None) -> str:
        return "\n\n----------------------------------------\n\n".join(
            self.exchange_text(exchange) for exchange in (self.http if exchanges is None else exchanges)
        )

    def socket_transcript(self, frames: list[SocketFrame] | None = None) -> str:
        return "\n".join(
            f"+{frame.at - self.started:7.3f}s {frame.connection} {frame.direction} {self.redactor.body(frame.payload)}"
            for frame in (self.frames if frames is None else frames)
        )

    def _unattached(self, kind: str, items: list[T]) -> list[T]:
        """The items of `kind` no step has attached yet; from now on they count as attached."""
        start, self.attached[kind] = self.attached.get(kind, 0), len(items)
        return items[start:]

    def attach_step(self) -> None:
        """Attach to the current step what it exchanged, each piece under a title that says what it is."""
        for exchange in self._unattached("http", self.http):
            allure.attach(self.exchange_text(exchange), self.exchange_title(exchange), allure.attachment_type.TEXT)
        frames = self._unattached("frames", self.frames)
        for connection in dict.fromkeys(frame.connection for frame in frames):
            mine = [frame for frame in frames if frame.connection == connection]
            allure.attach(
                self.socket_transcript(mine), f"Frames on {connection}'s chat socket", allure.attachment_type.TEXT
            )
        for title, events in self._unattached("timelines", self.timelines):
            allure.attach(format_timeline(events, self.redactor), title, allure.attachment_type.TEXT)
        for title, rows in self._unattached("queries", self.queries):
            allure.attach(self.rows_json(rows), title, allure.attachment_type.JSON)
        for title, text in self._unattached("notes", self.notes):
            allure.attach(self.redactor.text(text), title, allure.attachment_type.TEXT)

    def rows_json(self, rows: list[dict[str, Any]]) -> str:
        return json.dumps(self.redactor.data(rows), indent=2, ensure_ascii=False, default=str)

    def request_ids(self) -> str:
        return "\n".join(
            f"{exchange.request_id}  {exchange.method} {self.redactor.text(exchange.url)} -> {exchange.status}"
            for exchange in self.http
            if exchange.request_id
        )

    def attach_all(self) -> None:
        """The scenario's full transcripts, for a reader who wants everything in one place."""
        if self.http:
            allure.attach(self.http_transcript(), "HTTP exchanges", allure.attachment_type.TEXT)
            allure.attach(self.request_ids() or "(none returned)", "Server request ids", allure.attachment_type.TEXT)
        if self.frames:
            allure.attach(self.socket_transcript(), "WebSocket frames", allure.attachment_type.TEXT)
        for title, events in self.timelines:
            allure.attach(format_timeline(events, self.redactor), title, allure.attachment_type.TEXT)
        for title, rows in self.queries:
            allure.attach(self.rows_json(rows), title, allure.attachment_type.JSON)


def label_conformance(evidences: list[ScenarioEvidence]) -> None:
    """Label the scenario's result with how many answers and frames were held to the contract documents."""
    answers = sum(evidence.conformance.answers for evidence in evidences)
    frames = sum(evidence.conformance.frames for evidence in evidences)
    SCENARIO_LABELS[CONFORMANCE_LABEL] = f"answers={answers} frames={frames}"
