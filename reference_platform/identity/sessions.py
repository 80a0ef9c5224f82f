"""Sessions and their token pairs: short-lived access tokens, rotating refresh tokens, reuse detection.

A login starts a session. Each refresh uses its refresh token up and hands out a new pair in the same
session (the token family). Presenting a used refresh token again revokes the whole session (RFC 9700
§4.14.2), so a thief and the legitimate holder both lose it. Revoking a session is announced on the
PostgreSQL channel `session_ended`, so every platform instance closes that session's chat sockets.
"""

import asyncio
import logging
import secrets
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from reference_platform.database import Database, HeldConnection
from reference_platform.identity.secrets import secret_digest
from reference_platform.identity.tokens import AccessTokens
from reference_platform.problems import Problem

log = logging.getLogger(__name__)
SESSION_ENDED_CHANNEL = "session_ended"
DEFAULT_CLIENT = "chat-web"


@dataclass(frozen=True)
class ClientPolicy:
    """How long one client's tokens live: access token, refresh token unused, whole session."""

    access_seconds: int
    refresh_idle_seconds: int
    session_seconds: int


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int

    def public(self) -> dict[str, str | int]:
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
            "refresh_expires_in": self.refresh_expires_in,
        }


def invalid_grant(detail: str) -> Problem:
    return Problem(400, "invalid-grant", "The refresh token cannot be used", detail, error="invalid_grant")


