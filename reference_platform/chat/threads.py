"""Threads and their messages, readable only by their owner."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reference_platform.database import Database


@dataclass(frozen=True)
class Thread:
    id: uuid.UUID
    title: str
    created_at: datetime

    def public(self) -> dict[str, Any]:
        return {"id": str(self.id), "title": self.title, "created_at": self.created_at.isoformat()}


@dataclass(frozen=True)
class Message:
    id: uuid.UUID
    thread_id: uuid.UUID
    role: str
    content: str
    run_id: uuid.UUID | None
    created_at: datetime

    def public(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "thread_id": str(self.thread_id),
            "role": self.role,
            "content": self.content,
            "run_id": str(self.run_id) if self.run_id else None,
            "created_at": self.created_at.isoformat(),
        }


MESSAGE_COLUMNS = "id, thread_id, role, content, run_id, created_at"


class ChatStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def create_thread(self, owner_id: uuid.UUID, title: str) -> Thread:
        row = await self.database.pool.fetchrow(
            "INSERT INTO threads (id, user_id, title) VALUES ($1, $2, $3) RETURNING id, title, created_at",
            uuid.uuid4(),
            owner_id,
            title,
        )
        assert row is not None, "INSERT ... RETURNING returned no row"
        return Thread(**dict(row))

    async def claim_thread(self, owner_id: uuid.UUID, thread_id: uuid.UUID, title: str) -> None:
        """A thread with the id an app chose, for this owner, unless the id is taken (by her or anyone)."""
        await self.database.pool.execute(
            "INSERT INTO threads (id, user_id, title) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
            thread_id,
            owner_id,
            title,
        )

    async def threads_of(self, owner_id: uuid.UUID) -> list[Thread]:
        rows = await self.database.pool.fetch(
            "SELECT id, title, created_at FROM threads WHERE user_id = $1 ORDER BY created_at, id", owner_id
        )
        return [Thread(**dict(row)) for row in rows]

    async def owned_thread(self, owner_id: uuid.UUID, thread_id: uuid.UUID) -> Thread | None:
        row = await self.database.pool.fetchrow(
            "SELECT id, title, created_at FROM threads WHERE id = $1 AND user_id = $2", thread_id, owner_id
        )
        return Thread(**dict(row)) if row else None

    async def delete_thread(self, owner_id: uuid.UUID, thread_id: uuid.UUID) -> bool:
        """Delete one of the owner's threads with its messages; False if she has no such thread."""
        deleted = await self.database.pool.fetchval(
            "DELETE FROM threads WHERE id = $1 AND user_id = $2 RETURNING id", thread_id, owner_id
        )
        return deleted is not None

    async def messages_of(self, thread_id: uuid.UUID) -> list[Message]:
        rows = await self.database.pool.fetch(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE thread_id = $1 ORDER BY position", thread_id
        )
        return [Message(**dict(row)) for row in rows]

    async def add_message(self, thread_id: uuid.UUID, role: str, content: str, run_id: uuid.UUID | None) -> Message:
        row = await self.database.pool.fetchrow(
            f"INSERT INTO messages (id, thread_id, role, content, run_id) VALUES ($1, $2, $3, $4, $5)"
            f" RETURNING {MESSAGE_COLUMNS}",
            uuid.uuid4(),
            thread_id,
            role,
            content,
            run_id,
        )
        assert row is not None, "INSERT ... RETURNING returned no row"
        return Message(**dict(row))
