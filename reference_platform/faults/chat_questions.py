"""Defects in how the chat socket takes questions: one after another, over a limit, refused, foreign."""

import asyncio
import contextlib
import contextvars
import json
import uuid
import weakref
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from reference_platform.chat.agent import RunEvents
from reference_platform.chat.socket import GONE, ChatSessions, Deliver
from reference_platform.faults.fault import Fault
from reference_platform.identity.bearer import Caller
from reference_platform.limits.rate_limits import Verdict


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


class DropsOverLimitMessages(ChatSessions):
    async def refuse_over_limit(self, websocket: WebSocket, verdict: Verdict) -> None:
        return None


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


class AnswersTheFirstQuestionAgain(ChatSessions):
    """Every question on a chat is answered as if it were the chat's first."""

    async def run(self, websocket: WebSocket, thread_id: uuid.UUID, question: str) -> None:
        first: weakref.WeakKeyDictionary[WebSocket, str] = self.__dict__.setdefault(
            "_first", weakref.WeakKeyDictionary()
        )
        await super().run(websocket, thread_id, first.setdefault(websocket, question))


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


FAULTS: dict[str, Fault] = {
    "chat_limit_never_recovers": Fault(
        "a chat that was over its limit refuses every later question", {"chat_sessions": RefusesForeverOnceLimited}
    ),
    "first_question_answered_again": Fault(
        "every question on a chat is answered as if it were its first",
        {"chat_sessions": AnswersTheFirstQuestionAgain},
    ),
    "refused_question_runs_unseen": Fault(
        "a question over the chat limit is refused, then run anyway without the chat seeing it",
        {"chat_sessions": RunsRefusedQuestionsUnseen},
    ),
    "next_question_gets_refused_answer": Fault(
        "the question after a refused one is answered as if it were the refused one",
        {"chat_sessions": AnswersTheRefusedQuestionNext},
    ),
    "foreign_question_shown_to_owner": Fault(
        "a question posted into another customer's thread is refused, but shown on the owner's open chat",
        {"chat_sessions": ShowsForeignQuestionsToTheOwner},
    ),
    "refused_question_runs_later": Fault(
        "a question over the chat limit is refused, then run anyway a moment later",
        {"chat_sessions": RunsRefusedQuestionsLater},
    ),
    "second_question_fails": Fault(
        "every question after the first on a connection ends with agent_error",
        {"chat_sessions": FailsFollowUpQuestions},
    ),
    "chat_limit_drops_silently": Fault(
        "a chat message over the limit is dropped without a word", {"chat_sessions": DropsOverLimitMessages}
    ),
    "runs_overlap": Fault(
        "a question sent during a run starts a second run at once", {"chat_sessions": RunsConcurrently}
    ),
}
