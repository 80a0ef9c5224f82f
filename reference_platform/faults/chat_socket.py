"""Defects in the chat: the event stream, the agent, the socket and the stored history."""

import asyncio
import contextlib
import contextvars
import json
import os
import signal
import uuid
import weakref
from datetime import UTC, datetime
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from reference_platform.chat.agent import PlannerAgent, RunEvents, ToolCall, phrase_answer
from reference_platform.chat.runs import SERVICE_UNAVAILABLE, InstanceLease, RunJournal, RunState
from reference_platform.chat.socket import GONE, ChatSessions, Deliver, HandshakeAuthenticator
from reference_platform.chat.threads import ChatStore, Message, Thread
from reference_platform.database import HeldConnection
from reference_platform.identity.bearer import Caller
from reference_platform.identity.sessions import SessionEndings
from reference_platform.limits.rate_limits import Verdict
from reference_platform.problems import Problem, unauthorized


class SkipsThinking(RunEvents):
    async def thinking(self, summary: str) -> None:
        return None


class ThinksTwice(RunEvents):
    async def thinking(self, summary: str) -> None:
        await super().thinking(summary)
        await super().thinking(summary)


class CompletesToolsBeforeStarting(RunEvents):
    async def tool_executing(self, call_id: str, tool: str, arguments: dict[str, Any]) -> None:
        self._held = (call_id, tool, arguments)

    async def tool_completed(self, call_id: str, tool: str, result: dict[str, Any]) -> None:
        await super().tool_completed(call_id, tool, result)
        await super().tool_executing(*self._held)


class TalksAfterTheEnd(RunEvents):
    async def completed(self, message_id: uuid.UUID, content: str) -> None:
        await super().completed(message_id, content)
        await self.thinking("one more thought")


class SkipsASeq(RunEvents):
    async def tool_completed(self, call_id: str, tool: str, result: dict[str, Any]) -> None:
        self.seq += 1
        await super().tool_completed(call_id, tool, result)


class ForgetsRunIdOnThinking(RunEvents):
    async def thinking(self, summary: str) -> None:
        self.seq += 1
        await self._send({"type": "agent_thinking", "thread_id": str(self.thread_id), "seq": self.seq})


class ClosesSilentlyOnFailure(RunEvents):
    async def failed(self, code: str, message: str) -> None:
        await self._close(1000, "")


class ForgetsAnswers(ChatStore):
    async def add_message(self, thread_id: uuid.UUID, role: str, content: str, run_id: uuid.UUID | None) -> Message:
        if role != "assistant":
            return await super().add_message(thread_id, role, content, run_id)
        return Message(uuid.uuid4(), thread_id, role, content, run_id, created_at=datetime.now(UTC))


class MisfilesAnswers(ChatStore):
    async def add_message(self, thread_id: uuid.UUID, role: str, content: str, run_id: uuid.UUID | None) -> Message:
        if role != "assistant":
            return await super().add_message(thread_id, role, content, run_id)
        other_thread = uuid.uuid4()
        await self.database.pool.execute(
            "INSERT INTO threads (id, user_id, title) SELECT $1, user_id, 'misfiled' FROM threads WHERE id = $2",
            other_thread,
            thread_id,
        )
        return await super().add_message(other_thread, role, content, run_id)


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


class TalksAMomentAfterTheEnd(RunEvents):
    async def completed(self, message_id: uuid.UUID, content: str) -> None:
        await super().completed(message_id, content)
        self._late = asyncio.create_task(self._late_thought())

    async def _late_thought(self) -> None:
        await asyncio.sleep(1.0)
        try:
            await self.thinking("an afterthought")
        except Exception:
            return  # the socket may be gone by now


class ErrorsWithoutCode(RunEvents):
    async def failed(self, code: str, message: str) -> None:
        await self.emit("agent_error", message=message)


class FailsFollowUpQuestions(ChatSessions):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.answered: weakref.WeakSet[WebSocket] = weakref.WeakSet()

    async def run(self, websocket: WebSocket, thread_id: uuid.UUID, question: str) -> None:
        if websocket not in self.answered:
            self.answered.add(websocket)
            await super().run(websocket, thread_id, question)
            return
        events = self.run_events(websocket.send_json, websocket.close, uuid.uuid4(), thread_id)
        await events.started()
        await events.failed("agent_failed", "busy")


