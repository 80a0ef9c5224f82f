"""The platform's chat socket as an agent transport: a thread, a socket opened with the bearer token, and a
question per run; its events come back in the suite's words. Only this module speaks the socket's words here."""

import time
from typing import Any

from support.agents.run import AgentRun, Refusal, RunEvent
from support.clients.chat_connection import ChatConnection, HandshakeRefused
from support.clients.http_client import PlatformApi
from support.clients.run_record import Closed
from support.clients.servers import chat_url

NAME = "chat-socket"
OFFERS = frozenset({"chat_socket", "run_ids"})  # seq, resume, tickets, close codes; every event names its run
TERMINAL = {"agent_completed", "agent_error"}


def translate(frame: dict[str, Any]) -> RunEvent:
    ids: dict[str, Any] = {"run_id": frame.get("run_id"), "thread_id": frame.get("thread_id")}
    match frame.get("type"):
        case "agent_started":
            return RunEvent("started", frame, **ids)
        case "agent_thinking":
            return RunEvent("thinking", frame, **ids, text=str(frame.get("summary", "")))
        case "tool_executing":
            return RunEvent("tool_opened", frame, **ids, tool_call_id=frame.get("tool_call_id"), tool=frame.get("tool"))
        case "tool_completed":
            result = str(frame.get("result"))
            return RunEvent("tool_result", frame, **ids, tool_call_id=frame.get("tool_call_id"), text=result)
        case "agent_completed":
            return RunEvent("finished", frame, **ids, text=str(frame.get("content", "")), outcome="success")
        case "agent_error":
            return RunEvent("error", frame, **ids, code=frame.get("code"), text=str(frame.get("message", "")))
    return RunEvent("other", frame, **ids)


REASONS = {"thread_not_found": "not_found", "rate_limited": "rate_limited"}


def refused_by(frame: dict[str, Any]) -> Refusal:
    """An error frame instead of a run."""
    retry_after = frame.get("retry_after")
    seconds = None
    if isinstance(retry_after, int | float) and not isinstance(retry_after, bool):
        seconds = float(retry_after)
    return Refusal(REASONS.get(str(frame.get("code")), "other"), f"error frame {frame}", seconds)


class ChatSocketConversation:
    """One chat thread of a signed-in customer, over the socket."""

    def __init__(self, api: PlatformApi, token: str | None, name: str, event_timeout: float) -> None:
        self.api, self.token, self.name, self.event_timeout = api, token, name, event_timeout
        self.thread_id = ""
        self.connection: ChatConnection | None = None

    async def start(self) -> None:
        created = await self.api.create_thread(self.token or "", "Agent conversation")
        assert created.status == 201, f"Expected {self.name}'s conversation to be created: {created}"
        self.thread_id = created.body["id"]

    async def ask(self, question: str, bearer: str | None = None) -> AgentRun:
        run = AgentRun(question, "", self.thread_id)
        if bearer is not None or self.connection is None:
            try:
                connection = await ChatConnection.open(chat_url(self.api.servers.next()), self.name,
                                                       self.api.evidence, bearer=bearer or self.token or None,
                                                       timeout=self.event_timeout)  # fmt: skip
            except HandshakeRefused as refusal:
                reason = "unauthorized" if refusal.status == 401 else "other"
                run.refused = Refusal(reason, f"handshake refused: HTTP {refusal.status} {refusal.body[:300]}")
                return run
            if bearer is not None:
                return await self.exchange(connection, run, close=True)
            self.connection = connection
        return await self.exchange(self.connection, run)

    async def exchange(self, connection: ChatConnection, run: AgentRun, close: bool = False) -> AgentRun:
        try:
            await connection.send({"type": "user_message", "thread_id": self.thread_id, "content": run.question})
            await self.receive(connection, run)
        finally:
            if close:
                await connection.close()
        return run

    async def receive(self, connection: ChatConnection, run: AgentRun) -> None:
        while True:
            arrival = await connection.next_frame(time.monotonic() + self.event_timeout)
            if arrival is None:
                raise AssertionError(
                    f"Expected the next event of {self.name}'s run within {self.event_timeout:g} s; none came. "
                    f"Received:\n{run.received()}"
                )
            frame = arrival.frame
            if isinstance(frame, Closed):
                run.cut_off = True
                return
            if frame.get("type") == "error":
                run.refused = refused_by(frame)
                return
            event = translate(frame)
            run.events.append(event)
            if event.kind == "started" and not run.run_id:
                run.run_id = event.run_id or ""
            if frame.get("type") in TERMINAL:
                return

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()
