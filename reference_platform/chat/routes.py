"""The chat part's endpoints: chat tickets, threads and their messages, the chat socket and its policy, and the
agent protocols' run endpoints."""

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket

from reference_platform.chat.socket import refuse_handshake
from reference_platform.database import DATABASE_OUTAGES
from reference_platform.endpoints import Endpoints, by_method, invalid_fields, json_body, path_id
from reference_platform.limits.rate_limits import WRITES
from reference_platform.problems import Problem, database_unavailable


def thread_not_found() -> Problem:
    """Someone else's thread and no thread at all get the same answer: no existence oracle."""
    return Problem(404, "thread-not-found", "No such thread")


class ChatEndpoints(Endpoints):
    def routes(self) -> list[BaseRoute]:
        return [
            Route("/ws-tickets", self.issue_ticket, methods=["POST"]),
            by_method("/threads", GET=self.list_threads, POST=self.create_thread),
            Route("/threads/{thread_id}", self.delete_thread, methods=["DELETE"]),
            Route("/threads/{thread_id}/messages", self.list_messages),
            Route("/chat/policy", self.chat_policy),
            WebSocketRoute("/chat", self.chat),
            Route("/agents/ag-ui", self.parts.ag_ui_runs.handle, methods=["POST"]),
            Route("/agents/vercel-ai", self.parts.vercel_runs.handle, methods=["POST"]),
        ]

    async def issue_ticket(self, request: Request) -> Response:
        caller = await self.caller(request)
        verdict = await self.parts.quotas.enforce(caller.user_id, WRITES)
        ticket = await self.parts.tickets.issue(caller)
        return JSONResponse(
            {"ticket": ticket, "expires_in": self.parts.tickets.ttl_seconds},
            status_code=201,
            headers={"Cache-Control": "no-store", **verdict.headers()},
        )

    async def list_threads(self, request: Request) -> Response:
        threads = await self.parts.chats.threads_of(await self.user(request))
        return JSONResponse({"threads": [thread.public() for thread in threads]})

    async def create_thread(self, request: Request) -> Response:
        user_id = await self.user(request)
        verdict = await self.parts.quotas.enforce(user_id, WRITES)
        body = await json_body(request) if await request.body() else {}
        title = body.get("title")
        if title is not None and not isinstance(title, str):
            raise invalid_fields("A chat's title is a string.")
        thread = await self.parts.chats.create_thread(user_id, title or "New chat")
        return JSONResponse(thread.public(), status_code=201, headers=verdict.headers())

    async def list_messages(self, request: Request) -> Response:
        user_id, wanted = await self.user(request), path_id(request, "thread_id", thread_not_found())
        if await self.parts.chats.owned_thread(user_id, wanted) is None:
            raise thread_not_found()
        messages = await self.parts.chats.messages_of(wanted)
        return JSONResponse({"messages": [message.public() for message in messages]})

    async def delete_thread(self, request: Request) -> Response:
        user_id, wanted = await self.user(request), path_id(request, "thread_id", thread_not_found())
        if not await self.parts.chats.delete_thread(user_id, wanted):
            raise thread_not_found()
        return Response(status_code=204)

    async def chat_policy(self, request: Request) -> Response:
        sizes, instance = self.parts.chat_sessions.sizes(), str(self.parts.settings.instance_id)
        return JSONResponse({**sizes, **self.parts.settings.chat.public(), "instance_id": instance})

    async def chat(self, websocket: WebSocket) -> None:
        try:
            caller = await self.parts.handshake.authenticate(websocket)
        except Problem as problem:
            await refuse_handshake(websocket, problem)
            return
        except DATABASE_OUTAGES as error:
            await refuse_handshake(websocket, database_unavailable(error))
            return
        await self.parts.chat_sessions.serve(websocket, caller)