class LetsAnyoneWrite(ChatSessions):
    async def may_write(self, user_id: uuid.UUID, thread_id: uuid.UUID) -> bool:
        return await self.chats.database.pool.fetchval("SELECT true FROM threads WHERE id = $1", thread_id) or False


class IgnoresTheQuestion(PlannerAgent):
    async def answer(self, question: str, events: RunEvents) -> str:
        await super().answer(question, events)
        return phrase_answer([])


class AnswersSlowly(PlannerAgent):
    async def answer(self, question: str, events: RunEvents) -> str:
        answer = await super().answer(question, events)
        await asyncio.sleep(2.5)
        return answer


class DropsOverLimitMessages(ChatSessions):
    async def refuse_over_limit(self, websocket: WebSocket, verdict: Verdict) -> None:
        return None


class ReadableByAnyone(ChatStore):
    async def owned_thread(self, owner_id: uuid.UUID, thread_id: uuid.UUID) -> Thread | None:
        row = await self.database.pool.fetchrow("SELECT id, title, created_at FROM threads WHERE id = $1", thread_id)
        return Thread(**dict(row)) if row else None


class ListsEveryonesThreads(ChatStore):
    async def threads_of(self, owner_id: uuid.UUID) -> list[Thread]:
        rows = await self.database.pool.fetch(
            "SELECT id, title, created_at FROM threads ORDER BY created_at DESC LIMIT 20"
        )
        return [Thread(**dict(row)) for row in rows]


class DeletableByAnyone(ChatStore):
    async def delete_thread(self, owner_id: uuid.UUID, thread_id: uuid.UUID) -> bool:
        deleted = await self.database.pool.fetchval("DELETE FROM threads WHERE id = $1 RETURNING id", thread_id)
        return deleted is not None


class PretendsToDelete(ChatStore):
    async def delete_thread(self, owner_id: uuid.UUID, thread_id: uuid.UUID) -> bool:
        return await self.owned_thread(owner_id, thread_id) is not None


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


class RunsConcurrently(ChatSessions):
    """Handles each message in a task of its own, so a second question's run overlaps the first.

    Its agent takes 0.3 s per answer, as a real one would, so the overlap shows on every run.
    """

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.agent = AnswersSlowlyBy(self.agent, 0.3)

    async def converse(self, websocket: WebSocket, user_id: uuid.UUID) -> None:
        running: set[asyncio.Task[None]] = set()
        try:
            while True:
                frame = await websocket.receive_text()
                task = asyncio.create_task(self.handle_frame(websocket, user_id, frame))
                running.add(task)
                task.add_done_callback(running.discard)
        except WebSocketDisconnect:
            return


class AnswersSlowlyBy:
    def __init__(self, agent: Any, seconds: float) -> None:
        self.agent = agent
        self.seconds = seconds

    async def answer(self, question: str, events: RunEvents) -> str:
        await asyncio.sleep(self.seconds)
        answer: str = await self.agent.answer(question, events)
        return answer


class NamesAnUnknownMessage(RunEvents):
    async def completed(self, message_id: uuid.UUID, content: str) -> None:
        await super().completed(uuid.uuid4(), content)


class ReplaysTheLastSeenEvent(RunJournal):
    async def events_after(self, run_id: uuid.UUID, seq: int) -> list[dict[str, Any]]:
        return await super().events_after(run_id, max(0, seq - 1))


class SkipsTheFirstMissedEvent(RunJournal):
    async def events_after(self, run_id: uuid.UUID, seq: int) -> list[dict[str, Any]]:
        return await super().events_after(run_id, seq + 1)


class ResumesAnyonesRun(RunJournal):
    async def run_of(self, user_id: uuid.UUID, run_id: uuid.UUID) -> RunState | None:
        owner = await self.database.pool.fetchval(
            "SELECT t.user_id FROM runs r JOIN threads t ON t.id = r.thread_id WHERE r.id = $1", run_id
        )
        return await super().run_of(owner, run_id) if owner else None


class ForgetsFinishedRuns(RunJournal):
    async def run_of(self, user_id: uuid.UUID, run_id: uuid.UUID) -> RunState | None:
        state = await super().run_of(user_id, run_id)
        return RunState(state.thread_id, state.status, state.status != "running") if state else None


