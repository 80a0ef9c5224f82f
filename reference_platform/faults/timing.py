"""Defects in the platform's timing promises and in the figures of its limits: what lasts a little too long or
ends too soon, and limits that count or report wrongly. The checks that catch them judge on the platform's own
times and figures where it keeps them, so a busy machine invents no such defect and rarely hides one."""

import uuid
from contextvars import ContextVar
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.websockets import WebSocket

from reference_platform.chat.agent import Planner, PlannerAgent, RunEvents
from reference_platform.chat.socket import ChatSessions
from reference_platform.chat.tools import Tool
from reference_platform.identity.oidc import OidcLogins
from reference_platform.identity.secrets import secret_digest
from reference_platform.identity.sessions import ClientPolicy, Sessions, TokenSet
from reference_platform.identity.tickets import TicketStore
from reference_platform.identity.tokens import AccessTokens
from reference_platform.limits.rate_limits import (
    EXPORTS,
    FREE,
    LOGIN_ACCOUNT,
    LOGIN_ADDRESS,
    PRO,
    WRITES,
    RateLimiter,
    Verdict,
)
from reference_platform.problems import Problem

from .fault import Fault


class CountsWritesTwice(RateLimiter):
    """Every write uses up two of the write limit."""

    async def check(self, subject: str, plan: str, route_class: str) -> Verdict:
        if route_class == WRITES:
            await super().check(subject, plan, route_class)
        return await super().check(subject, plan, route_class)


class UnderstatesWhatIsLeft(RateLimiter):
    """RateLimit reports one request fewer left than the limit really has."""

    async def check(self, subject: str, plan: str, route_class: str) -> Verdict:
        verdict = await super().check(subject, plan, route_class)
        return Verdict(verdict.route_class, verdict.limit, verdict.allowed, max(0, verdict.remaining - 1),
                       verdict.reset_seconds, verdict.retry_after)  # fmt: skip


class RefusesWith403(RateLimiter):
    """A request over its limit is refused as forbidden, not as too many requests."""

    async def enforce(self, subject: str, plan: str, route_class: str) -> Verdict:
        try:
            return await super().enforce(subject, plan, route_class)
        except Problem as refusal:
            if refusal.status == 429:
                refusal.status = 403
            raise


class NoRetryAfterOnExports(RateLimiter):
    """A refused export carries no Retry-After; the other limits' refusals do."""

    async def enforce(self, subject: str, plan: str, route_class: str) -> Verdict:
        try:
            return await super().enforce(subject, plan, route_class)
        except Problem as refusal:
            if route_class == EXPORTS:
                refusal.headers.pop("Retry-After", None)
            raise


class FiguresOnlyOnRefusals(RateLimiter):
    """Accepted requests carry no RateLimit fields: only a refusal shows the limit."""

    async def enforce(self, subject: str, plan: str, route_class: str) -> Verdict:
        verdict = await super().enforce(subject, plan, route_class)
        return NoFigures(verdict.route_class, verdict.limit, verdict.allowed, verdict.remaining,
                         verdict.reset_seconds, verdict.retry_after)  # fmt: skip


class NoFigures(Verdict):
    def headers(self) -> dict[str, str]:
        return {}


class SparesKnownAccountsAtAnAddress(RateLimiter):
    """The per-address login limit counts only logins to emails nobody has: its check waits for the email."""

    address: ContextVar[str | None] = ContextVar("address", default=None)

    async def enforce(self, subject: str, plan: str, route_class: str) -> Verdict:
        if route_class == LOGIN_ADDRESS:
            self.address.set(subject)
            return Verdict(route_class, self.limit(plan, route_class), True, 1, 0, 0)
        address = self.address.get()
        if route_class == LOGIN_ACCOUNT and address is not None:
            self.address.set(None)
            if not await self.database.pool.fetchval("SELECT true FROM users WHERE email_normalized = $1", subject):
                await super().enforce(address, plan, LOGIN_ADDRESS)
        return await super().enforce(subject, plan, route_class)


