"""The app factory: builds the platform from explicit parts."""

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from asgi_correlation_id import CorrelationIdMiddleware
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp
from starlette.websockets import WebSocket

from reference_platform.chat.agent import Agent, Planner, PlannerAgent, RunEvents, RunEventsFactory
from reference_platform.chat.socket import ChatSessions, HandshakeAuthenticator, refuse_handshake
from reference_platform.chat.threads import ChatStore
from reference_platform.chat.tools import Calculator, CostEstimator
from reference_platform.database import DATABASE_OUTAGES, Database
from reference_platform.identity.accounts import Accounts, RefreshTokenStore, UserStore
from reference_platform.identity.bearer import BearerAuth
from reference_platform.identity.passwords import PasswordHashing, PasswordPolicy
from reference_platform.identity.tickets import TicketStore
from reference_platform.identity.tokens import AccessTokens
from reference_platform.problems import (
    Problem,
    database_unavailable,
    http_error_handler,
    internal_error_handler,
    outage_handler,
    problem_handler,
)
from reference_platform.settings import Settings
from reference_platform.version import platform_version

REQUEST_ID_HEADER = "X-Request-Id"
READINESS_TIMEOUT = 2.0


@dataclass
class Parts:
    """Everything the application is made of. Tests swap a part for a faulty one."""

    settings: Settings
    database: Database
    access_tokens: AccessTokens
    users: UserStore
    accounts: Accounts
    chats: ChatStore
    tickets: TicketStore
    agent: Agent
    sessions: ChatSessions
    bearer: BearerAuth
    handshake: HandshakeAuthenticator


@dataclass(frozen=True)
class Blueprint:
    """Which class builds each swappable part. Faults are blueprints with one class replaced."""

    access_tokens: type[AccessTokens] = AccessTokens
    users: type[UserStore] = UserStore
    accounts: type[Accounts] = Accounts
    password_policy: type[PasswordPolicy] = PasswordPolicy
    chats: type[ChatStore] = ChatStore
    agent: type[PlannerAgent] = PlannerAgent
    run_events: RunEventsFactory = RunEvents
    sessions: type[ChatSessions] = ChatSessions
    handshake: type[HandshakeAuthenticator] = HandshakeAuthenticator


def assemble(settings: Settings, blueprint: Blueprint = Blueprint()) -> Parts:
    database = Database(settings.database_url)
    access_tokens = blueprint.access_tokens(
        settings.issuer, settings.audience, settings.client_id, settings.access_token_ttl_seconds
    )
    users = blueprint.users(database)
    tickets = TicketStore(database, settings.ticket_ttl_seconds)
    bearer = BearerAuth(access_tokens, users)
    chats = blueprint.chats(database)
    agent = blueprint.agent(Planner(), [Calculator(), CostEstimator()])
    return Parts(
        settings=settings,
        database=database,
        access_tokens=access_tokens,
        users=users,
        accounts=blueprint.accounts(
            users,
            RefreshTokenStore(database, settings.refresh_token_ttl_seconds),
            PasswordHashing(),
            blueprint.password_policy(settings.min_password_length),
            access_tokens,
        ),
        chats=chats,
        tickets=tickets,
        agent=agent,
        sessions=blueprint.sessions(chats, agent, blueprint.run_events),
        bearer=bearer,
        handshake=blueprint.handshake(tickets, bearer),
    )


async def json_body(request: Request, *fields: str) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as error:
        raise Problem(400, "invalid-json", "The request body is not valid JSON") from error
    missing = [name for name in fields if not isinstance(body, dict) or not isinstance(body.get(name), str)]
    if missing:
        raise Problem(422, "missing-fields", "Required fields are missing", f"Missing: {', '.join(missing)}")
    assert isinstance(body, dict)
    return body


def by_method(path: str, **endpoints: Callable[[Request], Awaitable[Response]]) -> Route:
    """One route for every method of a path, so that a 405 lists every method the path allows."""

    async def dispatch(request: Request) -> Response:
        return await endpoints["GET" if request.method == "HEAD" else request.method](request)

    return Route(path, dispatch, methods=list(endpoints))


def create_app(parts: Parts) -> ASGIApp:
    """The platform as an ASGI app. Every request and socket gets an X-Request-Id that its log lines carry,
    the outermost layer, so that even an unhandled error's answer names it."""
    return CorrelationIdMiddleware(routes(parts), header_name=REQUEST_ID_HEADER)


