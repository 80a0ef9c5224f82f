"""One-time tickets that authenticate a browser's WebSocket handshake."""

import secrets
import uuid
from datetime import UTC, datetime, timedelta

from reference_platform.database import Database
from reference_platform.identity.accounts import secret_digest


class TicketStore:
    def __init__(self, database: Database, ttl_seconds: int) -> None:
        self.database = database
        self.ttl_seconds = ttl_seconds

    async def issue(self, user_id: uuid.UUID) -> str:
        ticket = secrets.token_urlsafe(32)
        await self.database.pool.execute(
            "INSERT INTO ws_tickets (ticket_hash, user_id, expires_at) VALUES ($1, $2, $3)",
            secret_digest(ticket),
            user_id,
            datetime.now(UTC) + timedelta(seconds=self.ttl_seconds),
        )
        return ticket

    async def redeem(self, ticket: str) -> uuid.UUID | None:
        """Use a ticket up; its owner, or None if it is unknown, used or expired."""
        user_id: uuid.UUID | None = await self.database.pool.fetchval(
            "UPDATE ws_tickets SET used_at = now()"
            " WHERE ticket_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING user_id",
            secret_digest(ticket),
        )
        return user_id
