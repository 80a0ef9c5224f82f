"""A chat client that opens the socket and then never answers anything, not even a ping: an app whose
phone went to sleep with the connection half-open. Built on websockets' sans-I/O protocol, which
queues the pongs it owes; this client never sends them."""

import asyncio
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

from support.report.evidence import ScenarioEvidence
from support.stack.service_errors import ServiceUnavailable, describe

READ_SIZE = 65536


@dataclass
class SilentChat:
    name: str
    evidence: ScenarioEvidence
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    protocol: ClientProtocol
    opened_at: float = 0.0
    pings: list[float] = field(default_factory=list)
    closed_at: float | None = None
    close_code: int | None = None

    @classmethod
    async def open(cls, url: str, ticket: str, name: str, evidence: ScenarioEvidence, timeout: float) -> "SilentChat":
        address = urlsplit(url)
        protocol = ClientProtocol(parse_uri(f"{url}?{urlencode({'ticket': ticket})}"))
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(address.hostname, address.port or 80), timeout
            )
        except (OSError, TimeoutError) as error:
            raise ServiceUnavailable("chat WebSocket", url, describe(error)) from error
        protocol.send_request(protocol.connect())
        writer.write(b"".join(protocol.data_to_send()))
        chat = cls(name, evidence, reader, writer, protocol)
        evidence.record_frame(name, "connect", f"{url}?ticket=… (a client that will answer nothing)")
        await asyncio.wait_for(chat._until_open(), timeout)
        return chat

    async def _until_open(self) -> None:
        while True:
            for event in await self._events():
                if isinstance(event, Response):
                    if event.status_code != 101:
                        raise AssertionError(f"{self.name}'s chat was refused: HTTP {event.status_code}")
                    self.opened_at = time.monotonic()
                    self.evidence.record_frame(self.name, "open", "and silent from now on")
                    return

    async def _events(self) -> list[object]:
        data = await self.reader.read(READ_SIZE)
        if data:
            self.protocol.receive_data(data)
        else:
            self.protocol.receive_eof()
        self.protocol.data_to_send()  # the pongs (and the close reply) it owes: never sent
        return list(self.protocol.events_received())

    async def wait_for_close(self, seconds: float) -> float | None:
        """Seconds from opening until the server closed the chat, or None if it stayed open that long."""
        deadline = time.monotonic() + seconds
        while self.closed_at is None and time.monotonic() < deadline:
            try:
                events = await asyncio.wait_for(self._events(), deadline - time.monotonic())
            except TimeoutError:
                break
            for event in events:
                if isinstance(event, Frame) and event.opcode is Opcode.PING:
                    self.pings.append(time.monotonic())
                    self.evidence.record_frame(self.name, "<- ping", "not answered")
                elif isinstance(event, Frame) and event.opcode is Opcode.CLOSE:
                    self._closed(self.protocol.close_rcvd.code if self.protocol.close_rcvd else None)
            if self.reader.at_eof() and self.closed_at is None:
                self._closed(None)
        return None if self.closed_at is None else self.closed_at - self.opened_at

    def _closed(self, code: int | None) -> None:
        self.closed_at, self.close_code = time.monotonic(), code
        after = self.closed_at - self.opened_at
        self.evidence.record_frame(self.name, "closed", f"by the server after {after:.1f} s, code={code}")

    def close(self) -> None:
        self.writer.close()
