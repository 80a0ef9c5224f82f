"""The app factory: builds the platform from explicit parts."""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from asgi_correlation_id import CorrelationIdMiddleware
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp
from starlette.websockets import WebSocket

from reference_platform.chat.ag_ui import AgUiEncoder, AgUiRuns
from reference_platform.chat.agent import Agent, Planner, PlannerAgent, RunEvents, RunEventsFactory
from reference_platform.chat.conversation import ConversationAgent
from reference_platform.chat.runs import InstanceLease, RunFeed, RunJournal
from reference_platform.chat.socket import (
    ChatSessions,
    HandshakeAuthenticator,
    refuse_handshake,
)
from reference_platform.chat.threads import ChatStore
from reference_platform.chat.tools import Calculator, CostEstimator, Tool, Wait
from reference_platform.chat.vercel_ai import VercelEncoder, VercelRuns
from reference_platform.data.erasure import Erasure
from reference_platform.data.exports import Exports, export_not_found
from reference_platform.database import CLIENT_ERRORS, DATABASE_OUTAGES, Database
from reference_platform.health import Health
from reference_platform.identity.accounts import Accounts, UserStore, normalize_email
from reference_platform.identity.bearer import BearerAuth, Caller
from reference_platform.identity.oidc import OidcLogins, OidcProvider
from reference_platform.identity.passwords import PasswordHashing, PasswordPolicy, password_hasher
from reference_platform.identity.sessions import DEFAULT_CLIENT, SessionEndings, Sessions, TokenSet
from reference_platform.identity.tickets import TicketStore
from reference_platform.identity.tokens import AccessTokens
from reference_platform.limits.admin import AdminAuth
from reference_platform.limits.rate_limits import (
    EXPORTS,
    LOGIN_ACCOUNT,
    LOGIN_ADDRESS,
    PRESETS,
    WRITES,
    Quotas,
    RateLimiter,
)
from reference_platform.problems import (
    ExceptionHandler,
    Problem,
    database_unavailable,
    http_error_handler,
    internal_error_handler,
    outage_handler,
    problem_handler,
)
from reference_platform.settings import Settings

log = logging.getLogger(__name__)
REQUEST_ID_HEADER = "X-Request-Id"
ATTEMPT_COOKIE = "oidc_attempt"


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
    journal: RunJournal
    run_feed: RunFeed
    lease: InstanceLease
    chat_sessions: ChatSessions
    session_endings: SessionEndings
    framework_errors: ExceptionHandler
    request_ids: "RequestIds"
    health: Health
    sessions: Sessions
    bearer: BearerAuth
    handshake: HandshakeAuthenticator
    oidc: OidcLogins
    limiter: RateLimiter
    quotas: Quotas
    exports: Exports
    erasure: Erasure
    admin: AdminAuth
    ag_ui_runs: AgUiRuns
    vercel_runs: VercelRuns


RequestIds = Callable[[ASGIApp], ASGIApp]


def correlated(app: ASGIApp) -> ASGIApp:
    """asgi-correlation-id: the client's X-Request-Id when it is a UUID4, else a new one, on the answer and
    on every log line written while the request is served."""
    return CorrelationIdMiddleware(app, header_name=REQUEST_ID_HEADER)


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
    framework_errors: ExceptionHandler = http_error_handler
    request_ids: "RequestIds" = correlated
    health: type[Health] = Health
    chat_sessions: type[ChatSessions] = ChatSessions
    journal: type[RunJournal] = RunJournal
    run_feed: type[RunFeed] = RunFeed
    lease: type[InstanceLease] = InstanceLease
    session_endings: type[SessionEndings] = SessionEndings
    sessions: type[Sessions] = Sessions
    bearer: type[BearerAuth] = BearerAuth
    handshake: type[HandshakeAuthenticator] = HandshakeAuthenticator
    tickets: type[TicketStore] = TicketStore
    oidc: type[OidcLogins] = OidcLogins
    oidc_provider: type[OidcProvider] = OidcProvider
    limiter: type[RateLimiter] = RateLimiter
    quotas: type[Quotas] = Quotas
    exports: type[Exports] = Exports
    erasure: type[Erasure] = Erasure
    admin: type[AdminAuth] = AdminAuth
    ag_ui_runs: type[AgUiRuns] = AgUiRuns
    ag_ui_encoder: type[AgUiEncoder] = AgUiEncoder
    conversation_agent: type[ConversationAgent] = ConversationAgent
    vercel_runs: type[VercelRuns] = VercelRuns
    vercel_encoder: type[VercelEncoder] = VercelEncoder


