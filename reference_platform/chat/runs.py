"""Runs and their events in PostgreSQL, so that a client that lost its socket can resume on any instance.

Every event is stored before it is sent, and announced on the channel `run_events`. Each instance holds
an advisory lock on its own id while it lives (its lease). A running run whose instance no longer holds
its lease was cut off, the process killed: whoever notices ends it with agent_error `run_interrupted`.
"""

import asyncio
import contextlib
import json
import logging
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg

from reference_platform.database import Database

log = logging.getLogger(__name__)
RUN_EVENTS_CHANNEL = "run_events"
LEASE_LOCK_CLASS = 7305  # advisory lock class of instance leases; the second key is the instance id's hash
TERMINAL_EVENTS = frozenset({"agent_completed", "agent_error"})
RUN_INTERRUPTED = "run_interrupted"
CUT_OFF = "The server running this answer stopped before it finished. Ask again."


@dataclass(frozen=True)
class RunState:
    thread_id: uuid.UUID
    status: str
    expired: bool


class RunJournal:
    """Stores each run and its events; replays them, and ends the runs whose instance died."""

    def __init__(self, database: Database, instance_id: uuid.UUID, retention_seconds: int) -> None:
        self.database = database
        self.instance_id = instance_id
        self.retention_seconds = retention_seconds

    async def begin(self, run_id: uuid.UUID, thread_id: uuid.UUID) -> None:
        await self.database.pool.execute(
            "INSERT INTO runs (id, thread_id, instance_id) VALUES ($1, $2, $3)", run_id, thread_id, self.instance_id
        )

    async def record(self, run_id: uuid.UUID, event: dict[str, Any]) -> None:
        async with self.database.pool.acquire() as connection, connection.transaction():
            await self._append(connection, run_id, event)

    @staticmethod
    async def _append(connection: Any, run_id: uuid.UUID, event: dict[str, Any]) -> None:
        seq = event.get("seq")
        await connection.execute(
            "INSERT INTO run_events (run_id, seq, event) VALUES ($1, $2, $3)",
            run_id,
            seq if isinstance(seq, int) else None,
            json.dumps(event),
        )
        if event.get("type") in TERMINAL_EVENTS:
            status = "completed" if event["type"] == "agent_completed" else "failed"
            await connection.execute(
                "UPDATE runs SET status = $2, ended_at = now() WHERE id = $1 AND status = 'running'", run_id, status
            )
        await connection.execute("SELECT pg_notify($1, $2)", RUN_EVENTS_CHANNEL, str(run_id))

    async def run_of(self, user_id: uuid.UUID, run_id: uuid.UUID) -> RunState | None:
        """The run, if it is in one of the user's threads."""
        row = await self.database.pool.fetchrow(
            "SELECT r.thread_id, r.status, r.ended_at < now() - make_interval(secs => $3) AS expired"
            " FROM runs r JOIN threads t ON t.id = r.thread_id WHERE r.id = $1 AND t.user_id = $2",
            run_id,
            user_id,
            float(self.retention_seconds),
        )
        return RunState(row["thread_id"], row["status"], bool(row["expired"])) if row else None

    async def events_after(self, run_id: uuid.UUID, seq: int) -> list[dict[str, Any]]:
        rows = await self.database.pool.fetch(
            "SELECT event FROM run_events WHERE run_id = $1 AND coalesce(seq, 0) > $2 ORDER BY position", run_id, seq
        )
        return [json.loads(row["event"]) for row in rows]

    async def interrupt_orphans(self, run_id: uuid.UUID | None = None) -> int:
        """End every running run (or the one named) whose instance no longer holds its lease."""
        async with self.database.pool.acquire() as connection, connection.transaction():
            orphans = await connection.fetch(
                "SELECT r.id, r.thread_id, (SELECT max(seq) FROM run_events e WHERE e.run_id = r.id) AS last_seq"
                " FROM runs r WHERE r.status = 'running' AND ($1::uuid IS NULL OR r.id = $1)"
                " AND r.instance_id <> $2 AND pg_try_advisory_xact_lock($3, hashtext(r.instance_id::text))"
                " FOR UPDATE OF r SKIP LOCKED",
                run_id,
                self.instance_id,
                LEASE_LOCK_CLASS,
            )
            for orphan in orphans:
                event = {
                    "type": "agent_error",
                    "run_id": str(orphan["id"]),
                    "thread_id": str(orphan["thread_id"]),
                    "seq": (orphan["last_seq"] or 0) + 1,
                    "code": RUN_INTERRUPTED,
                    "message": CUT_OFF,
                }
                await self._append(connection, orphan["id"], event)
                log.warning("run %s was cut off when its instance died; ended it", orphan["id"])
        return len(orphans)

    async def forget_expired(self) -> None:
        await self.database.pool.execute(
            "DELETE FROM runs WHERE ended_at < now() - make_interval(secs => $1)", float(self.retention_seconds)
        )


class InstanceLease:
    """This instance's advisory lock, held on a connection of its own for as long as the instance lives."""

    def __init__(self, database_url: str, instance_id: uuid.UUID) -> None:
        self.database_url = database_url
        self.instance_id = instance_id
        self.connection: asyncpg.Connection | None = None

    async def take(self) -> None:
        self.connection = await asyncpg.connect(self.database_url, timeout=10)
        await self.connection.execute(
            "SELECT pg_advisory_lock($1, hashtext($2))", LEASE_LOCK_CLASS, str(self.instance_id)
        )

    async def release(self) -> None:
        if self.connection is not None and not self.connection.is_closed():
            await self.connection.close(timeout=5)


class RunFeed:
    """Hears on PostgreSQL that a run has new events, whichever instance runs it."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.connection: asyncpg.Connection | None = None
        self.watchers: dict[uuid.UUID, set[asyncio.Event]] = defaultdict(set)

    async def start(self) -> None:
        self.connection = await asyncpg.connect(self.database_url, timeout=10)
        await self.connection.add_listener(RUN_EVENTS_CHANNEL, self._heard)

    def _heard(self, connection: object, pid: int, channel: str, payload: object) -> None:
        with contextlib.suppress(ValueError):
            for news in self.watchers.get(uuid.UUID(str(payload)), ()):
                news.set()

    @contextlib.asynccontextmanager
    async def watching(self, run_id: uuid.UUID) -> AsyncIterator[asyncio.Event]:
        """An event set whenever the run has news; clear it before reading the news."""
        news = asyncio.Event()
        self.watchers[run_id].add(news)
        try:
            yield news
        finally:
            self.watchers[run_id].discard(news)
            if not self.watchers[run_id]:
                del self.watchers[run_id]

    async def stop(self) -> None:
        if self.connection is not None and not self.connection.is_closed():
            await self.connection.close(timeout=5)
