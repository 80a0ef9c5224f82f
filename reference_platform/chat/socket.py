"""The chat WebSocket: an authenticated handshake, then questions in and run events out."""

import json
import logging
import uuid

from starlette.websockets import WebSocket, WebSocketDisconnect

from reference_platform.chat.agent import Agent, RunEventsFactory
from reference_platform.chat.threads import ChatStore
from reference_platform.chat.tools import ToolError
from reference_platform.identity.bearer import BearerAuth
from reference_platform.identity.tickets import TicketStore
from reference_platform.problems import Problem, unauthorized

log = logging.getLogger(__name__)


class HandshakeAuthenticator:
    """Browsers present a one-time ticket (`?ticket=`); other clients may send `Authorization: Bearer`."""

    def __init__(self, tickets: TicketStore, bearer: BearerAuth) -> None:
        self.tickets = tickets
        self.bearer = bearer

    async def authenticate(self, websocket: WebSocket) -> uuid.UUID:
        ticket = websocket.query_params.get("ticket")
        if ticket is not None:
            owner = await self.tickets.redeem(ticket)
            if owner is None:
                raise unauthorized("The ticket is unknown, already used or expired.")
            return owner
        if "authorization" not in websocket.headers:
            raise unauthorized("The handshake carries no ticket and no bearer token.")
        return await self.bearer.user_for(websocket.headers["authorization"])


class ChatSessions:
    def __init__(self, chats: ChatStore, agent: Agent, run_events: RunEventsFactory) -> None:
        self.chats = chats
        self.agent = agent
        self.run_events = run_events

    async def serve(self, websocket: WebSocket, user_id: uuid.UUID) -> None:
        await websocket.accept()
        try:
            while True:
                frame = await websocket.receive_text()
                await self.handle_frame(websocket, user_id, frame)
        except WebSocketDisconnect:
            return

    async def handle_frame(self, websocket: WebSocket, user_id: uuid.UUID, frame: str) -> None:
        try:
            message = json.loads(frame)
            kind, thread_id, content = message["type"], uuid.UUID(message["thread_id"]), str(message["content"])
        except (ValueError, KeyError, TypeError):
            await self.send_error(websocket, "invalid_message", "Expected {type, thread_id, content} as JSON.")
            return
        if kind != "user_message":
            await self.send_error(websocket, "unsupported_type", f"Unknown message type {kind!r}.")
            return
        if not await self.may_write(user_id, thread_id):
            await self.send_error(websocket, "thread_not_found", "No such thread.")
            return
        await self.run(websocket, thread_id, content)

    async def may_write(self, user_id: uuid.UUID, thread_id: uuid.UUID) -> bool:
        """Only a thread's owner may post into it; anyone else is told it does not exist."""
        return await self.chats.owned_thread(user_id, thread_id) is not None

    async def run(self, websocket: WebSocket, thread_id: uuid.UUID, question: str) -> None:
        run_id = uuid.uuid4()
        events = self.run_events(websocket.send_json, websocket.close, run_id, thread_id)
        await self.chats.add_message(thread_id, "user", question, run_id)
        await events.started()
        try:
            answer = await self.agent.answer(question, events)
            saved = await self.chats.add_message(thread_id, "assistant", answer, run_id)
        except ToolError as error:
            await events.failed("tool_failed", str(error))
            return
        except Exception as error:
            log.exception("agent run %s failed", run_id)
            await events.failed("agent_failed", type(error).__name__)
            return
        await events.completed(saved.id, answer)

    @staticmethod
    async def send_error(websocket: WebSocket, code: str, detail: str) -> None:
        await websocket.send_json({"type": "error", "code": code, "detail": detail})


async def refuse_handshake(websocket: WebSocket, problem: Problem) -> None:
    await websocket.send_denial_response(problem.response())
