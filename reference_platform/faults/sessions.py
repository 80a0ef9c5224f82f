"""Defects in sessions: refresh tokens, their rotation, lifetimes, logout and revocation."""

import asyncio
import contextvars
import uuid
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from reference_platform.chat.socket import ChatSessions
from reference_platform.faults.fault import Fault
from reference_platform.identity.secrets import secret_digest
from reference_platform.identity.sessions import Sessions, TokenSet, invalid_grant
from reference_platform.problems import Problem


class KeepsRefreshTokens(Sessions):
    async def refresh(self, refresh_token: str) -> TokenSet:
        row = await self.database.pool.fetchrow(
            "SELECT r.user_id, r.family_id, s.client_id FROM refresh_tokens r JOIN sessions s ON s.id = r.family_id"
            " WHERE r.token_hash = $1 AND s.revoked_at IS NULL",
            secret_digest(refresh_token),
        )
        if row is None:
            raise invalid_grant("The refresh token is unknown.")
        policy = self.policy(row["client_id"])
        access = self.access_tokens.issue(
            str(row["user_id"]), str(row["family_id"]), row["client_id"], policy.access_seconds
        )
        return TokenSet(access, refresh_token, policy.access_seconds, policy.refresh_idle_seconds)


class RefusesWithoutOAuthError(Sessions):
    """Refused refreshes are problems without OAuth's "error" member."""

    async def refresh(self, refresh_token: str) -> TokenSet:
        try:
            return await super().refresh(refresh_token)
        except Problem as refusal:
            raise Problem(refusal.status, refusal.slug, refusal.title, refusal.detail) from refusal


class FailsOnUnknownRefreshTokens(Sessions):
    async def refresh(self, refresh_token: str) -> TokenSet:
        known = await self.database.pool.fetchval(
            "SELECT true FROM refresh_tokens WHERE token_hash = $1", secret_digest(refresh_token)
        )
        if not known:
            raise LookupError("no such refresh token")  # an unhandled error: a 500
        return await super().refresh(refresh_token)


class ForgivesReuse(Sessions):
    async def reused(self, session_id: uuid.UUID) -> None:
        return None


class LogoutKeepsTheSession(Sessions):
    async def log_out(self, session_id: uuid.UUID) -> None:
        return None


class EndsSessionsQuietly(Sessions):
    async def announce_end(self, connection: Any, session_id: uuid.UUID) -> None:
        return None


class NeverIdles(Sessions):
    @staticmethod
    def unusable(revoked_at: datetime | None, session_ends: datetime, refresh_expires: datetime) -> str | None:
        return Sessions.unusable(revoked_at, session_ends, session_ends)


class RefreshLifetimeFixedAtLogin(Sessions):
    """Every refresh token of a session expires when the login's first one does: using it extends nothing."""

    async def _pair(self, user_id: uuid.UUID, session_id: uuid.UUID, client_id: str, ends: datetime) -> TokenSet:
        policy = self.policy(client_id)
        began = ends - timedelta(seconds=policy.session_seconds)
        first_expires = began + timedelta(seconds=policy.refresh_idle_seconds)
        pair = await super()._pair(user_id, session_id, client_id, ends)
        await self.database.pool.execute(
            "UPDATE refresh_tokens SET expires_at = $2 WHERE token_hash = $1",
            secret_digest(pair.refresh_token),
            first_expires,
        )
        left = max(0, int((first_expires - datetime.now(UTC)).total_seconds()))
        return TokenSet(pair.access_token, pair.refresh_token, pair.expires_in, left)


class SessionsWithoutEnd(Sessions):
    """A session's absolute lifetime is never reached: it lasts as long as it is used."""

    async def start(self, user_id: uuid.UUID, client_id: str) -> TokenSet:
        session_id = uuid.uuid4()
        ends = datetime.now(UTC) + timedelta(days=3650)
        await self.database.pool.execute(
            "INSERT INTO sessions (id, user_id, client_id, expires_at) VALUES ($1, $2, $3, $4)",
            session_id,
            user_id,
            client_id,
            ends,
        )
        return await self._pair(user_id, session_id, client_id, ends)


class CachesTokens(Sessions):
    def response_headers(self) -> dict[str, str]:
        return {"Cache-Control": "private, max-age=300"}


class SaysNothingOfCaching(Sessions):
    def response_headers(self) -> dict[str, str]:
        return {}


class AnnouncesOnlyHere(Sessions):
    """Ended sessions are announced on an in-process bus: only this instance's sockets hear of them."""

    async def announce_end(self, connection: Any, session_id: uuid.UUID) -> None:
        for end_session in LOCAL_LISTENERS:
            asyncio.get_running_loop().create_task(end_session(session_id))


class HearsOnlyHere(ChatSessions):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        LOCAL_LISTENERS.append(self.end_session)


LOCAL_LISTENERS: list[Callable[[uuid.UUID], Coroutine[Any, Any, None]]] = []


