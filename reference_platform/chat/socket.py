"""The chat WebSocket: an authenticated handshake, then questions in and run events out."""

import asyncio
import contextlib
import json
import logging
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable

from starlette.websockets import WebSocket, WebSocketDisconnect

from reference_platform.chat.agent import Agent, RunEvents, RunEventsFactory
from reference_platform.chat.runs import (
    DATABASE_LOST,
    RUN_INTERRUPTED,
    SERVICE_UNAVAILABLE,
    TERMINAL_EVENTS,
    RunFeed,
    RunJournal,
)
from reference_platform.chat.threads import ChatStore
from reference_platform.chat.tools import ToolError, ToolTimedOut
from reference_platform.identity.bearer import BearerAuth, Caller
from reference_platform.identity.tickets import TicketStore
from reference_platform.limits.rate_limits import CHAT, Quotas, Verdict
from reference_platform.problems import Problem, unauthorized

log = logging.getLogger(__name__)


class HandshakeAuthenticator:
    """Browsers present a one-time ticket (`?ticket=`); other clients may send `Authorization: Bearer`."""

    def __init__(self, tickets: TicketStore, bearer: BearerAuth) -> None:
        self.tickets = tickets
        self.bearer = bearer

    async def authenticate(self, websocket: WebSocket) -> Caller:
        ticket = websocket.query_params.get("ticket")
        if ticket is not None:
            owner = await self.tickets.redeem(ticket)
            if owner is None:
                raise unauthorized("The ticket is unknown, already used or expired, or its session ended.")
            return owner
        if "authorization" not in websocket.headers:
            raise unauthorized("The handshake carries no ticket and no bearer token.")
        return await self.bearer.caller(websocket.headers["authorization"])


TRY_AGAIN_LATER = 1013  # RFC 6455 close code: the server cannot serve now, the client may reconnect later
MAX_MESSAGE_BYTES = 16 * 1024  # a larger question gets the error frame message_too_large
MAX_FRAME_BYTES = 2**20  # a larger frame closes the socket with 1009 (message too big)
SESSION_ENDED = 1008  # policy violation: the session behind the socket ended (logout, password change, erasure)
ORPHAN_CHECK_SECONDS = 1.0  # a resumed run with no news this long is checked for a dead instance
RESTARTED = "The server restarted before the answer was ready. Ask again."
GONE = (WebSocketDisconnect, RuntimeError, OSError)  # what sending to a socket the client has left raises


class RunInterrupted(Exception):
    """A run ended with agent_error because a dependency went away; the socket must close."""