class AddressRefusalNamesTheAccountLimit(RateLimiter):
    """A login refused by the per-address limit names the per-account limit in its RateLimit fields."""

    async def enforce(self, subject: str, plan: str, route_class: str) -> Verdict:
        try:
            return await super().enforce(subject, plan, route_class)
        except Problem as refusal:
            if route_class == LOGIN_ADDRESS:
                for field in ("RateLimit-Policy", "RateLimit"):
                    refusal.headers[field] = refusal.headers[field].replace(f'"{LOGIN_ADDRESS}"', f'"{LOGIN_ACCOUNT}"')
            raise


class ShowsTheFreePlansFigures(RateLimiter):
    """A pro customer's answers show the free plan's limit in RateLimit-Policy, though the pro limit applies."""

    async def check(self, subject: str, plan: str, route_class: str) -> Verdict:
        verdict = await super().check(subject, plan, route_class)
        if plan != PRO:
            return verdict
        return Verdict(verdict.route_class, self.limit(FREE, route_class), verdict.allowed, verdict.remaining,
                       verdict.reset_seconds, verdict.retry_after)  # fmt: skip


class ChatRefusalWithoutRetryAfter(ChatSessions):
    """A chat message over the limit is refused without saying when to retry."""

    async def refuse_over_limit(self, websocket: WebSocket, verdict: Verdict) -> None:
        await websocket.send_json({"type": "error", "code": "rate_limited", "detail": "Too many messages."})


class NamesInterruptionsOtherwise(ChatSessions):
    """A run the shutdown grace cuts short ends with an error code of its own making, not run_interrupted."""

    async def cut_short(self, events: RunEvents) -> None:
        await events.failed("server_shutdown", "The server is shutting down.")


class TriplesTheToolTimeout(PlannerAgent):
    """Tools get three times the tool timeout the chat policy publishes."""

    def __init__(self, planner: Planner, tools: list[Tool], tool_timeout_seconds: float) -> None:
        super().__init__(planner, tools, 3 * tool_timeout_seconds)