def assemble(settings: Settings, blueprint: Blueprint = Blueprint()) -> Parts:
    database = Database(settings.database_url)
    access_tokens = blueprint.access_tokens(
        settings.issuer, settings.audience, signing_key(settings), settings.access_token_type
    )
    users = blueprint.users(database)
    sessions = blueprint.sessions(database, access_tokens, settings.clients)
    bearer = blueprint.bearer(access_tokens, users, sessions)
    tickets = blueprint.tickets(database, settings.ticket_ttl_seconds)
    chats = blueprint.chats(database)
    tools: list[Tool] = [Calculator(), CostEstimator(), *([Wait()] if settings.chat.diagnostic_tools else [])]
    agent = blueprint.agent(Planner(), tools, settings.chat.tool_timeout_seconds)
    journal = blueprint.journal(database, settings.instance_id, settings.chat.event_retention_seconds)
    run_feed = blueprint.run_feed(settings.database_url)
    limiter = blueprint.limiter(database, PRESETS[settings.limits_preset])
    quotas = blueprint.quotas(limiter, database)
    exports = blueprint.exports(database, settings.export_dir, settings.export_link_seconds)
    hashing = PasswordHashing(password_hasher(settings.password_hashing))
    callback = settings.issuer.rstrip("/") + "/auth/oidc/{}/callback"
    providers = {
        provider.name: blueprint.oidc_provider(provider, callback.format(provider.name))
        for provider in settings.oidc_providers
    }
    chat_sessions = blueprint.chat_sessions(chats, agent, blueprint.run_events, quotas, journal, run_feed)
    lease = blueprint.lease(settings.database_url, settings.instance_id, journal)
    streamed = (chats, blueprint.conversation_agent(agent), blueprint.run_events, quotas, journal, bearer)
    session_endings = blueprint.session_endings(
        settings.database_url,
        chat_sessions.end_session,
        lambda: chat_sessions.end_sessions_ended(sessions.ended_among),
    )
    return Parts(
        settings=settings,
        database=database,
        access_tokens=access_tokens,
        users=users,
        accounts=blueprint.accounts(users, sessions, hashing, blueprint.password_policy(settings.min_password_length)),
        chats=chats,
        tickets=tickets,
        agent=agent,
        journal=journal,
        run_feed=run_feed,
        lease=lease,
        chat_sessions=chat_sessions,
        session_endings=session_endings,
        framework_errors=blueprint.framework_errors,
        request_ids=blueprint.request_ids,
        health=blueprint.health(database, (lease.connection, run_feed.connection, session_endings.connection)),
        sessions=sessions,
        bearer=bearer,
        handshake=blueprint.handshake(tickets, bearer),
        oidc=blueprint.oidc(
            database, users, sessions, providers, settings.oidc_attempt_seconds, settings.login_code_seconds
        ),
        limiter=limiter,
        quotas=quotas,
        exports=exports,
        erasure=blueprint.erasure(database, users, sessions, hashing, exports, limiter, settings.recent_login_seconds),
        admin=blueprint.admin(settings.admin_token, bearer),
        ag_ui_runs=blueprint.ag_ui_runs(*streamed, blueprint.ag_ui_encoder),
        vercel_runs=blueprint.vercel_runs(*streamed, blueprint.vercel_encoder),
    )