class Sessions:
    def __init__(self, database: Database, access_tokens: AccessTokens, clients: dict[str, ClientPolicy]) -> None:
        self.database = database
        self.access_tokens = access_tokens
        self.clients = clients

    def response_headers(self) -> dict[str, str]:
        """Token answers are never cached, by the browser or anything between (RFC 6749 §5.1)."""
        return {"Cache-Control": "no-store", "Pragma": "no-cache"}

    def policy(self, client_id: str) -> ClientPolicy:
        if client_id not in self.clients:
            raise Problem(400, "unknown-client", "Unknown client", f"No client is registered as {client_id!r}.")
        return self.clients[client_id]

    async def start(self, user_id: uuid.UUID, client_id: str) -> TokenSet:
        policy = self.policy(client_id)
        session_id = uuid.uuid4()
        ends = datetime.now(UTC) + timedelta(seconds=policy.session_seconds)
        await self.database.pool.execute(
            "INSERT INTO sessions (id, user_id, client_id, expires_at) VALUES ($1, $2, $3, $4)",
            session_id,
            user_id,
            client_id,
            ends,
        )
        return await self._pair(user_id, session_id, client_id, ends)

    async def _pair(self, user_id: uuid.UUID, session_id: uuid.UUID, client_id: str, ends: datetime) -> TokenSet:
        policy = self.policy(client_id)
        refresh_token = secrets.token_urlsafe(32)
        refresh_expires = min(datetime.now(UTC) + timedelta(seconds=policy.refresh_idle_seconds), ends)
        await self.database.pool.execute(
            "INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at) VALUES ($1, $2, $3, $4, $5)",
            uuid.uuid4(),
            user_id,
            session_id,
            secret_digest(refresh_token),
            refresh_expires,
        )
        access_token = self.access_tokens.issue(str(user_id), str(session_id), client_id, policy.access_seconds)
        refresh_in = max(0, int((refresh_expires - datetime.now(UTC)).total_seconds()))
        return TokenSet(access_token, refresh_token, policy.access_seconds, refresh_in)

    async def refresh(self, refresh_token: str) -> TokenSet:
        """Use a refresh token up and hand out a new pair; a reused one revokes its whole session."""
        async with self.database.pool.acquire() as connection, connection.transaction():
            row = await connection.fetchrow(
                "UPDATE refresh_tokens r SET used_at = now() FROM sessions s"
                " WHERE r.token_hash = $1 AND r.used_at IS NULL AND s.id = r.family_id"
                " RETURNING r.user_id, r.family_id, r.expires_at, s.client_id, s.expires_at AS session_ends,"
                " s.revoked_at",
                secret_digest(refresh_token),
            )
            if row is None:
                reused = await connection.fetchval(
                    "SELECT family_id FROM refresh_tokens WHERE token_hash = $1", secret_digest(refresh_token)
                )
                if reused is None:
                    raise invalid_grant("The refresh token is unknown.")
        if row is None:
            await self.reused(reused)
            raise invalid_grant("The refresh token was already used; the session has been revoked.")
        unusable = self.unusable(row["revoked_at"], row["session_ends"], row["expires_at"])
        if unusable:
            raise invalid_grant(unusable)
        return await self._pair(row["user_id"], row["family_id"], row["client_id"], row["session_ends"])

    @staticmethod
    def unusable(revoked_at: datetime | None, session_ends: datetime, refresh_expires: datetime) -> str | None:
        now = datetime.now(UTC)
        if revoked_at is not None:
            return "The session has ended."
        if session_ends <= now:
            return "The session reached its maximum lifetime; log in again."
        if refresh_expires <= now:
            return "The refresh token expired after going unused; log in again."
        return None

    async def reused(self, session_id: uuid.UUID) -> None:
        """A used refresh token came back: whoever holds the session's tokens may be a thief (RFC 9700 §4.14.2)."""
        await self.revoke(session_id, "refresh token reused")

    async def log_out(self, session_id: uuid.UUID) -> None:
        await self.revoke(session_id, "logged out")

    async def revoke(self, session_id: uuid.UUID, reason: str) -> None:
        async with self.database.pool.acquire() as connection, connection.transaction():
            await connection.execute(
                "UPDATE sessions SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL",
                session_id,
                reason,
            )
            await self.announce_end(connection, session_id)

    async def announce_end(self, connection: "asyncpg.pool.PoolConnectionProxy[Any]", session_id: uuid.UUID) -> None:
        """Tell every instance, so that each closes the session's chat sockets."""
        await connection.execute("SELECT pg_notify($1, $2)", SESSION_ENDED_CHANNEL, str(session_id))

    async def revoke_others(self, user_id: uuid.UUID, keep: uuid.UUID | None, reason: str) -> None:
        """Revoke every live session of a user but `keep`."""
        ended = await self.database.pool.fetch(
            "SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND id IS DISTINCT FROM $2",
            user_id,
            keep,
        )
        for row in ended:
            await self.revoke(row["id"], reason)

    async def ended_among(self, session_ids: list[uuid.UUID]) -> list[uuid.UUID]:
        """Those of the sessions that are no longer live (revoked, expired, or gone with their account)."""
        live = await self.database.pool.fetch(
            "SELECT id FROM sessions WHERE id = ANY($1::uuid[]) AND revoked_at IS NULL AND expires_at > now()",
            session_ids,
        )
        return sorted(set(session_ids) - {row["id"] for row in live})

    async def is_live(self, session_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        live: bool | None = await self.database.pool.fetchval(
            "SELECT true FROM sessions WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > now()",
            session_id,
            user_id,
        )
        return bool(live)


class SessionEndings:
    """Hears on PostgreSQL which sessions ended, on whichever instance, and hands each to `on_end`. After the
    database comes back, `catch_up` ends what ended unheard meanwhile."""

    def __init__(
        self,
        database_url: str,
        on_end: Callable[[uuid.UUID], Coroutine[Any, Any, None]],
        catch_up: Callable[[], Coroutine[Any, Any, None]],
    ) -> None:
        self.on_end = on_end
        self.pending: set[asyncio.Task[None]] = set()
        self.connection = HeldConnection(database_url, "session endings", self._listen, catch_up)

    async def _listen(self, connection: asyncpg.Connection) -> None:
        await connection.add_listener(SESSION_ENDED_CHANNEL, self._heard)

    async def start(self) -> None:
        await self.connection.open()

    def _heard(self, connection: object, pid: int, channel: str, payload: object) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(self.on_end(uuid.UUID(str(payload))))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def stop(self) -> None:
        await self.connection.close()
