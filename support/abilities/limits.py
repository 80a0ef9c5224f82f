"""Writes that count against her plan's limits, kept so their answers can be compared."""

import secrets
from typing import TYPE_CHECKING

from support.clients.http_client import ApiResponse

if TYPE_CHECKING:
    from support.actors import Actor


class Limits:
    def __init__(self, actor: "Actor") -> None:
        self.actor = actor
        self.writes: list[ApiResponse] = []  # her requests that count against a limit, in order
        self.plan_answer: ApiResponse | None = None  # what the admin API said when her plan changed

    async def open_thread(self) -> ApiResponse:
        """One write: open a chat thread (no socket)."""
        response = await self.actor.api.create_thread(self.actor.session.token, "Another chat")
        self.writes.append(response)
        return response

    async def write_until_refused(self, most: int = 300) -> ApiResponse:
        for _ in range(most):
            if (await self.open_thread()).status == 429:
                return self.writes[-1]
        raise AssertionError(f"{self.actor.name} opened {most} chats and was never refused")

    async def log_in_from_until_refused(self, address: str, most: int = 150) -> list[ApiResponse]:
        """Logins to accounts nobody has, over connections from `address`, until one is refused as too many."""
        api, tries = self.actor.api.from_address(address), []
        try:
            for attempt in range(most):
                tries.append(await api.log_in(f"nobody-{attempt}-{secrets.token_hex(4)}@example.com", "not a password"))
                if tries[-1].status == 429:
                    break
        finally:
            await api.http.aclose()
        return tries

    async def export_until_refused(self, most: int = 50) -> ApiResponse:
        """Ask for exports of her data until the exports limit refuses one."""
        for _ in range(most):
            self.writes.append(await self.actor.api.request_export(self.actor.session.token))
            if self.writes[-1].status == 429:
                return self.writes[-1]
        raise AssertionError(f"{self.actor.name} asked for {most} exports and was never refused")