class HonoursUsedRefreshTokens(Sessions):
    """A used refresh token is made usable again before it is checked: no rotation, no reuse detection."""

    async def refresh(self, refresh_token: str) -> TokenSet:
        await self.database.pool.execute(
            "UPDATE refresh_tokens SET used_at = NULL WHERE token_hash = $1", secret_digest(refresh_token)
        )
        return await super().refresh(refresh_token)


class RefreshesIntoExpiredTokens(Sessions):
    """A refresh hands out an access token that carries the expiry of the one it replaces."""

    async def refresh(self, refresh_token: str) -> TokenSet:
        pair = await super().refresh(refresh_token)
        claims = jwt.decode(pair.access_token, options={"verify_signature": False})
        stale = self.access_tokens.issue(claims["sub"], claims["sid"], claims["client_id"], ttl_seconds=-60)
        return TokenSet(stale, pair.refresh_token, pair.expires_in, pair.refresh_expires_in)


class LogoutOnlyClosesChats(Sessions):
    """Logging out announces the end of the session (so its chats close) but never revokes it."""

    async def log_out(self, session_id: uuid.UUID) -> None:
        async with self.database.pool.acquire() as connection:
            await self.announce_end(connection, session_id)


QUIET: contextvars.ContextVar[bool] = contextvars.ContextVar("quiet_revocation", default=False)


class QuietRevocations(Sessions):
    """Revokes as the platform does, but tells no instance while QUIET is set: the session's chats stay open."""

    async def announce_end(self, connection: Any, session_id: uuid.UUID) -> None:
        if not QUIET.get():
            await super().announce_end(connection, session_id)


class RevokesReusedSessionsQuietly(QuietRevocations):
    async def reused(self, session_id: uuid.UUID) -> None:
        QUIET.set(True)  # this request's task only
        await super().reused(session_id)


class RevokesOtherSessionsQuietly(QuietRevocations):
    async def revoke_others(self, user_id: uuid.UUID, keep: uuid.UUID | None, reason: str) -> None:
        QUIET.set(True)  # this request's task only
        await super().revoke_others(user_id, keep, reason)


FAULTS: dict[str, Fault] = {
    "used_refresh_tokens_work": Fault(
        "a used refresh token refreshes again: no rotation, no reuse detection",
        {"sessions": HonoursUsedRefreshTokens},
    ),
    "refresh_gives_expired_token": Fault(
        "a refresh hands out an access token that has already expired",
        {"sessions": RefreshesIntoExpiredTokens},
    ),
    "logout_keeps_refresh_tokens": Fault(
        "logging out closes the session's chats but leaves the session alive",
        {"sessions": LogoutOnlyClosesChats},
    ),
    "replay_revokes_quietly": Fault(
        "a replayed refresh token revokes its session without closing its chats",
        {"sessions": RevokesReusedSessionsQuietly},
    ),
    "password_change_revokes_quietly": Fault(
        "a password change revokes the other sessions without closing their chats",
        {"sessions": RevokesOtherSessionsQuietly},
    ),
    "refresh_refusal_without_oauth_error": Fault(
        'a refused refresh carries no "error": "invalid_grant"', {"sessions": RefusesWithoutOAuthError}
    ),
    "unknown_refresh_token_fails": Fault(
        "a refresh token the platform never issued gets a 500", {"sessions": FailsOnUnknownRefreshTokens}
    ),
    "refresh_lifetime_not_sliding": Fault(
        "a refresh does not extend the session: each refresh token expires when the login's first one does",
        {"sessions": RefreshLifetimeFixedAtLogin},
    ),
    "session_without_absolute_lifetime": Fault(
        "a session in use never ends: its absolute lifetime is not kept", {"sessions": SessionsWithoutEnd}
    ),
    "refresh_not_rotated": Fault(
        "a refresh hands back the same refresh token, which stays usable", {"sessions": KeepsRefreshTokens}
    ),
    "reuse_not_revoking_session": Fault(
        "a replayed refresh token is refused but its session lives on", {"sessions": ForgivesReuse}
    ),
    "logout_not_revoking": Fault("logging out ends nothing", {"sessions": LogoutKeepsTheSession}),
    "logout_leaves_chat_open": Fault(
        "an ended session's chat sockets are not told to close", {"sessions": EndsSessionsQuietly}
    ),
    "refresh_idle_not_enforced": Fault(
        "a refresh token left unused past its idle lifetime still works", {"sessions": NeverIdles}
    ),
    "token_answers_cached": Fault("token answers may be cached for 5 minutes", {"sessions": CachesTokens}),
    "token_answers_without_cache_control": Fault(
        "token answers say nothing of caching, so a shared cache may keep them", {"sessions": SaysNothingOfCaching}
    ),
    "logout_not_reaching_other_instance": Fault(
        "ended sessions are announced in-process, so only this instance closes their chats",
        {"sessions": AnnouncesOnlyHere, "chat_sessions": HearsOnlyHere},
    ),
}
