"""What the platform is made of (Parts), which class builds each swappable part (Blueprint), and how the parts
are put together from the settings (assemble). Faults are blueprints with one class replaced."""

from collections.abc import Callable
from dataclasses import dataclass

from asgi_correlation_id import CorrelationIdMiddleware
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.types import ASGIApp

from reference_platform.chat.ag_ui import AgUiEncoder, AgUiRuns
from reference_platform.chat.agent import Agent, Planner, PlannerAgent, RunEvents, RunEventsFactory
from reference_platform.chat.conversation import ConversationAgent
from reference_platform.chat.runs import InstanceLease, RunFeed, RunJournal
from reference_platform.chat.socket import ChatSessions, HandshakeAuthenticator
from reference_platform.chat.threads import ChatStore
from reference_platform.chat.tools import Calculator, CostEstimator, Tool, Wait
from reference_platform.chat.vercel_ai import VercelEncoder, VercelRuns
from reference_platform.data.erasure import Erasure
from reference_platform.data.exports import Exports
from reference_platform.database import Database
from reference_platform.health import Health
from reference_platform.identity.accounts import Accounts, UserStore
from reference_platform.identity.bearer import BearerAuth
from reference_platform.identity.oidc import OidcLogins, OidcProvider
from reference_platform.identity.passwords import PasswordHashing, PasswordPolicy, password_hasher
from reference_platform.identity.sessions import SessionEndings, Sessions
from reference_platform.identity.tickets import TicketStore
from reference_platform.identity.tokens import AccessTokens
from reference_platform.limits.admin import AdminAuth
from reference_platform.limits.rate_limits import PRESETS, Quotas, RateLimiter
from reference_platform.problems import ExceptionHandler, http_error_handler
from reference_platform.settings import Settings

REQUEST_ID_HEADER = "X-Request-Id"


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
    key = signing_key(settings)
    access_tokens = blueprint.access_tokens(settings.issuer, settings.audience, key, settings.access_token_type)
    users = blueprint.users(database)
    sessions = blueprint.sessions(database, access_tokens, settings.clients)
    bearer = blueprint.bearer(access_tokens, users, sessions)
    tickets = blueprint.tickets(database, settings.ticket_ttl_seconds)
    chats = blueprint.chats(database)
    agent = blueprint.agent(Planner(), agent_tools(settings), settings.chat.tool_timeout_seconds)
    journal = blueprint.journal(database, settings.instance_id, settings.chat.event_retention_seconds)
    run_feed = blueprint.run_feed(settings.database_url)
    limiter = blueprint.limiter(database, PRESETS[settings.limits_preset])
    quotas = blueprint.quotas(limiter, database)
    exports = blueprint.exports(database, settings.export_dir, settings.export_link_seconds)
    hashing = PasswordHashing(password_hasher(settings.password_hashing))
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
            database,
            users,
            sessions,
            oidc_providers(settings, blueprint),
            settings.oidc_attempt_seconds,
            settings.login_code_seconds,
        ),
        limiter=limiter,
        quotas=quotas,
        exports=exports,
        erasure=blueprint.erasure(database, users, sessions, hashing, exports, limiter, settings.recent_login_seconds),
        admin=blueprint.admin(settings.admin_token, bearer),
        ag_ui_runs=blueprint.ag_ui_runs(*streamed, blueprint.ag_ui_encoder),
        vercel_runs=blueprint.vercel_runs(*streamed, blueprint.vercel_encoder),
    )


def agent_tools(settings: Settings) -> list[Tool]:
    return [Calculator(), CostEstimator(), *([Wait()] if settings.chat.diagnostic_tools else [])]


def oidc_providers(settings: Settings, blueprint: Blueprint) -> dict[str, OidcProvider]:
    """The identity providers customers may sign in with, each with its callback on this platform."""
    callback = settings.issuer.rstrip("/") + "/auth/oidc/{}/callback"
    return {
        provider.name: blueprint.oidc_provider(provider, callback.format(provider.name))
        for provider in settings.oidc_providers
    }


def signing_key(settings: Settings) -> rsa.RSAPrivateKey | None:
    """The shared access-token key, if the deployment gives one (PEM); None makes a key for this process."""
    if settings.signing_key_file is None:
        return None
    key = serialization.load_pem_private_key(settings.signing_key_file.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SystemExit(f"{settings.signing_key_file} does not hold an RSA private key")
    return key
