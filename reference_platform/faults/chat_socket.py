"""Defects in the chat socket itself: its handshake, its frames, its pings and its policy."""

import asyncio
import contextlib
import json
import uuid
import weakref

from starlette.websockets import WebSocket

from reference_platform.chat.socket import GONE, ChatSessions, HandshakeAuthenticator
from reference_platform.faults.fault import Fault
from reference_platform.identity.bearer import Caller
from reference_platform.problems import unauthorized


class LetsAnyoneIn(HandshakeAuthenticator):
    async def authenticate(self, websocket: WebSocket) -> Caller:
        if "ticket" in websocket.query_params or "authorization" in websocket.headers:
            return await super().authenticate(websocket)
        return Caller(uuid.UUID(int=0), uuid.UUID(int=0))


class TicketsOnly(HandshakeAuthenticator):
    """Only a browser's ticket opens a chat: an app's Authorization header is refused."""

    async def authenticate(self, websocket: WebSocket) -> Caller:
        if "ticket" not in websocket.query_params:
            raise unauthorized("Open the chat with a ticket.")
        return await super().authenticate(websocket)


class LetsAnyoneWrite(ChatSessions):
    async def may_write(self, user_id: uuid.UUID, thread_id: uuid.UUID) -> bool:
        return await self.chats.database.pool.fetchval("SELECT true FROM threads WHERE id = $1", thread_id) or False


class IgnoresMalformedFrames(ChatSessions):
    async def handle_frame(self, websocket: WebSocket, user_id: uuid.UUID, frame: str) -> None:
        try:
            json.loads(frame)
        except ValueError:
            return
        await super().handle_frame(websocket, user_id, frame)


class IgnoresUnknownTypes(ChatSessions):
    async def handle_frame(self, websocket: WebSocket, user_id: uuid.UUID, frame: str) -> None:
        with contextlib.suppress(ValueError, AttributeError):
            if json.loads(frame).get("type") != "user_message":
                return
        await super().handle_frame(websocket, user_id, frame)


class AnswersEmptyQuestions(ChatSessions):
    async def handle_frame(self, websocket: WebSocket, user_id: uuid.UUID, frame: str) -> None:
        with contextlib.suppress(ValueError, AttributeError, KeyError, TypeError):
            message = json.loads(frame)
            if message.get("type") == "user_message" and not str(message.get("content", "x")).strip():
                await self.run(websocket, uuid.UUID(message["thread_id"]), message["content"])
                return
        await super().handle_frame(websocket, user_id, frame)


class TakesAnySize(ChatSessions):
    max_message_bytes = 10 * 2**20


class LetsMalformedTokensIn(HandshakeAuthenticator):
    async def authenticate(self, websocket: WebSocket) -> Caller:
        bearer = websocket.headers.get("authorization", "").partition(" ")[2]
        if bearer and bearer.count(".") != 2:
            return Caller(uuid.UUID(int=0), uuid.UUID(int=0))
        return await super().authenticate(websocket)


class ClosesAfterAnErrorFrame(ChatSessions):
    """Answers a message it cannot take with an error frame, then hangs up."""

    @staticmethod
    async def send_error(websocket: WebSocket, code: str, detail: str) -> None:
        await ChatSessions.send_error(websocket, code, detail)
        if code != "thread_not_found":
            await websocket.close(1008, "bad message")


class ForgetsIdleChats(ChatSessions):
    """A chat silent for a few seconds is forgotten: it stays open and pinged, but its questions are refused."""

    IDLE_SECONDS = 3.0

    def heard(self) -> "weakref.WeakKeyDictionary[WebSocket, float]":
        heard: weakref.WeakKeyDictionary[WebSocket, float] = self.__dict__.setdefault(
            "_heard", weakref.WeakKeyDictionary()
        )
        return heard

    async def serve(self, websocket: WebSocket, caller: Caller) -> None:
        self.heard()[websocket] = asyncio.get_running_loop().time()
        await super().serve(websocket, caller)

    async def handle_frame(self, websocket: WebSocket, user_id: uuid.UUID, frame: str) -> None:
        now = asyncio.get_running_loop().time()
        last, self.heard()[websocket] = self.heard().get(websocket, now), now
        if now - last > self.IDLE_SECONDS:
            await self.send_error(websocket, "session_idle", "This chat was idle; open a new one.")
            return
        await super().handle_frame(websocket, user_id, frame)