class HalvesTheSession(Sessions):
    """A session ends at half its client's absolute lifetime."""

    def policy(self, client_id: str) -> ClientPolicy:
        policy = super().policy(client_id)
        return replace(policy, session_seconds=policy.session_seconds // 2)


class SlidesTheSessionsEnd(Sessions):
    """Every refresh moves the session's end a whole lifetime ahead: a session in use never ends."""

    async def _pair(self, user_id: uuid.UUID, session_id: uuid.UUID, client_id: str, ends: datetime) -> TokenSet:
        ends = datetime.now(UTC) + timedelta(seconds=self.policy(client_id).session_seconds)
        await self.database.pool.execute("UPDATE sessions SET expires_at = $2 WHERE id = $1", session_id, ends)
        return await super()._pair(user_id, session_id, client_id, ends)


class RefreshTokensIdleTwiceAsLong(Sessions):
    """A refresh token works unused for twice the idle lifetime its refresh_expires_in states."""

    async def _pair(self, user_id: uuid.UUID, session_id: uuid.UUID, client_id: str, ends: datetime) -> TokenSet:
        tokens = await super()._pair(user_id, session_id, client_id, ends)
        await self.database.pool.execute(
            "UPDATE refresh_tokens SET expires_at = expires_at + make_interval(secs => $2) WHERE token_hash = $1",
            secret_digest(tokens.refresh_token),
            float(tokens.refresh_expires_in),
        )
        return tokens


class TicketsLastTwiceAsLong(TicketStore):
    """A chat ticket works for twice the time its expires_in states."""

    async def issue(self, caller: Any) -> str:
        ticket = await super().issue(caller)
        await self.database.pool.execute(
            "UPDATE ws_tickets SET expires_at = expires_at + $2::interval WHERE ticket_hash = $1",
            secret_digest(ticket),
            timedelta(seconds=self.ttl_seconds),
        )
        return ticket


class LoginCodesLastTwiceAsLong(OidcLogins):
    """A sign-in's login code works for twice its lifetime."""

    async def issue_login_code(self, user_id: Any) -> str:
        code = await super().issue_login_code(user_id)
        await self.database.pool.execute(
            "UPDATE login_codes SET expires_at = expires_at + $2::interval WHERE code_hash = $1",
            secret_digest(code),
            timedelta(seconds=self.login_code_seconds),
        )
        return code


class AccessTokensExpireAMinuteLate(AccessTokens):
    """An access token is taken for a minute past its exp."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.leeway_seconds = 60


TIMING_FAULTS: dict[str, Fault] = {
    "writes_counted_twice": Fault("every write uses up two of the write limit", {"limiter": CountsWritesTwice}),
    "remaining_understated": Fault(
        "RateLimit reports one request fewer left than there is", {"limiter": UnderstatesWhatIsLeft}
    ),
    "limit_refused_as_forbidden": Fault("a request over its limit gets a 403, not a 429", {"limiter": RefusesWith403}),
    "exports_refusal_without_retry_after": Fault(
        "a refused export carries no Retry-After", {"limiter": NoRetryAfterOnExports}
    ),
    "limit_figures_only_on_refusals": Fault(
        "accepted requests carry no RateLimit fields", {"limiter": FiguresOnlyOnRefusals}
    ),
    "address_limit_spares_known_accounts": Fault(
        "the per-address login limit counts only logins to emails nobody has",
        {"limiter": SparesKnownAccountsAtAnAddress},
    ),
    "address_limit_names_account_limit": Fault(
        "a login refused by the per-address limit names the per-account limit",
        {"limiter": AddressRefusalNamesTheAccountLimit},
    ),
    "pro_shown_free_figures": Fault(
        "a pro customer's answers show the free plan's limit", {"limiter": ShowsTheFreePlansFigures}
    ),
    "chat_refusal_without_retry_after": Fault(
        "a chat message over the limit is refused without saying when to retry",
        {"chat_sessions": ChatRefusalWithoutRetryAfter},
    ),
    "shutdown_grace_cut_short": Fault(
        "on SIGTERM, runs get 1 s to finish instead of the published shutdown grace",
        {},
        server={"timeout_graceful_shutdown": 1},
    ),
    "interruption_named_otherwise": Fault(
        "a run the shutdown grace cuts short ends with server_shutdown, not run_interrupted",
        {"chat_sessions": NamesInterruptionsOtherwise},
    ),
    "tool_timeout_tripled": Fault("tools get three times the published tool timeout", {"agent": TriplesTheToolTimeout}),
    "pings_twice_as_far_apart": Fault(
        "idle chats are pinged every 4 s though the embedded policy says 2 s", {}, server={"ws_ping_interval": 4.0}
    ),
    "silence_tolerated_three_times_as_long": Fault(
        "an unanswered ping is waited for 6 s though the embedded policy says 2 s", {}, server={"ws_ping_timeout": 6.0}
    ),
    "session_halved": Fault("a session ends at half its absolute lifetime", {"sessions": HalvesTheSession}),
    "session_end_slides": Fault(
        "every refresh moves the session's end a whole lifetime ahead", {"sessions": SlidesTheSessionsEnd}
    ),
    "refresh_idle_doubled": Fault(
        "a refresh token works unused for twice its stated idle lifetime", {"sessions": RefreshTokensIdleTwiceAsLong}
    ),
    "tickets_last_twice_as_long": Fault(
        "a chat ticket works for twice its stated lifetime", {"tickets": TicketsLastTwiceAsLong}
    ),
    "login_codes_last_twice_as_long": Fault(
        "a sign-in's login code works for twice its lifetime", {"oidc": LoginCodesLastTwiceAsLong}
    ),
    "access_tokens_expire_a_minute_late": Fault(
        "access tokens are taken for a minute past their exp", {"access_tokens": AccessTokensExpireAMinuteLate}
    ),
}
