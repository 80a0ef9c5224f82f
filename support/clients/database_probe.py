"""Read-only checks straight against the platform's PostgreSQL, through asyncpg."""

from typing import Any
from urllib.parse import urlsplit

import asyncpg

from support.stack.service_errors import NotConfigured, ServiceUnavailable, describe

SUITE_EMAIL_DOMAIN = "chat-acceptance.test"


class DatabaseProbe:
    def __init__(self, url: str | None, timeout: float = 5.0) -> None:
        self.url = url
        self.timeout = timeout

    @property
    def address(self) -> str:
        parts = urlsplit(self.url or "")
        return f"{parts.hostname}:{parts.port or 5432}{parts.path}"

    async def fetch(self, query: str, *args: Any) -> list[dict[str, Any]]:
        if self.url is None:
            raise NotConfigured(
                "This check reads the platform's database, but no database_url is configured "
                "(behave -D database_url=... or CHAT_ACCEPTANCE_DATABASE_URL)."
            )
        try:
            connection = await asyncpg.connect(self.url, timeout=self.timeout)
        except (OSError, TimeoutError, asyncpg.PostgresError) as error:
            raise ServiceUnavailable("PostgreSQL", self.address, describe(error)) from error
        try:
            return [dict(row) for row in await connection.fetch(query, *args, timeout=self.timeout)]
        finally:
            await connection.close(timeout=self.timeout)

    async def stored_messages(self, thread_id: str) -> list[dict[str, Any]]:
        return await self.fetch(
            "SELECT role, content, run_id::text AS run_id FROM messages WHERE thread_id = $1::uuid ORDER BY position",
            thread_id,
        )

    async def suite_users(self) -> list[str]:
        rows = await self.fetch("SELECT email FROM users WHERE email_normalized LIKE $1", f"%@{SUITE_EMAIL_DOMAIN}")
        return [row["email"] for row in rows]

    async def purge_suite_user(self, user_id: str) -> None:
        """Delete one of the suite's own users (never anyone else's) when the product's API cannot."""
        await self.fetch(
            "DELETE FROM users WHERE id = $1::uuid AND email_normalized LIKE $2 RETURNING id",
            user_id,
            f"%@{SUITE_EMAIL_DOMAIN}%",
        )

    async def ping(self) -> None:
        await self.fetch("SELECT 1")

    async def identities_of(self, user_id: str) -> list[dict[str, Any]]:
        return await self.fetch(
            "SELECT provider, subject, email, email_verified FROM identities"
            " WHERE user_id = $1::uuid ORDER BY created_at",
            user_id,
        )

    async def accounts_with_email(self, email: str) -> list[dict[str, Any]]:
        return await self.fetch(
            "SELECT id::text AS id, email, created_at FROM users WHERE email_normalized = lower($1)", email.strip()
        )
