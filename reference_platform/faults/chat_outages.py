"""Defects in how the chat socket lives through outages, shutdowns, lost clients and ended sessions."""

import asyncio
import os
import signal
import uuid
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from reference_platform.chat.agent import RunEvents
from reference_platform.chat.runs import SERVICE_UNAVAILABLE
from reference_platform.chat.socket import GONE, ChatSessions, Deliver
from reference_platform.database import HeldConnection
from reference_platform.faults.fault import Fault
from reference_platform.identity.bearer import Caller
from reference_platform.identity.sessions import SessionEndings


class DiesWithItsSocket(ChatSessions):
    """A run is bound to its socket: when the client is gone, the run stops where it is."""

    def deliver(self, websocket: WebSocket, run_id: uuid.UUID) -> Deliver:
        return StopsWhenTheClientLeaves(websocket, self.journal, run_id)


class StopsWhenTheClientLeaves(Deliver):
    async def __call__(self, event: dict[str, object]) -> None:
        try:
            await self.websocket.send_json(event)
        except GONE as gone:
            raise WebSocketDisconnect(1006) from gone
        await self.journal.record(self.run_id, event)


class WaitsForItsClient(ChatSessions):
    """A run whose client left waits for a client that never comes back."""

    def deliver(self, websocket: WebSocket, run_id: uuid.UUID) -> Deliver:
        return BlocksWhenTheClientLeaves(websocket, self.journal, run_id)


class BlocksWhenTheClientLeaves(Deliver):
    async def __call__(self, event: dict[str, object]) -> None:
        try:
            await self.websocket.send_json(event)
        except GONE:
            await asyncio.Event().wait()
        await self.journal.record(self.run_id, event)


class ExitsAtOnceOnSigterm(ChatSessions):
    """SIGTERM ends the process on the spot, as a server that does not handle it: no close frames, no draining."""

    async def serve(self, websocket: WebSocket, caller: Caller) -> None:
        signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
        await super().serve(websocket, caller)


class HeldOnce(HeldConnection):
    """A held connection that is never opened again once lost, and never says so (the platform before
    its listeners and lease reconnected)."""

    @property
    def held(self) -> bool:
        return True

    async def _keep(self) -> None:
        return None


class SessionEndingsHeardOnce(SessionEndings):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.connection.__class__ = HeldOnce


class StoresBeforeTellingOfTheOutage(Deliver):
    """The agent_error that says the database is gone is sent only once stored: it never is."""

    async def __call__(self, event: dict[str, object]) -> None:
        await self.journal.record(self.run_id, event)
        if self.attached:
            try:
                await self.websocket.send_json(event)
            except GONE:
                self.attached = False


class TellsOfTheOutageOnlyOnceStored(ChatSessions):
    def deliver(self, websocket: WebSocket, run_id: uuid.UUID) -> Deliver:
        return StoresBeforeTellingOfTheOutage(websocket, self.journal, run_id)


class Renumbered:
    """A socket whose 1013 closes go out as 1011 (internal error)."""

    def __init__(self, websocket: WebSocket) -> None:
        self._websocket = websocket

    def __getattr__(self, name: str) -> Any:
        return getattr(self._websocket, name)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        await self._websocket.close(1011 if code == 1013 else code, reason)


class ClosesWithInternalErrorOnOutage(ChatSessions):
    async def converse(self, websocket: WebSocket, user_id: uuid.UUID) -> None:
        await super().converse(Renumbered(websocket), user_id)  # type: ignore[arg-type]


class ClosesWithoutAWordOnOutage(ChatSessions):
    """A message that meets the outage gets no error frame: the socket just closes."""

    @staticmethod
    async def send_error(websocket: WebSocket, code: str, detail: str) -> None:
        if code != SERVICE_UNAVAILABLE:
            await ChatSessions.send_error(websocket, code, detail)


class LeavesCutShortRunsRunning(ChatSessions):
    """A run the shutdown grace cuts short is left running, for whoever starts next to find."""

    async def cut_short(self, events: RunEvents) -> None:
        return None


FAULTS: dict[str, Fault] = {
    "session_endings_heard_once": Fault(
        "after a database outage, session endings are no longer heard",
        {"session_endings": SessionEndingsHeardOnce},
    ),
    "outage_run_error_unsent": Fault(
        "a run's agent_error service_unavailable is sent only once stored, so never",
        {"chat_sessions": TellsOfTheOutageOnlyOnceStored},
    ),
    "outage_closes_with_1011": Fault(
        "a chat that meets the outage closes with 1011 instead of 1013",
        {"chat_sessions": ClosesWithInternalErrorOnOutage},
    ),
    "outage_without_error_frame": Fault(
        "a message that meets the outage gets no error frame", {"chat_sessions": ClosesWithoutAWordOnOutage}
    ),
    "grace_overrun_left_running": Fault(
        "a run the shutdown grace cuts short is not ended by its server",
        {"chat_sessions": LeavesCutShortRunsRunning},
    ),
    "run_dies_with_its_socket": Fault(
        "a run stops, unrecorded, when its client's connection is gone", {"chat_sessions": DiesWithItsSocket}
    ),
    "abandoned_run_hangs": Fault("a run whose client left waits for it for ever", {"chat_sessions": WaitsForItsClient}),
    "exits_abruptly_on_sigterm": Fault(
        "SIGTERM ends the server on the spot: chats are cut off (1006), runs lost",
        {"chat_sessions": ExitsAtOnceOnSigterm},
    ),
}
