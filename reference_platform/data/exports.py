"""Data exports (GDPR Articles 15 and 20): a customer asks, a background job builds, an expiring link delivers.

The request is a row in PostgreSQL, so a restart loses nothing: the job takes up every export still
pending or left half-built. The file is JSON, written as the rows stream out of the database, so memory
stays flat for large accounts. Format, version 1:

    {"manifest": {"format": "chat-platform-export", "version": 1, "export_id", "account_id", "generated_at"},
     "profile": {"id", "email", "created_at", "plan"},
     "identities": [{"provider", "subject", "email", "email_verified", "linked_at"}],
     "threads": [{"id", "title", "created_at",
                  "messages": [{"id", "role", "content", "run_id", "created_at"}]}]}
"""

import asyncio
import contextlib
import json
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from reference_platform.database import Database
from reference_platform.identity.secrets import secret_digest
from reference_platform.problems import Problem

log = logging.getLogger(__name__)
FORMAT, VERSION = "chat-platform-export", 1
POLL_SECONDS = 0.2
STALE_BUILD = timedelta(minutes=5)  # a build this old was cut off (by a restart); build it again


def export_not_found() -> Problem:
    return Problem(404, "export-not-found", "No such export")


@dataclass(frozen=True)
class ExportStatus:
    id: uuid.UUID
    status: str
    requested_at: datetime
    finished_at: datetime | None
    link_expires_at: datetime | None
    failure: str | None

    def public(self, download_url: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": str(self.id),
            "status": self.status,
            "requested_at": self.requested_at.isoformat(),
        }
        if self.finished_at:
            body["finished_at"] = self.finished_at.isoformat()
        if download_url:
            body["download_url"] = download_url
            body["link_expires_at"] = self.link_expires_at.isoformat() if self.link_expires_at else None
        if self.failure:
            body["failure"] = self.failure
        return body


def encode(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


class ExportJobs:
    """Building exports in the background: the next pending one taken, written to a file, or marked failed."""

    database: Database
    directory: Path

    async def take_next(self) -> tuple[uuid.UUID, uuid.UUID] | None:
        row = await self.database.pool.fetchrow(
            "UPDATE exports SET status = 'building', started_at = now() WHERE id = ("
            "  SELECT id FROM exports WHERE status = 'pending'"
            "  OR (status = 'building' AND started_at < now() - $1::interval)"
            "  ORDER BY requested_at FOR UPDATE SKIP LOCKED LIMIT 1"
            ") RETURNING id, user_id",
            STALE_BUILD,
        )
        return (row["id"], row["user_id"]) if row else None

    async def build(self, export_id: uuid.UUID, user_id: uuid.UUID) -> None:
        file_name = f"{export_id}.json"
        partial = self.directory / f"{file_name}.partial"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with partial.open("w", encoding="utf-8") as out:
                await self.write(out, export_id, user_id)
            partial.rename(self.directory / file_name)
        except Exception as error:
            log.exception("export %s failed", export_id)
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
            await self.mark_failed(export_id, error)
            return
        ready = await self.database.pool.fetchval(
            "UPDATE exports SET status = 'ready', finished_at = now(), file_name = $2 WHERE id = $1 RETURNING id",
            export_id,
            file_name,
        )
        if ready is None:  # the account was erased while its export was being built: the file goes too
            (self.directory / file_name).unlink(missing_ok=True)
            log.info("export %s was erased with its account while it was built; its file is removed", export_id)
            return
        log.info("export %s of user %s is ready", export_id, user_id)

    async def mark_failed(self, export_id: uuid.UUID, error: Exception) -> None:
        await self.database.pool.execute(
            "UPDATE exports SET status = 'failed', finished_at = now(), failure = $2 WHERE id = $1",
            export_id,
            f"{type(error).__name__}: the export could not be written; ask for a new one",
        )

    async def write(self, out: Any, export_id: uuid.UUID, user_id: uuid.UUID) -> None:
        """Stream the account's rows into the file, thread by thread and message by message."""
        async with self.database.pool.acquire() as connection, connection.transaction(isolation="repeatable_read"):
            profile = await connection.fetchrow("SELECT id, email, created_at, plan FROM users WHERE id = $1", user_id)
            if profile is None:
                raise LookupError("the account no longer exists")
            manifest = {"format": FORMAT, "version": VERSION, "export_id": str(export_id),
                        "account_id": str(user_id), "generated_at": datetime.now(UTC).isoformat()}  # fmt: skip
            identities = await connection.fetch(
                "SELECT provider, subject, email, email_verified, created_at AS linked_at FROM identities"
                " WHERE user_id = $1 ORDER BY created_at",
                user_id,
            )
            out.write(f'{{"manifest": {encode(manifest)}, "profile": {encode(dict(profile))}, ')
            out.write(f'"identities": {encode([dict(row) for row in identities])}, "threads": [')
            first_thread = True
            async for thread in connection.cursor(
                "SELECT id, title, created_at FROM threads WHERE user_id = $1 ORDER BY created_at, id", user_id
            ):
                out.write(("" if first_thread else ", ") + encode(dict(thread))[:-1] + ', "messages": [')
                first_thread = False
                first_message = True
                async for message in connection.cursor(
                    "SELECT id, role, content, run_id, created_at FROM messages WHERE thread_id = $1 ORDER BY position",
                    thread["id"],
                ):
                    out.write(("" if first_message else ", ") + encode(dict(message)))
                    first_message = False
                out.write("]}")
            out.write("]}")

    async def run_jobs(self, stop: asyncio.Event) -> None:
        """Build pending exports until stopped; an export of a restarted instance is taken up again."""
        while not stop.is_set():
            try:
                job = await self.take_next()
            except Exception as error:
                log.warning("export job cannot read the queue: %r", error)
                job = None
            if job is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), POLL_SECONDS)
                continue
            await self.build(*job)