class SocketRuns:
    """The runs a chat socket starts and resumes: stored event by event, sent while the client listens."""

    def __init__(
        self,
        chats: ChatStore,
        agent: Agent,
        run_events: RunEventsFactory,
        quotas: Quotas,
        journal: RunJournal,
        feed: RunFeed,
    ) -> None:
        self.chats = chats
        self.agent = agent
        self.run_events = run_events
        self.quotas = quotas
        self.journal = journal
        self.feed = feed
        self.open: dict[uuid.UUID, set[WebSocket]] = defaultdict(set)  # this instance's sockets, by session

    async def resume(self, websocket: WebSocket, user_id: uuid.UUID, message: dict[str, object]) -> None:
        """Replay a run's events after the seq the client saw last, then follow it live until it ends."""
        try:
            run_id, last = uuid.UUID(str(message["run_id"])), message.get("after_seq", 0)
            if not isinstance(last, int) or isinstance(last, bool) or last < 0:
                raise ValueError(last)
        except (ValueError, KeyError):
            await self.send_error(websocket, "invalid_message", "Expected {type: resume, run_id, after_seq}.")
            return
        state = await self.journal.run_of(user_id, run_id)
        if state is None:
            await self.send_error(websocket, "run_not_found", "No such run.")
            return
        if state.expired:
            detail = f"The run's events are kept {self.journal.retention_seconds} s after it ends; ask again."
            await self.send_error(websocket, "run_expired", detail)
            return
        async with self.feed.watching(run_id) as news:
            while True:
                news.clear()
                for event in await self.journal.events_after(run_id, last):
                    try:
                        await websocket.send_json(event)
                    except GONE:
                        return
                    seq = event.get("seq")
                    last = max(last, seq if isinstance(seq, int) else last)
                    if event.get("type") in TERMINAL_EVENTS:
                        return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(news.wait(), ORPHAN_CHECK_SECONDS)
                if not news.is_set():
                    await self.journal.interrupt_orphans(run_id)

    def deliver(self, websocket: WebSocket, run_id: uuid.UUID) -> "Deliver":
        return Deliver(websocket, self.journal, run_id)

    async def run(self, websocket: WebSocket, thread_id: uuid.UUID, question: str) -> None:
        """One run: stored event by event, sent while the client listens, finished whether or not it does."""
        run_id = uuid.uuid4()
        events = self.run_events(self.deliver(websocket, run_id), websocket.close, run_id, thread_id)
        await self.chats.add_message(thread_id, "user", question, run_id)
        await self.journal.begin(run_id, thread_id)
        try:
            await events.started()
            await self.answer(events, thread_id, question)
        except asyncio.CancelledError:
            log.warning("run %s in thread %s: cut short by shutdown", run_id, thread_id)
            await asyncio.shield(self.cut_short(events))
            raise
        finally:
            self.journal.finished(run_id)

    async def cut_short(self, events: RunEvents) -> None:
        """The shutdown grace ran out with the run still going: it ends here, before the server stops."""
        await events.failed(RUN_INTERRUPTED, RESTARTED)

    async def answer(self, events: RunEvents, thread_id: uuid.UUID, question: str) -> None:
        run_id = events.run_id
        try:
            answer = await self.agent.answer(question, events)
            saved = await self.chats.add_message(thread_id, "assistant", answer, run_id)
        except ToolTimedOut as error:
            log.warning("run %s in thread %s: %s", run_id, thread_id, error)
            await events.failed("tool_timeout", str(error))
            return
        except ToolError as error:
            log.info("run %s in thread %s: tool failed: %s", run_id, thread_id, error)
            await events.failed("tool_failed", str(error))
            return
        except Exception as error:
            if await self.chats.database.lost(error):
                log.warning("run %s in thread %s: database unreachable: %r", run_id, thread_id, error)
                await events.failed(SERVICE_UNAVAILABLE, DATABASE_LOST)
                raise RunInterrupted from error
            log.exception("run %s in thread %s failed", run_id, thread_id)
            await events.failed("agent_failed", type(error).__name__)
            return
        log.info("run %s in thread %s completed", run_id, thread_id)
        await events.completed(saved.id, answer)

    @staticmethod
    async def send_error(websocket: WebSocket, code: str, detail: str) -> None:
        await websocket.send_json({"type": "error", "code": code, "detail": detail})