def routes(parts: Parts) -> Starlette:
    async def current_user(request: Request) -> uuid.UUID:
        return await parts.bearer.user_for(request.headers.get("authorization", ""))

    async def sign_up(request: Request) -> Response:
        body = await json_body(request, "email", "password")
        user = await parts.accounts.sign_up(body["email"], body["password"])
        return JSONResponse(user.public(), status_code=201)

    async def log_in(request: Request) -> Response:
        body = await json_body(request, "email", "password")
        tokens = await parts.accounts.log_in(body["email"], body["password"])
        return JSONResponse(tokens.public(), headers={"Cache-Control": "no-store"})

    async def jwks(request: Request) -> Response:
        return JSONResponse(parts.access_tokens.jwks())

    async def me(request: Request) -> Response:
        user = await parts.users.get(await current_user(request))
        assert user is not None
        return JSONResponse(user.public())

    async def delete_me(request: Request) -> Response:
        await parts.users.delete(await current_user(request))
        return Response(status_code=204)

    async def issue_ticket(request: Request) -> Response:
        ticket = await parts.tickets.issue(await current_user(request))
        return JSONResponse(
            {"ticket": ticket, "expires_in": parts.settings.ticket_ttl_seconds},
            status_code=201,
            headers={"Cache-Control": "no-store"},
        )

    async def create_thread(request: Request) -> Response:
        user_id = await current_user(request)
        body = await json_body(request) if await request.body() else {}
        title = body.get("title")
        thread = await parts.chats.create_thread(user_id, title if isinstance(title, str) and title else "New chat")
        return JSONResponse(thread.public(), status_code=201)

    async def list_threads(request: Request) -> Response:
        threads = await parts.chats.threads_of(await current_user(request))
        return JSONResponse({"threads": [thread.public() for thread in threads]})

    async def list_messages(request: Request) -> Response:
        user_id = await current_user(request)
        try:
            thread_id = uuid.UUID(request.path_params["thread_id"])
        except ValueError:
            thread_id = None
        if thread_id is None or await parts.chats.owned_thread(user_id, thread_id) is None:
            raise Problem(404, "thread-not-found", "No such thread")
        messages = await parts.chats.messages_of(thread_id)
        return JSONResponse({"messages": [message.public() for message in messages]})

    async def live(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def ready(request: Request) -> Response:
        try:
            await parts.database.pool.fetchval("SELECT 1", timeout=READINESS_TIMEOUT)
        except DATABASE_OUTAGES as error:
            lost = database_unavailable(error)
            raise Problem(
                503, "not-ready", "A dependency is down", lost.detail, lost.headers, dependencies={"database": "down"}
            ) from error
        return JSONResponse({"status": "ready", "dependencies": {"database": "up"}})

    async def version(request: Request) -> Response:
        return JSONResponse(platform_version())

    async def chat(websocket: WebSocket) -> None:
        try:
            user_id = await parts.handshake.authenticate(websocket)
        except Problem as problem:
            await refuse_handshake(websocket, problem)
            return
        except DATABASE_OUTAGES as error:
            await refuse_handshake(websocket, database_unavailable(error))
            return
        await parts.sessions.serve(websocket, user_id)

    async def unexpected_error(request: Request, exc: Exception) -> Response:
        if await parts.database.lost(exc):
            return await outage_handler(request, exc)
        return await internal_error_handler(request, exc)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await parts.database.open()
        try:
            yield
        finally:
            await parts.database.close()

    return Starlette(
        routes=[
            Route("/auth/signup", sign_up, methods=["POST"]),
            Route("/auth/login", log_in, methods=["POST"]),
            Route("/.well-known/jwks.json", jwks),
            by_method("/me", GET=me, DELETE=delete_me),
            Route("/ws-tickets", issue_ticket, methods=["POST"]),
            by_method("/threads", GET=list_threads, POST=create_thread),
            Route("/threads/{thread_id}/messages", list_messages),
            Route("/health/live", live),
            Route("/health/ready", ready),
            Route("/version", version),
            WebSocketRoute("/chat", chat),
        ],
        exception_handlers={
            Problem: problem_handler,
            HTTPException: http_error_handler,
            **dict.fromkeys(DATABASE_OUTAGES, outage_handler),
            Exception: unexpected_error,
        },
        lifespan=lifespan,
    )