def signing_key(settings: Settings) -> rsa.RSAPrivateKey | None:
    """The shared access-token key, if the deployment gives one (PEM); None makes a key for this process."""
    if settings.signing_key_file is None:
        return None
    key = serialization.load_pem_private_key(settings.signing_key_file.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SystemExit(f"{settings.signing_key_file} does not hold an RSA private key")
    return key


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
    return parts.request_ids(routes(parts))


HOUSEKEEPING_SECONDS = 30.0


async def keep_house(database: Database, journal: RunJournal, stop: asyncio.Event) -> None:
    """Drop state that can no longer matter: spent rate-limit windows, used or expired one-time secrets,
    runs past their retention; and end the runs of instances that died."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), HOUSEKEEPING_SECONDS)
        try:
            await journal.interrupt_orphans()
            await journal.forget_expired()
            await database.pool.execute("DELETE FROM rate_limits WHERE tat < now()")
            await database.pool.execute("DELETE FROM oidc_attempts WHERE expires_at < now() OR used_at IS NOT NULL")
            await database.pool.execute("DELETE FROM login_codes WHERE expires_at < now() OR used_at IS NOT NULL")
            await database.pool.execute("DELETE FROM ws_tickets WHERE expires_at < now() OR used_at IS NOT NULL")
        except Exception as error:  # the database may be away; the next round tries again
            log.warning("housekeeping failed: %r", error)


def path_id(request: Request, name: str, not_found: Problem) -> uuid.UUID:
    """The id in the path; one that is not even a UUID is answered as not found, like any unknown id."""
    try:
        return uuid.UUID(request.path_params[name])
    except ValueError:
        raise not_found from None


def thread_not_found() -> Problem:
    """Someone else's thread and no thread at all get the same answer: no existence oracle."""
    return Problem(404, "thread-not-found", "No such thread")


def client_of(body: dict[str, Any]) -> str:
    """The client a token request is for (each client has its own token lifetimes)."""
    client_id = body.get("client_id", DEFAULT_CLIENT)
    return client_id if isinstance(client_id, str) else DEFAULT_CLIENT


def routes(parts: Parts) -> Starlette:
    async def current_caller(request: Request) -> Caller:
        return await parts.bearer.caller(request.headers.get("authorization", ""))

    async def current_user(request: Request) -> uuid.UUID:
        return (await current_caller(request)).user_id

    def tokens_response(tokens: TokenSet) -> Response:
        return JSONResponse(tokens.public(), headers=parts.sessions.response_headers())

    async def sign_up(request: Request) -> Response:
        body = await json_body(request, "email", "password")
        user = await parts.accounts.sign_up(body["email"], body["password"])
        return JSONResponse(user.public(), status_code=201)

    async def log_in(request: Request) -> Response:
        body = await json_body(request, "email", "password")
        address = request.client.host if request.client else "unknown"
        if address not in parts.settings.login_limit_exempt:
            await parts.limiter.enforce(address, "*", LOGIN_ADDRESS)
        await parts.limiter.enforce(normalize_email(body["email"]), "*", LOGIN_ACCOUNT)
        return tokens_response(await parts.accounts.log_in(body["email"], body["password"], client_of(body)))

    async def refresh(request: Request) -> Response:
        body = await json_body(request, "refresh_token")
        return tokens_response(await parts.sessions.refresh(body["refresh_token"]))

    async def log_out(request: Request) -> Response:
        caller = await current_caller(request)
        await parts.sessions.log_out(caller.session_id)
        return Response(status_code=204)

    async def change_password(request: Request) -> Response:
        caller = await current_caller(request)
        body = await json_body(request, "current_password", "new_password")
        await parts.accounts.change_password(
            caller.user_id, caller.session_id, body["current_password"], body["new_password"]
        )
        return Response(status_code=204)

    async def oidc_start(request: Request) -> Response:
        provider = request.path_params["provider"]
        url, attempt = await parts.oidc.start(provider)
        response = RedirectResponse(url, status_code=302, headers={"Cache-Control": "no-store"})
        response.set_cookie(ATTEMPT_COOKIE, attempt, **parts.oidc.attempt_cookie())
        return response

    async def oidc_callback(request: Request) -> Response:
        provider = request.path_params["provider"]
        user_id = await parts.oidc.finish(provider, dict(request.query_params), request.cookies.get(ATTEMPT_COOKIE))
        landing = await parts.oidc.landing(user_id, parts.settings.app_signed_in_path)
        response = RedirectResponse(landing, status_code=302, headers={"Cache-Control": "no-store"})
        response.delete_cookie(ATTEMPT_COOKIE, path="/auth/oidc")
        return response

    async def app_signed_in(request: Request) -> Response:
        return HTMLResponse(
            "<!doctype html><title>Signed in</title><p>Signed in. The app now exchanges its one-time login code.",
            headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
        )

    async def oidc_exchange(request: Request) -> Response:
        body = await json_body(request, "login_code")
        parts.sessions.policy(client_of(body))
        user_id = await parts.oidc.redeem_login_code(body["login_code"])
        return tokens_response(await parts.sessions.start(user_id, client_of(body)))

    async def jwks(request: Request) -> Response:
        return JSONResponse(parts.access_tokens.jwks())

    async def me(request: Request) -> Response:
        user = await parts.users.get(await current_user(request))
        assert user is not None
        return JSONResponse(user.public())

    async def delete_me(request: Request) -> Response:
        caller = await current_caller(request)
        body = await json_body(request) if await request.body() else {}
        password = body.get("password")
        await parts.erasure.erase(caller, password if isinstance(password, str) else None)
        return Response(status_code=204)

    async def issue_ticket(request: Request) -> Response:
        caller = await current_caller(request)
        verdict = await parts.quotas.enforce(caller.user_id, WRITES)
        ticket = await parts.tickets.issue(caller)
        return JSONResponse(
            {"ticket": ticket, "expires_in": parts.tickets.ttl_seconds},
            status_code=201,
            headers={"Cache-Control": "no-store", **verdict.headers()},
        )

    async def create_thread(request: Request) -> Response:
        user_id = await current_user(request)
        verdict = await parts.quotas.enforce(user_id, WRITES)
        body = await json_body(request) if await request.body() else {}
        title = body.get("title")
        thread = await parts.chats.create_thread(user_id, title if isinstance(title, str) and title else "New chat")
        return JSONResponse(thread.public(), status_code=201, headers=verdict.headers())

    async def request_export(request: Request) -> Response:
        user_id = await current_user(request)
        verdict = await parts.quotas.enforce(user_id, EXPORTS)
        created = await parts.exports.request(user_id)
        status = await parts.exports.status(user_id, created)
        return JSONResponse(
            status.public(), status_code=202, headers={"Location": f"/me/exports/{created}", **verdict.headers()}
        )

    async def export_status(request: Request) -> Response:
        user_id, wanted = await current_user(request), path_id(request, "export_id", export_not_found())
        status = await parts.exports.status(user_id, wanted)
        link = None
        if status.status == "ready":
            key = await parts.exports.new_link(user_id, wanted)
            link = f"/me/exports/{wanted}/download?{urlencode({'key': key})}"
            status = await parts.exports.status(user_id, wanted)
        return JSONResponse(status.public(link), headers={"Cache-Control": "no-store"})

    async def download_export(request: Request) -> Response:
        user_id, wanted = await current_user(request), path_id(request, "export_id", export_not_found())
        path = await parts.exports.file_for(user_id, wanted, request.query_params.get("key", ""))
        return FileResponse(path, media_type="application/json", headers=parts.exports.download_headers())

    async def set_plan(request: Request) -> Response:
        await parts.admin.check(request.headers.get("authorization", ""))
        body = await json_body(request, "plan")
        user_id = path_id(request, "user_id", Problem(404, "user-not-found", "No such user"))
        limits = await parts.quotas.set_plan(user_id, body["plan"])
        return JSONResponse({"id": str(user_id), "plan": body["plan"], "limits": limits})

    async def list_threads(request: Request) -> Response:
        threads = await parts.chats.threads_of(await current_user(request))
        return JSONResponse({"threads": [thread.public() for thread in threads]})

    async def list_messages(request: Request) -> Response:
        user_id, wanted = await current_user(request), path_id(request, "thread_id", thread_not_found())
        if await parts.chats.owned_thread(user_id, wanted) is None:
            raise thread_not_found()
        messages = await parts.chats.messages_of(wanted)
        return JSONResponse({"messages": [message.public() for message in messages]})

    async def delete_thread(request: Request) -> Response:
        user_id, wanted = await current_user(request), path_id(request, "thread_id", thread_not_found())
        if not await parts.chats.delete_thread(user_id, wanted):
            raise thread_not_found()
        return Response(status_code=204)

    async def live(request: Request) -> Response:
        return JSONResponse(await parts.health.live())

    async def ready(request: Request) -> Response:
        return JSONResponse(await parts.health.ready())

    async def version(request: Request) -> Response:
        return JSONResponse(parts.health.version())

    async def chat_policy(request: Request) -> Response:
        sizes, instance = parts.chat_sessions.sizes(), str(parts.settings.instance_id)
        return JSONResponse({**sizes, **parts.settings.chat.public(), "instance_id": instance})

    async def chat(websocket: WebSocket) -> None:
        try:
            caller = await parts.handshake.authenticate(websocket)
        except Problem as problem:
            await refuse_handshake(websocket, problem)
            return
        except DATABASE_OUTAGES as error:
            await refuse_handshake(websocket, database_unavailable(error))
            return
        await parts.chat_sessions.serve(websocket, caller)

    async def unexpected_error(request: Request, exc: Exception) -> Response:
        if await parts.database.lost(exc):
            return await outage_handler(request, exc)
        return await internal_error_handler(request, exc)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await parts.database.open()
        await parts.lease.take()
        await parts.journal.interrupt_orphans()  # runs cut off when an instance (this one, last time) was killed
        await parts.run_feed.start()
        await parts.session_endings.start()
        stopping = asyncio.Event()
        export_jobs = asyncio.create_task(parts.exports.run_jobs(stopping), name="export jobs")
        housekeeping = asyncio.create_task(keep_house(parts.database, parts.journal, stopping), name="housekeeping")
        try:
            yield
        finally:
            stopping.set()
            await asyncio.gather(export_jobs, housekeeping)
            await parts.session_endings.stop()
            await parts.run_feed.stop()
            await parts.lease.release()
            await parts.database.close()

    return Starlette(
        routes=[
            Route("/auth/signup", sign_up, methods=["POST"]),
            Route("/auth/login", log_in, methods=["POST"]),
            Route("/auth/refresh", refresh, methods=["POST"]),
            Route("/auth/logout", log_out, methods=["POST"]),
            Route("/auth/oidc/exchange", oidc_exchange, methods=["POST"]),
            Route("/auth/oidc/{provider}/start", oidc_start),
            Route("/auth/oidc/{provider}/callback", oidc_callback),
            Route(parts.settings.app_signed_in_path, app_signed_in),
            Route("/me/password", change_password, methods=["POST"]),
            Route("/me/exports", request_export, methods=["POST"]),
            Route("/me/exports/{export_id}", export_status),
            Route("/me/exports/{export_id}/download", download_export),
            Route("/admin/users/{user_id}/plan", set_plan, methods=["PUT"]),
            Route("/.well-known/jwks.json", jwks),
            by_method("/me", GET=me, DELETE=delete_me),
            Route("/ws-tickets", issue_ticket, methods=["POST"]),
            by_method("/threads", GET=list_threads, POST=create_thread),
            Route("/threads/{thread_id}", delete_thread, methods=["DELETE"]),
            Route("/threads/{thread_id}/messages", list_messages),
            Route("/health/live", live),
            Route("/health/ready", ready),
            Route("/version", version),
            Route("/chat/policy", chat_policy),
            WebSocketRoute("/chat", chat),
            Route("/agents/ag-ui", parts.ag_ui_runs.handle, methods=["POST"]),
            Route("/agents/vercel-ai", parts.vercel_runs.handle, methods=["POST"]),
        ],
        exception_handlers={
            Problem: problem_handler,
            HTTPException: parts.framework_errors,
            **dict.fromkeys(DATABASE_OUTAGES, outage_handler),
            # Handled here, not by the last-resort handler, which re-raises and so drops a kept-alive connection.
            **dict.fromkeys(CLIENT_ERRORS, unexpected_error),
            Exception: unexpected_error,
        },
        lifespan=lifespan,
    )