class RemembersEventsInMemory(RunJournal):
    """Keeps each run's events in this instance's memory: another instance knows nothing of them."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.memory: dict[uuid.UUID, list[dict[str, Any]]] = {}

    async def record(self, run_id: uuid.UUID, event: dict[str, Any]) -> None:
        await super().record(run_id, event)
        self.memory.setdefault(run_id, []).append(event)

    async def events_after(self, run_id: uuid.UUID, seq: int) -> list[dict[str, Any]]:
        return [event for event in self.memory.get(run_id, []) if event.get("seq", 0) > seq]


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


class WaitsForSlowTools(PlannerAgent):
    async def call(self, call: ToolCall) -> dict[str, Any]:
        return await self.tools[call.tool].run(call.arguments)


class LeavesCutOffRunsRunning(RunJournal):
    async def interrupt_orphans(self, run_id: uuid.UUID | None = None) -> int:
        return 0


class StampsTheLatestRun(RunEvents):
    """Keeps "the current run" in one place for the whole process: right while runs take turns, wrong when
    two overlap, as on a busy day."""

    current: tuple[uuid.UUID, uuid.UUID] | None = None

    async def emit(self, event_type: str, **payload: Any) -> None:
        if event_type == "agent_started":
            StampsTheLatestRun.current = (self.run_id, self.thread_id)
        await asyncio.sleep(0.05)  # the agent's work between events, as long as a model call's first token
        if StampsTheLatestRun.current is not None:
            self.run_id, self.thread_id = StampsTheLatestRun.current
        await super().emit(event_type, **payload)


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


class RefusesForeverOnceLimited(ChatSessions):
    """Once a chat was over its limit, it refuses every later question, however long the customer waited."""

    async def refuse_over_limit(self, websocket: WebSocket, verdict: Verdict) -> None:
        self.__dict__.setdefault("limited", weakref.WeakSet()).add(websocket)
        await super().refuse_over_limit(websocket, verdict)

    async def run(self, websocket: WebSocket, thread_id: uuid.UUID, question: str) -> None:
        if websocket in self.__dict__.get("limited", ()):
            await self.send_error(websocket, "rate_limited", "The chat limit is used up.")
            return
        await super().run(websocket, thread_id, question)


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


class KeepsAnswersInMemory(ChatStore):
    """Answers go to a write-behind cache that is never written out: the history the app reads has them,
    the database never does."""

    async def add_message(self, thread_id: uuid.UUID, role: str, content: str, run_id: uuid.UUID | None) -> Message:
        if role != "assistant":
            return await super().add_message(thread_id, role, content, run_id)
        message = Message(uuid.uuid4(), thread_id, role, content, run_id, created_at=datetime.now(UTC))
        self.__dict__.setdefault("unwritten", []).append(message)
        return message

    async def messages_of(self, thread_id: uuid.UUID) -> list[Message]:
        cached = [message for message in self.__dict__.get("unwritten", []) if message.thread_id == thread_id]
        return [*await super().messages_of(thread_id), *cached]


class ClearsMessagesBeforeCheckingTheOwner(ChatStore):
    async def delete_thread(self, owner_id: uuid.UUID, thread_id: uuid.UUID) -> bool:
        await self.database.pool.execute("DELETE FROM messages WHERE thread_id = $1", thread_id)
        return await super().delete_thread(owner_id, thread_id)


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


class AnswersTheFirstQuestionAgain(ChatSessions):
    """Every question on a chat is answered as if it were the chat's first."""

    async def run(self, websocket: WebSocket, thread_id: uuid.UUID, question: str) -> None:
        first: weakref.WeakKeyDictionary[WebSocket, str] = self.__dict__.setdefault(
            "_first", weakref.WeakKeyDictionary()
        )
        await super().run(websocket, thread_id, first.setdefault(websocket, question))


class SaysWhoseThreadItIs(ChatStore):
    """Refuses another customer's chat with the same 404, but a detail that tells it exists."""

    async def _refuse_if_foreign(self, owner_id: uuid.UUID, thread_id: uuid.UUID) -> None:
        if await self.database.pool.fetchval(
            "SELECT true FROM threads WHERE id = $1 AND user_id <> $2", thread_id, owner_id
        ):
            raise Problem(404, "thread-not-found", "No such thread", "It belongs to another customer.")

    async def owned_thread(self, owner_id: uuid.UUID, thread_id: uuid.UUID) -> Thread | None:
        await self._refuse_if_foreign(owner_id, thread_id)
        return await super().owned_thread(owner_id, thread_id)

    async def delete_thread(self, owner_id: uuid.UUID, thread_id: uuid.UUID) -> bool:
        await self._refuse_if_foreign(owner_id, thread_id)
        return await super().delete_thread(owner_id, thread_id)