class HangsUpOnQuietApps(ChatSessions):
    """Closes a chat whose app has sent nothing for a while as 'going away', before the ping timeout would."""

    QUIET_SECONDS = 2.5

    async def serve(self, websocket: WebSocket, caller: Caller) -> None:
        watchdog = asyncio.create_task(self._hang_up_when_quiet(websocket))
        try:
            await super().serve(websocket, caller)
        finally:
            watchdog.cancel()

    async def handle_frame(self, websocket: WebSocket, user_id: uuid.UUID, frame: str) -> None:
        self.__dict__.setdefault("_heard", weakref.WeakKeyDictionary())[websocket] = asyncio.get_running_loop().time()
        await super().handle_frame(websocket, user_id, frame)

    async def _hang_up_when_quiet(self, websocket: WebSocket) -> None:
        opened = asyncio.get_running_loop().time()
        while True:
            await asyncio.sleep(0.25)
            heard = self.__dict__.get("_heard", {}).get(websocket, opened)
            if asyncio.get_running_loop().time() - heard > self.QUIET_SECONDS:
                with contextlib.suppress(*GONE):
                    await websocket.close(1001, "going away")
                return


class CreatesUnknownThreads(ChatSessions):
    """A question into a thread that does not exist creates that thread for the asker."""

    async def may_write(self, user_id: uuid.UUID, thread_id: uuid.UUID) -> bool:
        await self.chats.database.pool.execute(
            "INSERT INTO threads (id, user_id, title) VALUES ($1, $2, 'New chat') ON CONFLICT (id) DO NOTHING",
            thread_id,
            user_id,
        )
        return await super().may_write(user_id, thread_id)


class IgnoresMalformedResumes(ChatSessions):
    """A resume that names no run is dropped without a word."""

    async def resume(self, websocket: WebSocket, user_id: uuid.UUID, message: dict[str, object]) -> None:
        if "run_id" in message:
            await super().resume(websocket, user_id, message)


class OverstatesMessageSize(ChatSessions):
    def sizes(self) -> dict[str, int]:
        return {**super().sizes(), "max_message_bytes": 2 * self.max_message_bytes}


FAULTS: dict[str, Fault] = {
    "handshake_without_credentials": Fault("the chat handshake accepts no credentials", {"handshake": LetsAnyoneIn}),
    "malformed_bearer_lets_in": Fault(
        "a chat handshake whose bearer is not a JWT opens as nobody", {"handshake": LetsMalformedTokensIn}
    ),
    "error_frame_closes_chat": Fault(
        "a message the platform cannot take is refused, then the chat is closed",
        {"chat_sessions": ClosesAfterAnErrorFrame},
    ),
    "idle_chats_forgotten": Fault(
        "a chat idle for 3 s stays open but refuses its next question", {"chat_sessions": ForgetsIdleChats}
    ),
    "quiet_chats_closed_as_going_away": Fault(
        "a chat whose app sends nothing for 2.5 s is closed with 1001, before any ping goes unanswered",
        {"chat_sessions": HangsUpOnQuietApps},
    ),
    "unknown_thread_created": Fault(
        "a question into a thread that does not exist creates it", {"chat_sessions": CreatesUnknownThreads}
    ),
    "malformed_resume_ignored": Fault(
        "a resume that names no run is dropped without a word", {"chat_sessions": IgnoresMalformedResumes}
    ),
    "bearer_handshake_refused": Fault(
        "a chat handshake with Authorization: Bearer is refused; only tickets open chats",
        {"handshake": TicketsOnly},
    ),
    "policy_overstates_message_size": Fault(
        "the chat policy publishes twice the message size the socket takes",
        {"chat_sessions": OverstatesMessageSize},
    ),
    "frames_of_any_size": Fault("the chat socket takes frames of any size", {}, server={"ws_max_size": 64 * 2**20}),
    "socket_ignores_thread_owner": Fault(
        "anyone can post into any thread over the chat socket", {"chat_sessions": LetsAnyoneWrite}
    ),
    "malformed_frame_ignored": Fault(
        "a frame that is not JSON is dropped silently", {"chat_sessions": IgnoresMalformedFrames}
    ),
    "unknown_type_ignored": Fault(
        "a message of an unknown type is dropped silently", {"chat_sessions": IgnoresUnknownTypes}
    ),
    "empty_question_answered": Fault("an empty question starts a run", {"chat_sessions": AnswersEmptyQuestions}),
    "oversized_message_accepted": Fault("a question over the size limit is taken", {"chat_sessions": TakesAnySize}),
    "pings_not_sent": Fault("idle chats are never pinged", {}, {"ws_ping_interval": None}),
    "unanswered_pings_ignored": Fault("a chat that answers no ping stays open", {}, {"ws_ping_timeout": None}),
}
