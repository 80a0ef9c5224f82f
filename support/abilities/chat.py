"""The chat socket: opening a chat (thread, ticket, handshake), sending into it, and how it closes."""

import json
import time
from typing import Any

from support.abilities.persona import Persona
from support.abilities.run_log import RunLog
from support.abilities.session import Session
from support.clients.chat_connection import ChatConnection, HandshakeRefused
from support.clients.http_client import ApiResponse, expect_status
from support.clients.run_record import Closed, RunRecord
from support.clients.servers import chat_url
from support.clients.silent_chat import SilentChat


class Chat:
    def __init__(self, persona: Persona, session: Session, log: RunLog) -> None:
        self.persona, self.session, self.log = persona, session, log
        self.ticket_answer: ApiResponse | None = None  # what the platform said when it last issued her a ticket
        self.thread_id: str | None = None
        self.connection: ChatConnection | None = None
        self.handshake_refusal: HandshakeRefused | None = None
        self.silent_chat: SilentChat | None = None
        self.last_thread_asked: str | None = None  # the chat her latest question named, hers or not

    @property
    def chat_url(self) -> str:
        """A chat socket opens on the instance whose turn it is, as behind a load balancer."""
        return chat_url(self.persona.api.servers.next())

    @property
    def open_connection(self) -> ChatConnection:
        assert self.connection is not None, f"{self.persona.name} has no open chat"
        return self.connection

    async def open_chat(self) -> None:
        await self.try_open_chat()
        assert self.connection is not None, f"{self.persona.name} could not open her chat: {self.handshake_refusal}"

    async def try_open_chat(self, with_bearer: bool = False) -> None:
        """A new chat, and the handshake into it with a ticket, as a browser does, or with her access token."""
        persona = self.persona
        created = await persona.api.create_thread(self.session.token, "First chat")
        self.thread_id = expect_status(created, 201, f"{persona.name} opens a chat").body["id"]
        if with_bearer:
            await self.try_connect(bearer=self.session.token)
        else:
            await self.try_connect(ticket=await self.chat_ticket())

    async def try_connect(self, ticket: str | None = None, bearer: str | None = None) -> None:
        """Attempt a chat handshake; a refusal is kept for the steps to judge."""
        persona = self.persona
        try:
            self.connection = await ChatConnection.open(
                self.chat_url,
                persona.name,
                persona.evidence,
                ticket=ticket,
                bearer=bearer,
                timeout=persona.event_timeout,
            )
        except HandshakeRefused as refusal:
            self.handshake_refusal = refusal

    async def chat_ticket(self) -> str:
        ticket, _ = await self.chat_ticket_and_lifetime()
        return ticket

    async def chat_ticket_and_lifetime(self) -> tuple[str, float]:
        """A new chat ticket, and the seconds it works for, as the platform said."""
        persona = self.persona
        issued = expect_status(
            await persona.api.issue_ticket(self.session.token), 201, f"{persona.name} asks for a chat ticket"
        )
        ticket: str = issued.body["ticket"]
        persona.evidence.redactor.remember(ticket)
        self.ticket_answer = issued
        return ticket, float(issued.body["expires_in"])

    async def ask(self, question: str, thread_id: str | None = None) -> None:
        """Send a question into her chat, or into the thread named; her runs await its answer."""
        assert self.connection is not None and self.thread_id, f"{self.persona.name} has no open chat"
        asked_at, self.last_thread_asked = time.monotonic(), thread_id or self.thread_id
        await self.connection.send({"type": "user_message", "thread_id": self.last_thread_asked, "content": question})
        self.log.await_answer(question, asked_at)

    async def ask_sized(self, question: str, frame_bytes: int) -> None:
        """Ask `question`, padded with spaces so that its whole message frame is `frame_bytes` bytes of JSON."""
        assert self.thread_id, f"{self.persona.name} has no open chat"
        unpadded = {"type": "user_message", "thread_id": self.thread_id, "content": question}
        await self.ask(question + " " * (frame_bytes - len(json.dumps(unpadded).encode())))

    async def send_raw(self, text: str, what: str) -> None:
        """Send the chat a frame as it is, not a question: `what` names it in the evidence."""
        asked_at = time.monotonic()
        await self.open_connection.send_text(text)
        self.log.await_answer(what, asked_at)

    async def drop_connection(self) -> None:
        """Her connection is lost mid-run, without a close handshake (a phone leaving Wi-Fi)."""
        await self.open_connection.drop()

    async def close_app(self) -> None:
        await self.open_connection.close()

    async def follow_until_closed(self, seconds: float) -> Closed | None:
        """Listen to her chat until it closes (within `seconds`); events on the way join the latest run."""
        runs = self.log.seen
        run = runs[-1] if runs else RunRecord("(no question)")
        deadline = time.monotonic() + seconds
        while (arrival := await self.open_connection.next_frame(deadline)) is not None:
            if isinstance(arrival.frame, Closed):
                run.closed = arrival.frame
                return arrival.frame
            run.events.append(arrival.frame)
            run.arrivals.append(arrival.at)
        return None

    async def wait_for_close(self, seconds: float) -> Closed | None:
        """How the platform closed her chat, if it did within `seconds`; events on the way are ignored."""
        deadline = time.monotonic() + seconds
        while (arrival := await self.open_connection.next_frame(deadline)) is not None:
            if isinstance(arrival.frame, Closed):
                return arrival.frame
        return None

    async def open_silent_chat(self) -> SilentChat:
        """Open a chat from an app that then answers nothing, not even pings."""
        persona = self.persona
        self.silent_chat = await SilentChat.open(
            self.chat_url,
            await self.chat_ticket(),
            f"{persona.name}'s silent app",
            persona.evidence,
            persona.event_timeout,
        )
        return self.silent_chat

    async def chat_history(self) -> list[dict[str, Any]]:
        persona = self.persona
        assert self.thread_id, f"{persona.name} has no chat"
        listed = await persona.api.list_messages(self.session.token, self.thread_id)
        messages: list[dict[str, Any]] = expect_status(listed, 200, f"{persona.name} reads her chat history").body[
            "messages"
        ]
        return messages

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()
        if self.silent_chat is not None:
            self.silent_chat.close()
