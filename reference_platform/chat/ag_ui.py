"""POST /agents/ag-ui: a run of the platform's agent, streamed as AG-UI events.

The same run machinery as the chat socket (RunEvents, the journal, the chat store, the quotas) feeds one more
sink: the encoder turns each run event into AG-UI's and the answer streams them as server-sent events. The
app holds the conversation and sends all of it; the platform keeps the question and the answer in the thread,
which a new thread id creates for the caller and another customer's is answered as not found.
"""

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

from ag_ui.core import (
    BaseEvent,
    ReasoningEndEvent,
    ReasoningMessageContentEvent,
    ReasoningMessageEndEvent,
    ReasoningMessageStartEvent,
    ReasoningStartEvent,
    RunAgentInput,
    RunErrorEvent,
    RunFinishedEvent,
    RunStartedEvent,
    TextMessageContentEvent,
    TextMessageEndEvent,
    TextMessageStartEvent,
    ToolCallArgsEvent,
    ToolCallEndEvent,
    ToolCallResultEvent,
    ToolCallStartEvent,
)
from pydantic import ValidationError
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


def wire(event: BaseEvent) -> Wire:
    return event.model_dump(mode="json", by_alias=True, exclude_none=True)


class AgUiEncoder:
    """The platform's run events in AG-UI's words, for one run the app named by its thread and run ids."""

    def __init__(self, thread_id: str, run_id: str) -> None:
        self.thread_id, self.run_id = thread_id, run_id

    def encode(self, event: dict[str, Any]) -> list[Wire]:
        handler = getattr(self, event["type"], None)
        return handler(event) if handler is not None else []

    def agent_started(self, event: dict[str, Any]) -> list[Wire]:
        return [wire(RunStartedEvent(thread_id=self.thread_id, run_id=self.run_id))]

    def agent_thinking(self, event: dict[str, Any]) -> list[Wire]:
        thought = f"thought-{event['seq']}"
        return [
            wire(ReasoningStartEvent(message_id=thought)),
            wire(ReasoningMessageStartEvent(message_id=thought, role="reasoning")),
            wire(ReasoningMessageContentEvent(message_id=thought, delta=event["summary"])),
            wire(ReasoningMessageEndEvent(message_id=thought)),
            wire(ReasoningEndEvent(message_id=thought)),
        ]

    def tool_executing(self, event: dict[str, Any]) -> list[Wire]:
        call = event["tool_call_id"]
        return [
            wire(ToolCallStartEvent(tool_call_id=call, tool_call_name=event["tool"])),
            wire(ToolCallArgsEvent(tool_call_id=call, delta=json.dumps(event["arguments"]))),
            wire(ToolCallEndEvent(tool_call_id=call)),
        ]

    def tool_completed(self, event: dict[str, Any]) -> list[Wire]:
        result = json.dumps(event["result"])
        message_id = f"result-{event['tool_call_id']}"
        return [wire(ToolCallResultEvent(message_id=message_id, tool_call_id=event["tool_call_id"], content=result))]

    def agent_completed(self, event: dict[str, Any]) -> list[Wire]:
        text, message = [], event["message_id"]
        if event["content"]:
            text = [
                wire(TextMessageStartEvent(message_id=message, role="assistant")),
                wire(TextMessageContentEvent(message_id=message, delta=event["content"])),
                wire(TextMessageEndEvent(message_id=message)),
            ]
        finished = wire(RunFinishedEvent(thread_id=self.thread_id, run_id=self.run_id))
        finished["outcome"] = {"type": "success"}
        if event.get("waiting_on"):
            finished["outcome"]["pendingToolCallIds"] = event["waiting_on"]
        return [*text, finished]

    def agent_error(self, event: dict[str, Any]) -> list[Wire]:
        return [wire(RunErrorEvent(message=event["message"], code=event["code"]))]


def read_input(body: bytes) -> RunAgentInput:
    try:
        return RunAgentInput.model_validate_json(body)
    except ValidationError as error:
        raise Problem(422, "invalid-run-input", "The body is not an AG-UI RunAgentInput", str(error)[:500]) from None


def conversation_of(run_input: RunAgentInput) -> tuple[str, Conversation]:
    """The question (the app's last user message) and what the conversation holds around it."""
    messages = [message.model_dump(by_alias=True) for message in run_input.messages]
    asked = [i for i, message in enumerate(messages) if message["role"] == "user"]
    if not asked or not isinstance(messages[asked[-1]].get("content"), str):
        raise Problem(422, "no-question", "The conversation ends with no question from the app")
    last = asked[-1]
    earlier = [str(m.get("content")) for m in messages[:last] if isinstance(m.get("content"), str)]
    results = [str(m.get("content")) for m in messages[last:] if m["role"] == "tool"]
    tools = frozenset(tool.name for tool in run_input.tools or [])
    return str(messages[last]["content"]), Conversation(earlier, tools, results)


class AgUiRuns:
    def __init__(
        self, chats: ChatStore, agent: ConversationAgent, run_events: RunEventsFactory, quotas: Quotas,
        journal: RunJournal, bearer: BearerAuth, encoder: type[AgUiEncoder] = AgUiEncoder,
    ) -> None:  # fmt: skip
        self.chats, self.agent, self.run_events, self.quotas = chats, agent, run_events, quotas
        self.journal, self.bearer, self.encoder = journal, bearer, encoder
        self.running: set[asyncio.Task[None]] = set()

    async def handle(self, request: Request) -> Response:
        caller = await self.bearer.caller(request.headers.get("authorization", ""))
        run_input = read_input(await request.body())
        question, conversation = conversation_of(run_input)
        thread_id = await self.thread_for(caller.user_id, run_input.thread_id)
        await self.count_against_limit(caller.user_id)
        encoder = self.encoder(run_input.thread_id, run_input.run_id)
        return StreamingResponse(
            self.stream(encoder, thread_id, question, conversation), media_type="text/event-stream"
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
        self, encoder: AgUiEncoder, thread_id: uuid.UUID, question: str, conversation: Conversation
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
            log.exception("AG-UI run %s in thread %s failed", run_id, thread_id)
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
