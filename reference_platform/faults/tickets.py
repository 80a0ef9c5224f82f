"""Defects in chat tickets."""

import uuid
from typing import Any

from reference_platform.faults.fault import Fault
from reference_platform.identity.bearer import Caller
from reference_platform.identity.secrets import secret_digest
from reference_platform.identity.tickets import TicketStore


class DayLongTickets(TicketStore):
    def __init__(self, database: Any, ttl_seconds: int) -> None:
        super().__init__(database, 86400)


class TicketsKeptAsIssued(TicketStore):
    async def issue(self, caller: Caller) -> str:
        ticket = await super().issue(caller)
        await self.database.pool.execute(
            "UPDATE ws_tickets SET ticket_hash = $1 WHERE ticket_hash = $2", ticket, secret_digest(ticket)
        )
        return ticket

    async def redeem(self, ticket: str) -> Caller | None:
        await self.database.pool.execute(
            "UPDATE ws_tickets SET ticket_hash = $2 WHERE ticket_hash = $1", ticket, secret_digest(ticket)
        )
        return await super().redeem(ticket)


class OpensUnknownTicketsAsGuest(TicketStore):
    async def redeem(self, ticket: str) -> Caller | None:
        return await super().redeem(ticket) or Caller(uuid.UUID(int=0), uuid.UUID(int=0))


class TicketsOutliveTheirLifetime(TicketStore):
    """A ticket works for a day, whatever its expires_in says (and housekeeping leaves it, unexpired)."""

    async def issue(self, caller: Caller) -> str:
        ticket = await super().issue(caller)
        await self.database.pool.execute(
            "UPDATE ws_tickets SET expires_at = now() + interval '1 day' WHERE ticket_hash = $1", secret_digest(ticket)
        )
        return ticket


class ReusableTickets(TicketStore):
    async def redeem(self, ticket: str) -> Caller | None:
        row = await self.database.pool.fetchrow(
            "SELECT user_id, session_id FROM ws_tickets WHERE ticket_hash = $1 AND expires_at > now()",
            secret_digest(ticket),
        )
        return Caller(row["user_id"], row["session_id"]) if row else None


FAULTS: dict[str, Fault] = {
    "unknown_ticket_opens": Fault(
        "a ticket the platform never issued opens a chat as a guest", {"tickets": OpensUnknownTicketsAsGuest}
    ),
    "tickets_reusable": Fault("a chat ticket opens a chat again and again", {"tickets": ReusableTickets}),
    "tickets_outlive_their_lifetime": Fault(
        "a chat ticket works for a day, whatever its expires_in says", {"tickets": TicketsOutliveTheirLifetime}
    ),
    "day_long_tickets": Fault("chat tickets live a day", {"tickets": DayLongTickets}),
    "tickets_kept_as_issued": Fault(
        "chat tickets are stored as issued, not as digests", {"tickets": TicketsKeptAsIssued}
    ),
}
