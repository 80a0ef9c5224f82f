"""Read-only checks straight against the platform's PostgreSQL, through asyncpg."""

import json
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from support.stack.service_errors import NotConfigured, ServiceUnavailable, describe

SUITE_EMAIL_DOMAIN = "chat-acceptance.test"


SECRET_TABLES = ("login_codes", "ws_tickets", "refresh_tokens", "sessions", "oidc_attempts")


class Rows:
    """One short connection per query, so a check never holds the database between steps."""

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

    async def ping(self) -> None:
        await self.fetch("SELECT 1")


class ChatRows(Rows):
    """Chats as the database holds them: threads, messages, runs and their events."""

    async def tables_holding(self, secrets: dict[str, str | None]) -> dict[str, list[str]]:
        """For each named secret, the tables of one-time secrets holding it as it is, in any column."""
        holding: dict[str, list[str]] = {}
        for name, secret in secrets.items():
            assert secret, f"no {name} to look for"
            holding[name] = [
                table
                for table in SECRET_TABLES
                if await self.fetch(f"SELECT 1 FROM {table} t WHERE strpos(t::text, $1) > 0 LIMIT 1", secret)
            ]
        return holding

    async def stored_messages(self, thread_id: str) -> list[dict[str, Any]]:
        return await self.fetch(
            "SELECT role, content, run_id::text AS run_id FROM messages WHERE thread_id = $1::uuid ORDER BY position",
            thread_id,
        )

    async def thread_rows(self, thread_id: str) -> list[dict[str, Any]]:
        """The thread with every column of its messages, then its runs with their journals, as rows: what a
        check compares before and after an attempt."""
        messages = await self.fetch(
            "SELECT t.id::text AS thread, t.user_id::text AS owner, t.title, t.created_at AS thread_created_at,"
            " m.id::text AS message, m.position, m.role, m.content, m.run_id::text AS run_id, m.created_at"
            " FROM threads t LEFT JOIN messages m ON m.thread_id = t.id WHERE t.id = $1::uuid ORDER BY m.position",
            thread_id,
        )
        runs = await self.fetch(
            "SELECT r.id::text AS run, r.status, r.started_at, r.ended_at,"
            " (SELECT jsonb_agg(e.event ORDER BY e.position) FROM run_events e WHERE e.run_id = r.id) AS journal"
            " FROM runs r WHERE r.thread_id = $1::uuid ORDER BY r.started_at, r.id",
            thread_id,
        )
        return [*messages, *runs]

    async def run_row(self, run_id: str) -> dict[str, Any] | None:
        rows = await self.fetch(
            "SELECT id::text AS run, status, started_at, ended_at,"
            " (SELECT count(*) FROM run_events e WHERE e.run_id = r.id) AS events FROM runs r WHERE id = $1::uuid",
            run_id,
        )
        return rows[0] if rows else None

    async def last_event_of(self, run_id: str) -> dict[str, Any] | None:
        rows = await self.fetch(
            "SELECT event FROM run_events WHERE run_id = $1::uuid ORDER BY position DESC LIMIT 1", run_id
        )
        return json.loads(rows[0]["event"]) if rows else None

    async def runs_in_thread(self, thread_id: str) -> list[dict[str, Any]]:
        return await self.fetch(
            "SELECT id::text AS run, status, started_at, ended_at FROM runs WHERE thread_id = $1::uuid"
            " ORDER BY started_at",
            thread_id,
        )

    async def chat_traces(self, thread_id: str, message_ids: list[str], run_ids: list[str]) -> dict[str, int]:
        """How many rows of a chat are left, each found by its own id as well as by the chat's."""
        [row] = await self.fetch(
            "SELECT"
            " (SELECT count(*) FROM threads WHERE id = $1::uuid) AS threads,"
            " (SELECT count(*) FROM messages WHERE thread_id = $1::uuid OR id = ANY($2::uuid[])"
            "   OR run_id = ANY($3::uuid[])) AS messages,"
            " (SELECT count(*) FROM runs WHERE thread_id = $1::uuid OR id = ANY($3::uuid[])) AS runs,"
            " (SELECT count(*) FROM run_events WHERE run_id = ANY($3::uuid[])) AS run_events",
            thread_id,
            message_ids,
            run_ids,
        )
        return {name: int(count) for name, count in row.items()}

    async def messages_with_ids(self, message_ids: list[str]) -> list[dict[str, Any]]:
        return await self.fetch(
            "SELECT id::text AS id, role, content FROM messages WHERE id = ANY($1::uuid[])", message_ids
        )


class AccountRows(Rows):
    """Accounts as the database holds them, and the suite's own test users."""

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

    async def traces_of(self, user_id: str, email: str, run_ids: list[str]) -> dict[str, int]:
        """How many rows of each store still name the account: by its id, by its email, and (for the runs
        and their events) by the ids her runs had, whether or not their thread is still there."""
        [row] = await self.fetch(
            "SELECT"
            " (SELECT count(*) FROM users WHERE id = $1::uuid OR email_normalized = lower($2)) AS users,"
            " (SELECT count(*) FROM threads WHERE user_id = $1::uuid) AS threads,"
            " (SELECT count(*) FROM messages m WHERE m.thread_id IN"
            "   (SELECT id FROM threads WHERE user_id = $1::uuid)) AS messages,"
            " (SELECT count(*) FROM sessions WHERE user_id = $1::uuid) AS sessions,"
            " (SELECT count(*) FROM refresh_tokens WHERE user_id = $1::uuid) AS refresh_tokens,"
            " (SELECT count(*) FROM ws_tickets WHERE user_id = $1::uuid) AS chat_tickets,"
            " (SELECT count(*) FROM identities WHERE user_id = $1::uuid OR lower(email) = lower($2)) AS identities,"
            " (SELECT count(*) FROM login_codes WHERE user_id = $1::uuid) AS login_codes,"
            " (SELECT count(*) FROM exports WHERE user_id = $1::uuid) AS exports,"
            " (SELECT count(*) FROM runs r WHERE r.id = ANY($3::uuid[]) OR r.thread_id IN"
            "   (SELECT id FROM threads WHERE user_id = $1::uuid)) AS runs,"
            " (SELECT count(*) FROM run_events WHERE run_id = ANY($3::uuid[])) AS run_events,"
            " (SELECT count(*) FROM rate_limits"
            "   WHERE strpos(key, $1::text) > 0 OR strpos(lower(key), lower($2)) > 0) AS rate_limits",
            user_id,
            email,
            run_ids,
        )
        return {name: int(count) for name, count in row.items()}

    async def account_data(self, user_id: str) -> dict[str, Any]:
        """What the platform stores for one account, in the export's shape, for a row-by-row comparison."""
        [profile] = await self.fetch("SELECT id, email, created_at, plan FROM users WHERE id = $1::uuid", user_id)
        identities = await self.fetch(
            "SELECT provider, subject, email, email_verified, created_at AS linked_at FROM identities"
            " WHERE user_id = $1::uuid ORDER BY created_at",
            user_id,
        )
        threads = await self.fetch(
            "SELECT id, title, created_at FROM threads WHERE user_id = $1::uuid ORDER BY created_at, id", user_id
        )
        for thread in threads:
            thread["messages"] = await self.fetch(
                "SELECT id, role, content, run_id, created_at FROM messages WHERE thread_id = $1 ORDER BY position",
                thread["id"],
            )
        return {"profile": profile, "identities": identities, "threads": threads}


class DatabaseProbe(ChatRows, AccountRows):
    """Read-only checks straight against the platform's PostgreSQL."""