class RunsRefusedQuestionsLater(ChatSessions):
    """A question over the chat limit gets its rate_limited frame, and is then run anyway, a moment later."""

    def lock(self, websocket: WebSocket) -> asyncio.Lock:
        locks: weakref.WeakKeyDictionary[WebSocket, asyncio.Lock] = self.__dict__.setdefault(
            "_locks", weakref.WeakKeyDictionary()
        )
        return locks.setdefault(websocket, asyncio.Lock())

    async def handle_frame(self, websocket: WebSocket, user_id: uuid.UUID, frame: str) -> None:
        async with self.lock(websocket):
            await super().handle_frame(websocket, user_id, frame)
        with contextlib.suppress(ValueError, KeyError, TypeError, AttributeError):
            message = json.loads(frame)
            if self.__dict__.pop("_refused", False):
                task = asyncio.create_task(self._later(websocket, uuid.UUID(message["thread_id"]), message["content"]))
                self.__dict__.setdefault("_later", set()).add(task)

    async def refuse_over_limit(self, websocket: WebSocket, verdict: Verdict) -> None:
        await super().refuse_over_limit(websocket, verdict)
        self.__dict__["_refused"] = True

    async def _later(self, websocket: WebSocket, thread_id: uuid.UUID, question: str) -> None:
        await asyncio.sleep(0.6)  # after the refusal was read (0.3 s settle), within the 1.5 s watch
        async with self.lock(websocket):
            with contextlib.suppress(*GONE):
                await self.run(websocket, thread_id, question)


HIDDEN_RUN: contextvars.ContextVar[bool] = contextvars.ContextVar("hidden_run", default=False)


class RunsRefusedQuestionsUnseen(RunsRefusedQuestionsLater):
    """A question over the chat limit is refused, then run anyway, its events kept but never sent to the chat."""

    def deliver(self, websocket: WebSocket, run_id: uuid.UUID) -> Deliver:
        delivery = super().deliver(websocket, run_id)
        delivery.attached = not HIDDEN_RUN.get()
        return delivery

    async def _later(self, websocket: WebSocket, thread_id: uuid.UUID, question: str) -> None:
        HIDDEN_RUN.set(True)
        await super()._later(websocket, thread_id, question)


class AnswersTheRefusedQuestionNext(ChatSessions):
    """The question after one refused over the chat limit is answered as if it were the refused one."""

    def _by_socket(self, name: str) -> "weakref.WeakKeyDictionary[WebSocket, str]":
        found: weakref.WeakKeyDictionary[WebSocket, str] = self.__dict__.setdefault(name, weakref.WeakKeyDictionary())
        return found

    async def handle_frame(self, websocket: WebSocket, user_id: uuid.UUID, frame: str) -> None:
        self._by_socket("_frames")[websocket] = frame
        await super().handle_frame(websocket, user_id, frame)

    async def refuse_over_limit(self, websocket: WebSocket, verdict: Verdict) -> None:
        await super().refuse_over_limit(websocket, verdict)
        self._by_socket("_refused")[websocket] = json.loads(self._by_socket("_frames")[websocket])["content"]

    async def run(self, websocket: WebSocket, thread_id: uuid.UUID, question: str) -> None:
        await super().run(websocket, thread_id, self._by_socket("_refused").pop(websocket, question))


