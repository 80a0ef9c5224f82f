"""A run per POST, streamed as server-sent events by a protocol's encoder (AG-UI, the Vercel AI stream).

The same run machinery as the chat socket (RunEvents, the journal, the chat store, the quotas) feeds one more
sink: the encoder turns each run event into the protocol's and the answer streams them. The app holds the
conversation and sends all of it; the platform keeps the question and the answer in the thread, which a new
thread id creates for the caller, and another customer's is answered as not found.
"""

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from reference_platform.chat.agent import RunEvents, RunEventsFactory
from reference_platform.chat.conversation import Answer, Conversation, ConversationAgent
from reference_platform.chat.runs import TERMINAL_EVENTS, RunJournal
from reference_platform.chat.threads import ChatStore
from reference_platform.chat.tools import ToolError, ToolTimedOut
from reference_platform.identity.bearer import BearerAuth
from reference_platform.limits.rate_limits import CHAT, Quotas
from reference_platform.problems import Problem

log = logging.getLogger(__name__)
Wire = dict[str, Any]


class Encoder(Protocol):
    def encode(self, event: dict[str, Any]) -> list[Wire]: ...

    def closing(self) -> list[str]: ...


@dataclass(frozen=True)
class Asked:
    """What one POST asks for, read by the protocol: the thread, the question, the conversation around it, and
    the encoder for the answer."""

    thread: str
    question: str
    conversation: Conversation
    encoder: Encoder


class StreamedRuns:
    headers: dict[str, str] = {}  # noqa: RUF012 -- the protocol's own answer headers; never mutated

    def __init__(
        self, chats: ChatStore, agent: ConversationAgent, run_events: RunEventsFactory, quotas: Quotas,
        journal: RunJournal, bearer: BearerAuth, encoder: Any,
    ) -> None:  # fmt: skip
        self.chats, self.agent, self.run_events, self.quotas = chats, agent, run_events, quotas
        self.journal, self.bearer, self.encoder = journal, bearer, encoder
        self.running: set[asyncio.Task[None]] = set()

    def read(self, body: bytes) -> Asked:
        raise NotImplementedError

    async def handle(self, request: Request) -> Response:
        caller = await self.bearer.caller(request.headers.get("authorization", ""))
        asked = self.read(await request.body())
        thread_id = await self.thread_for(caller.user_id, asked.thread)
        await self.count_against_limit(caller.user_id)
        return StreamingResponse(
            self.stream(asked.encoder, thread_id, asked.question, asked.conversation),
            media_type="text/event-stream",
            headers=self.headers,
        )

    async def count_against_limit(self, user_id: uuid.UUID) -> None:
        """The question counts against her chat limit; over it, a 429 that says when to retry, and no run."""
        await self.quotas.enforce(user_id, CHAT)

    async def keep_answer(self, thread_id: uuid.UUID, text: str, run_id: uuid.UUID) -> str:
        """The answer joins the thread's history; its message id."""
        return str((await self.chats.add_message(thread_id, "assistant", text, run_id)).id)

    async def thread_for(self, user_id: uuid.UUID, thread: str) -> uuid.UUID:
        """The caller's thread; a new id makes one for her; anyone else's is answered as if it did not exist."""
        try:
            thread_id = uuid.UUID(thread)
        except ValueError:
            raise Problem(422, "invalid-thread-id", "Thread ids on this platform are UUIDs") from None
        await self.chats.claim_thread(user_id, thread_id, "Agent conversation")
        if await self.chats.owned_thread(user_id, thread_id) is None:
            raise Problem(404, "thread-not-found", "No such thread")
        return thread_id

    async def stream(
        self, encoder: Encoder, thread_id: uuid.UUID, question: str, conversation: Conversation
    ) -> AsyncIterator[str]:
        sent: asyncio.Queue[Wire | None] = asyncio.Queue()
        run_id = uuid.uuid4()

        async def deliver(event: dict[str, Any]) -> None:
            await self.journal.record(run_id, event)
            for encoded in encoder.encode(event):
                await sent.put(encoded)
            if event["type"] in TERMINAL_EVENTS:
                await sent.put(None)

        async def closing(code: int, reason: str) -> None:
            await sent.put(None)

        events = self.run_events(deliver, closing, run_id, thread_id)
        task = asyncio.create_task(self.run(events, question, conversation))
        self.running.add(task)  # the run goes on, and is recorded, if the app stops listening
        task.add_done_callback(self.running.discard)
        while (encoded := await sent.get()) is not None:
            yield f"data: {json.dumps(encoded)}\n\n"
        for line in encoder.closing():
            yield f"data: {line}\n\n"

    async def run(self, events: RunEvents, question: str, conversation: Conversation) -> None:
        run_id, thread_id = events.run_id, events.thread_id
        try:
            await self.chats.add_message(thread_id, "user", question, run_id)
            await self.journal.begin(run_id, thread_id)
            await events.started()
            answer = await self.answer(events, question, conversation)
            if answer is None:
                return
            message_id = await self.keep_answer(thread_id, answer.text, run_id)
            await events.emit(
                "agent_completed", message_id=message_id, content=answer.text, waiting_on=answer.waiting_on
            )
        except Exception:
            log.exception("streamed run %s in thread %s failed", run_id, thread_id)
            await events.failed("agent_failed", "The run failed.")
        finally:
            self.journal.finished(run_id)

    async def answer(self, events: RunEvents, question: str, conversation: Conversation) -> Answer | None:
        try:
            return await self.agent.answer(question, events, conversation)
        except ToolTimedOut as error:
            await events.failed("tool_timeout", str(error))
        except ToolError as error:
            await events.failed("tool_failed", str(error))
        return None
