"""The chat WebSocket: a recorder task moves every frame from the socket into a queue."""

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.frames import Frame as WireFrame
from websockets.frames import Opcode
from websockets.protocol import Event

from support.checks.conformance import ContractMismatch
from support.clients.run_record import Closed
from support.report.evidence import ScenarioEvidence
from support.stack.service_errors import ServiceUnavailable, describe


class HandshakeRefused(Exception):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"handshake refused with HTTP {status}: {body[:300]}")
        self.status = status
        self.body = body


Frame = dict[str, Any] | Closed


@dataclass(frozen=True)
class Arrival:
    at: float  # time.monotonic() when the recorder took the frame off the socket
    frame: Frame
    mismatch: str | None = None  # how the frame differs from the AsyncAPI document, if it does


def conforming(arrival: Arrival) -> Arrival:
    if arrival.mismatch is not None:
        raise ContractMismatch(arrival.mismatch)
    return arrival


class PingNotingConnection(ClientConnection):
    """Notes when each of the server's pings arrives; websockets answers it as usual."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pings: list[float] = []

    def process_event(self, event: Event) -> None:
        if isinstance(event, WireFrame) and event.opcode is Opcode.PING:
            self.pings.append(time.monotonic())
        super().process_event(event)


class ChatConnection:
    def __init__(self, socket: PingNotingConnection, url: str, name: str, evidence: ScenarioEvidence) -> None:
        self.socket = socket
        self.url = url
        self.name = name
        self.evidence = evidence
        self.opened_at = time.monotonic()
        self.frames: asyncio.Queue[Arrival] = asyncio.Queue()
        self._recorder = asyncio.create_task(self._record(), name=f"record {name}")

    @property
    def pings(self) -> list[float]:
        """When the server's pings arrived (monotonic seconds)."""
        return self.socket.pings

    @classmethod
    async def open(
        cls,
        url: str,
        name: str,
        evidence: ScenarioEvidence,
        *,
        ticket: str | None = None,
        bearer: str | None = None,
        timeout: float = 5.0,
    ) -> "ChatConnection":
        target = f"{url}?{urlencode({'ticket': ticket})}" if ticket is not None else url
        headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else {}
        evidence.record_frame(name, "connect", target)
        try:
            socket = await connect(
                target,
                additional_headers=headers,
                open_timeout=timeout,
                max_size=2**20,
                create_connection=PingNotingConnection,
            )
        except InvalidStatus as refused:
            body = refused.response.body.decode(errors="replace") if refused.response.body else ""
            evidence.record_frame(name, "refused", f"HTTP {refused.response.status_code} {body}")
            raise HandshakeRefused(refused.response.status_code, body) from refused
        except (OSError, TimeoutError) as error:
            raise ServiceUnavailable("chat WebSocket", url, describe(error)) from error
        assert isinstance(socket, PingNotingConnection)
        evidence.record_frame(name, "open", f"subprotocol={socket.subprotocol}")
        return cls(socket, url, name, evidence)

    async def _record(self) -> None:
        try:
            async for raw in self.socket:
                text = raw if isinstance(raw, str) else raw.decode(errors="replace")
                self.evidence.record_frame(self.name, "<-", text)
                try:
                    frame = json.loads(text)
                except ValueError:
                    frame = {"type": "<not json>", "raw": text}
                received = frame if isinstance(frame, dict) else {"type": "<not an object>", "raw": frame}
                mismatch = self.evidence.conformance.frame_mismatch(received, text)
                await self.frames.put(Arrival(time.monotonic(), received, mismatch))
        except ConnectionClosed:
            pass
        finally:
            close = self.socket.protocol.close_rcvd
            closed = Closed(close.code if close else None, close.reason if close else "no close frame received")
            self.evidence.record_frame(self.name, "closed", f"code={closed.code} reason={closed.reason!r}")
            await self.frames.put(Arrival(time.monotonic(), closed))

    async def send(self, message: dict[str, Any]) -> None:
        await self.send_text(json.dumps(message))

    async def send_text(self, text: str) -> None:
        """Send a frame. A chat the platform already closed with a close frame is its doing: a product defect,
        said as such; a connection lost without one stays a transport failure (the test bed's)."""
        self.evidence.record_frame(self.name, "->", text if len(text) < 2000 else f"{text[:200]}… ({len(text)} chars)")
        try:
            await self.socket.send(text)
        except ConnectionClosed:
            close = self.socket.protocol.close_rcvd
            if close is None:
                raise
            raise AssertionError(
                f"Expected the chat of {self.name} to stay open, but the platform had closed it with "
                f"{close.code} {close.reason!r}"
            ) from None

    async def next_frame(self, deadline: float) -> Arrival | None:
        """The next frame and when it came, or None if none arrives before the monotonic `deadline`; a frame
        unlike the AsyncAPI document's fails the step that takes it."""
        if not self.frames.empty():  # already here: no timer
            return conforming(self.frames.get_nowait())
        try:
            async with asyncio.timeout(max(0.0, deadline - time.monotonic())):  # a timer, not a task per frame
                return conforming(await self.frames.get())
        except TimeoutError:
            return None

    async def close(self) -> None:
        await self.socket.close()
        await asyncio.wait_for(self._recorder, 5)

    async def drop(self) -> None:
        """Lose the connection as a phone leaving Wi-Fi does: no close handshake."""
        self.evidence.record_frame(self.name, "dropped", "the connection is cut without a close frame")
        self.socket.transport.abort()
        await asyncio.wait_for(self._recorder, 5)