class Exports(ExportJobs):
    """A customer's exports: asked for, their status, their download links and files, and their removal."""

    def __init__(self, database: Database, directory: Path, link_seconds: int) -> None:
        self.database = database
        self.directory = directory
        self.link_seconds = link_seconds

    async def request(self, user_id: uuid.UUID) -> uuid.UUID:
        export_id = uuid.uuid4()
        await self.database.pool.execute("INSERT INTO exports (id, user_id) VALUES ($1, $2)", export_id, user_id)
        return export_id

    async def status(self, user_id: uuid.UUID, export_id: uuid.UUID) -> ExportStatus:
        row = await self.database.pool.fetchrow(
            "SELECT id, status, requested_at, finished_at, link_expires_at, failure FROM exports"
            " WHERE id = $1 AND user_id = $2",
            export_id,
            user_id,
        )
        if row is None:
            raise export_not_found()
        return ExportStatus(**dict(row))

    async def new_link(self, user_id: uuid.UUID, export_id: uuid.UUID) -> str:
        """A fresh download key for a ready export; each status read hands out one, valid a short while."""
        key = secrets.token_urlsafe(24)
        updated = await self.database.pool.fetchval(
            "UPDATE exports SET link_hash = $3, link_expires_at = $4"
            " WHERE id = $1 AND user_id = $2 AND status = 'ready' RETURNING id",
            export_id,
            user_id,
            secret_digest(key),
            datetime.now(UTC) + timedelta(seconds=self.link_seconds),
        )
        if updated is None:
            raise export_not_found()
        return key

    async def file_for(self, user_id: uuid.UUID, export_id: uuid.UUID, key: str) -> Path:
        """The export's file, if the key is its current link and has not expired."""
        row = await self.database.pool.fetchrow(
            "SELECT file_name, link_hash, link_expires_at FROM exports"
            " WHERE id = $1 AND user_id = $2 AND status = 'ready'",
            export_id,
            user_id,
        )
        if row is None or row["link_hash"] is None or not secrets.compare_digest(row["link_hash"], secret_digest(key)):
            raise export_not_found()
        if row["link_expires_at"] <= datetime.now(UTC):
            raise Problem(410, "export-link-expired", "The download link has expired",
                          "Read the export's status again for a new link.")  # fmt: skip
        return self.directory / str(row["file_name"])

    def download_headers(self) -> dict[str, str]:
        """An export holds personal data: never cached, always downloaded as a file."""
        return {"Cache-Control": "no-store", "Content-Disposition": 'attachment; filename="export.json"'}

    async def forget_all(self, user_id: uuid.UUID) -> list[Path]:
        """Delete the account's exports, and name the files of those that were ready. A build that finishes
        later finds its row gone and removes its own file (build), so no file outlives its row."""
        rows = await self.database.pool.fetch("DELETE FROM exports WHERE user_id = $1 RETURNING file_name", user_id)
        return [self.directory / row["file_name"] for row in rows if row["file_name"]]

    # The background job.