class ShowsForeignQuestionsToTheOwner(ChatSessions):
    """A question posted into another customer's thread is refused, but answered live on the owner's open
    chats (nothing stored)."""

    async def serve(self, websocket: WebSocket, caller: Caller) -> None:
        sockets: dict[uuid.UUID, set[WebSocket]] = self.__dict__.setdefault("_by_user", {})
        sockets.setdefault(caller.user_id, set()).add(websocket)
        try:
            await super().serve(websocket, caller)
        finally:
            sockets[caller.user_id].discard(websocket)

    async def may_write(self, user_id: uuid.UUID, thread_id: uuid.UUID) -> bool:
        allowed = await super().may_write(user_id, thread_id)
        owner = await self.chats.database.pool.fetchval("SELECT user_id FROM threads WHERE id = $1", thread_id)
        if not allowed and owner is not None:
            task = asyncio.create_task(self._show_owner(owner, thread_id))
            self.__dict__.setdefault("_shown", set()).add(task)
        return allowed

    async def _show_owner(self, owner: uuid.UUID, thread_id: uuid.UUID) -> None:
        for websocket in list(self.__dict__["_by_user"].get(owner, ())):
            events = self.run_events(websocket.send_json, websocket.close, uuid.uuid4(), thread_id)
            with contextlib.suppress(*GONE):
                await events.started()
                await events.completed(uuid.uuid4(), "A question nobody here asked.")


class MovesDeletedChatsToTrash(ChatStore):
    """Deleting a chat moves its messages and runs into a hidden chat of the same customer."""

    async def delete_thread(self, owner_id: uuid.UUID, thread_id: uuid.UUID) -> bool:
        if await self.owned_thread(owner_id, thread_id) is None:
            return False
        trash = uuid.uuid4()
        async with self.database.pool.acquire() as connection, connection.transaction():
            await connection.execute(
                "INSERT INTO threads (id, user_id, title) VALUES ($1, $2, 'trash')", trash, owner_id
            )
            await connection.execute("UPDATE messages SET thread_id = $1 WHERE thread_id = $2", trash, thread_id)
            await connection.execute("UPDATE runs SET thread_id = $1 WHERE thread_id = $2", trash, thread_id)
        return await super().delete_thread(owner_id, thread_id)


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


class LeaseTakenOnce(InstanceLease):
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


class ClearsTheRunJournalBeforeCheckingTheOwner(ChatStore):
    """Deleting a chat first drops the journals of its runs, whoever asks, then checks the owner."""

    async def delete_thread(self, owner_id: uuid.UUID, thread_id: uuid.UUID) -> bool:
        await self.database.pool.execute(
            "DELETE FROM run_events WHERE run_id IN (SELECT id FROM runs WHERE thread_id = $1)", thread_id
        )
        return await super().delete_thread(owner_id, thread_id)


class CreatesUnknownThreads(ChatSessions):
    """A question into a thread that does not exist creates that thread for the asker."""

    async def may_write(self, user_id: uuid.UUID, thread_id: uuid.UUID) -> bool:
        await self.chats.database.pool.execute(
            "INSERT INTO threads (id, user_id, title) VALUES ($1, $2, 'New chat') ON CONFLICT (id) DO NOTHING",
            thread_id,
            user_id,
        )
        return await super().may_write(user_id, thread_id)


class KeepsRunsForever(RunJournal):
    """A run never passes its retention: it can be resumed whenever."""

    async def run_of(self, user_id: uuid.UUID, run_id: uuid.UUID) -> RunState | None:
        state = await super().run_of(user_id, run_id)
        return RunState(state.thread_id, state.status, expired=False) if state else None


class IgnoresMalformedResumes(ChatSessions):
    """A resume that names no run is dropped without a word."""

    async def resume(self, websocket: WebSocket, user_id: uuid.UUID, message: dict[str, object]) -> None:
        if "run_id" in message:
            await super().resume(websocket, user_id, message)


class EndsDeadRunsOnlyWhenResumed(RunJournal):
    """The runs of a dead server are ended only when someone resumes one: never at start or by housekeeping."""

    async def interrupt_orphans(self, run_id: uuid.UUID | None = None) -> int:
        return 0 if run_id is None else await super().interrupt_orphans(run_id)


class LeavesCutShortRunsRunning(ChatSessions):
    """A run the shutdown grace cuts short is left running, for whoever starts next to find."""

    async def cut_short(self, events: RunEvents) -> None:
        return None


class LeavesUnstoredEndingsRunning(RunJournal):
    """Back from an outage, the runs whose ending could not be stored are left running in the journal."""

    async def end_unfinished(self) -> None:
        return None


class OverstatesMessageSize(ChatSessions):
    def sizes(self) -> dict[str, int]:
        return {**super().sizes(), "max_message_bytes": 2 * self.max_message_bytes}
