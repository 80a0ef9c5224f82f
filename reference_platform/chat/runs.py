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

from reference_platform.database import Database, HeldConnection

log = logging.getLogger(__name__)
RUN_EVENTS_CHANNEL = "run_events"
LEASE_LOCK_CLASS = 7305  # advisory lock class of instance leases; the second key is the instance id's hash
TERMINAL_EVENTS = frozenset({"agent_completed", "agent_error"})
RUN_INTERRUPTED = "run_interrupted"
CUT_OFF = "The server running this answer stopped before it finished. Ask again."
SERVICE_UNAVAILABLE = "service_unavailable"
DATABASE_LOST = "The database is unreachable; reconnect and try again shortly."


def ended_event(run: Any, code: str, message: str) -> dict[str, Any]:
    """The agent_error that ends a run (a row of id, thread_id and last_seq) on behalf of whoever ran it."""
    return {
        "type": "agent_error",
        "run_id": str(run["id"]),
        "thread_id": str(run["thread_id"]),
        "seq": (run["last_seq"] or 0) + 1,
        "code": code,
        "message": message,
    }


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
        self.live: set[uuid.UUID] = set()  # this instance's runs in progress

    async def begin(self, run_id: uuid.UUID, thread_id: uuid.UUID) -> None:
        await self.database.pool.execute(
            "INSERT INTO runs (id, thread_id, instance_id) VALUES ($1, $2, $3)", run_id, thread_id, self.instance_id
        )
        self.live.add(run_id)

    def finished(self, run_id: uuid.UUID) -> None:
        self.live.discard(run_id)

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
                await self._append(connection, orphan["id"], ended_event(orphan, RUN_INTERRUPTED, CUT_OFF))
                log.warning("run %s was cut off when its instance died; ended it", orphan["id"])
        return len(orphans)

    async def end_unfinished(self) -> None:
        """End this instance's runs that the journal still shows running but that are over: their last
        event went unstored while the database was away."""
        async with self.database.pool.acquire() as connection, connection.transaction():
            stale = await connection.fetch(
                "SELECT r.id, r.thread_id, (SELECT max(seq) FROM run_events e WHERE e.run_id = r.id) AS last_seq"
                " FROM runs r WHERE r.status = 'running' AND r.instance_id = $1 AND r.id <> ALL($2::uuid[])"
                " FOR UPDATE OF r SKIP LOCKED",
                self.instance_id,
                list(self.live),
            )
            for run in stale:
                await self._append(connection, run["id"], ended_event(run, SERVICE_UNAVAILABLE, DATABASE_LOST))
                log.warning("run %s ended while the database was away; ended it in the journal", run["id"])

    async def forget_expired(self) -> None:
        """Drop the events of runs that ended longer ago than the retention. The run itself stays (ids and times,
        no content; it goes with its chat), so a late resume is told run_expired, never run_not_found."""
        await self.database.pool.execute(
            "DELETE FROM run_events e USING runs r"
            " WHERE e.run_id = r.id AND r.ended_at < now() - make_interval(secs => $1)",
            float(self.retention_seconds),
        )


class InstanceLease:
    """This instance's advisory lock, held on a connection of its own for as long as the instance lives, and
    taken again when the database comes back. Its runs that ended while the database was away (their last
    event could not be stored) are then ended in the journal too."""

    def __init__(self, database_url: str, instance_id: uuid.UUID, journal: "RunJournal") -> None:
        self.instance_id = instance_id
        self.journal = journal
        self.connection = HeldConnection(database_url, "instance lease", self._lock, self.journal.end_unfinished)

    async def _lock(self, connection: asyncpg.Connection) -> None:
        await connection.execute("SELECT pg_advisory_lock($1, hashtext($2))", LEASE_LOCK_CLASS, str(self.instance_id))

    async def take(self) -> None:
        await self.connection.open()

    async def release(self) -> None:
        await self.connection.close()


class RunFeed:
    """Hears on PostgreSQL that a run has new events, whichever instance runs it. After the database comes
    back, every watcher is woken to read what it may have missed."""

    def __init__(self, database_url: str) -> None:
        self.watchers: dict[uuid.UUID, set[asyncio.Event]] = defaultdict(set)
        self.connection = HeldConnection(database_url, "run feed", self._listen, self._wake_everyone)

    async def _listen(self, connection: asyncpg.Connection) -> None:
        await connection.add_listener(RUN_EVENTS_CHANNEL, self._heard)

    async def _wake_everyone(self) -> None:
        for watchers in self.watchers.values():
            for news in watchers:
                news.set()

    async def start(self) -> None:
        await self.connection.open()

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
        await self.connection.close()
