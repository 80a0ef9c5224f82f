"""One-time tickets that authenticate a browser's WebSocket handshake."""

import secrets
from datetime import UTC, datetime, timedelta

from reference_platform.database import Database
from reference_platform.identity.bearer import Caller
from reference_platform.identity.secrets import secret_digest


class TicketStore:
    def __init__(self, database: Database, ttl_seconds: int) -> None:
        self.database = database
        self.ttl_seconds = ttl_seconds

    async def issue(self, caller: Caller) -> str:
        ticket = secrets.token_urlsafe(32)
        await self.database.pool.execute(
            "INSERT INTO ws_tickets (ticket_hash, user_id, session_id, expires_at) VALUES ($1, $2, $3, $4)",
            secret_digest(ticket),
            caller.user_id,
            caller.session_id,
            datetime.now(UTC) + timedelta(seconds=self.ttl_seconds),
        )
        return ticket

    async def redeem(self, ticket: str) -> Caller | None:
        """Use a ticket up; its owner and session, or None if it is unknown, used, expired or its session ended."""
        row = await self.database.pool.fetchrow(
            "UPDATE ws_tickets t SET used_at = now() FROM sessions s"
            " WHERE t.ticket_hash = $1 AND t.used_at IS NULL AND t.expires_at > now()"
            " AND s.id = t.session_id AND s.revoked_at IS NULL AND s.expires_at > now()"
            " RETURNING t.user_id, t.session_id",
            secret_digest(ticket),
        )
        return Caller(row["user_id"], row["session_id"]) if row else None