class ChatSessions(SocketRuns):
    """A customer's chat sockets on this instance: their frames, their limits, and their end with her session."""

    max_message_bytes = MAX_MESSAGE_BYTES

    async def end_session(self, session_id: uuid.UUID) -> None:
        """Close this instance's sockets of a session that ended."""
        for websocket in self.open.pop(session_id, set()):
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await websocket.close(SESSION_ENDED, "session ended")

    async def end_sessions_ended(self, ended_among: Callable[[list[uuid.UUID]], Awaitable[list[uuid.UUID]]]) -> None:
        """Close the sockets of every session that ended while nobody could hear it."""
        for session_id in await ended_among(list(self.open)):
            await self.end_session(session_id)

    async def serve(self, websocket: WebSocket, caller: Caller) -> None:
        await websocket.accept()
        self.open[caller.session_id].add(websocket)
        try:
            await self.converse(websocket, caller.user_id)
        finally:
            self.open.get(caller.session_id, set()).discard(websocket)

    async def converse(self, websocket: WebSocket, user_id: uuid.UUID) -> None:
        try:
            while True:
                frame = await websocket.receive_text()
                await self.handle_frame(websocket, user_id, frame)
        except WebSocketDisconnect:
            return
        except RunInterrupted:
            await websocket.close(TRY_AGAIN_LATER, "database unavailable")
        except Exception as error:
            if not await self.chats.database.lost(error):
                raise
            log.warning("chat socket of user %s: database unreachable: %r", user_id, error)
            await self.send_error(websocket, SERVICE_UNAVAILABLE, DATABASE_LOST)
            await websocket.close(TRY_AGAIN_LATER, "database unavailable")

    def sizes(self) -> dict[str, int]:
        """The largest message and frame the socket takes, as the chat policy publishes them."""
        return {"max_message_bytes": self.max_message_bytes, "max_frame_bytes": MAX_FRAME_BYTES}

    async def handle_frame(self, websocket: WebSocket, user_id: uuid.UUID, frame: str) -> None:
        """One client message. Messages are handled in order: one sent during a run waits for the run to end."""
        if len(frame.encode()) > self.max_message_bytes:
            await self.send_error(websocket, "message_too_large", f"A message may hold {self.max_message_bytes} bytes.")
            return
        try:
            message = json.loads(frame)
            kind = message["type"]
        except (ValueError, KeyError, TypeError):
            await self.send_error(websocket, "invalid_message", "Expected a JSON object with a type.")
            return
        if kind == "resume":
            await self.resume(websocket, user_id, message)
            return
        if kind != "user_message":
            await self.send_error(websocket, "unsupported_type", f"Unknown message type {kind!r}.")
            return
        try:
            thread_id, content = uuid.UUID(message["thread_id"]), message["content"]
        except (ValueError, KeyError, TypeError, AttributeError):
            await self.send_error(websocket, "invalid_message", "Expected {type, thread_id, content}.")
            return
        if not isinstance(content, str) or not content.strip():
            await self.send_error(websocket, "empty_message", "The question is empty.")
            return
        if not await self.may_write(user_id, thread_id):
            await self.send_error(websocket, "thread_not_found", "No such thread.")
            return
        verdict = await self.quotas.check(user_id, CHAT)
        if not verdict.allowed:
            await self.refuse_over_limit(websocket, verdict)
            return
        await self.run(websocket, thread_id, content)

    async def refuse_over_limit(self, websocket: WebSocket, verdict: Verdict) -> None:
        """Over the chat limit: an error frame, no run, and the socket stays open."""
        detail = f"The chat limit of {verdict.limit.quota} messages per {verdict.limit.window_seconds} s is used up."
        await websocket.send_json(
            {"type": "error", "code": "rate_limited", "detail": detail, "retry_after": verdict.retry_after}
        )

    async def may_write(self, user_id: uuid.UUID, thread_id: uuid.UUID) -> bool:
        """Only a thread's owner may post into it; anyone else is told it does not exist."""
        return await self.chats.owned_thread(user_id, thread_id) is not None


class Deliver:
    """Sends a run's events: each stored first, then sent while the client is there to read it."""

    def __init__(self, websocket: WebSocket, journal: RunJournal, run_id: uuid.UUID) -> None:
        self.websocket = websocket
        self.journal = journal
        self.run_id = run_id
        self.attached = True

    async def __call__(self, event: dict[str, object]) -> None:
        try:
            await self.journal.record(self.run_id, event)
        except Exception:
            if event.get("code") != SERVICE_UNAVAILABLE:
                raise  # the news that the database is gone cannot be stored first: it is sent all the same
        if not self.attached:
            return
        try:
            await self.websocket.send_json(event)
        except GONE:
            log.info("run %s: the client left; the run goes on, and can be resumed", self.run_id)
            self.attached = False


async def refuse_handshake(websocket: WebSocket, problem: Problem) -> None:
    await websocket.send_denial_response(problem.response())
