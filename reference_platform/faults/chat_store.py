"""Defects in the stored chats: threads, messages and who may read or delete them."""

import uuid
from datetime import UTC, datetime

from reference_platform.chat.threads import ChatStore, Message, Thread
from reference_platform.faults.fault import Fault
from reference_platform.problems import Problem


class ForgetsAnswers(ChatStore):
    async def add_message(self, thread_id: uuid.UUID, role: str, content: str, run_id: uuid.UUID | None) -> Message:
        if role != "assistant":
            return await super().add_message(thread_id, role, content, run_id)
        return Message(uuid.uuid4(), thread_id, role, content, run_id, created_at=datetime.now(UTC))


class MisfilesAnswers(ChatStore):
    async def add_message(self, thread_id: uuid.UUID, role: str, content: str, run_id: uuid.UUID | None) -> Message:
        if role != "assistant":
            return await super().add_message(thread_id, role, content, run_id)
        other_thread = uuid.uuid4()
        await self.database.pool.execute(
            "INSERT INTO threads (id, user_id, title) SELECT $1, user_id, 'misfiled' FROM threads WHERE id = $2",
            other_thread,
            thread_id,
        )
        return await super().add_message(other_thread, role, content, run_id)


class ReadableByAnyone(ChatStore):
    async def owned_thread(self, owner_id: uuid.UUID, thread_id: uuid.UUID) -> Thread | None:
        row = await self.database.pool.fetchrow("SELECT id, title, created_at FROM threads WHERE id = $1", thread_id)
        return Thread(**dict(row)) if row else None


class ListsEveryonesThreads(ChatStore):
    async def threads_of(self, owner_id: uuid.UUID) -> list[Thread]:
        rows = await self.database.pool.fetch(
            "SELECT id, title, created_at FROM threads ORDER BY created_at DESC LIMIT 20"
        )
        return [Thread(**dict(row)) for row in rows]


class DeletableByAnyone(ChatStore):
    async def delete_thread(self, owner_id: uuid.UUID, thread_id: uuid.UUID) -> bool:
        deleted = await self.database.pool.fetchval("DELETE FROM threads WHERE id = $1 RETURNING id", thread_id)
        return deleted is not None


class PretendsToDelete(ChatStore):
    async def delete_thread(self, owner_id: uuid.UUID, thread_id: uuid.UUID) -> bool:
        return await self.owned_thread(owner_id, thread_id) is not None


class KeepsAnswersInMemory(ChatStore):
    """Answers go to a write-behind cache that is never written out: the history the app reads has them,
    the database never does."""

    async def add_message(self, thread_id: uuid.UUID, role: str, content: str, run_id: uuid.UUID | None) -> Message:
        if role != "assistant":
            return await super().add_message(thread_id, role, content, run_id)
        message = Message(uuid.uuid4(), thread_id, role, content, run_id, created_at=datetime.now(UTC))
        self.__dict__.setdefault("unwritten", []).append(message)
        return message

    async def messages_of(self, thread_id: uuid.UUID) -> list[Message]:
        cached = [message for message in self.__dict__.get("unwritten", []) if message.thread_id == thread_id]
        return [*await super().messages_of(thread_id), *cached]


class ClearsMessagesBeforeCheckingTheOwner(ChatStore):
    async def delete_thread(self, owner_id: uuid.UUID, thread_id: uuid.UUID) -> bool:
        await self.database.pool.execute("DELETE FROM messages WHERE thread_id = $1", thread_id)
        return await super().delete_thread(owner_id, thread_id)


class SaysWhoseThreadItIs(ChatStore):
    """Refuses another customer's chat with the same 404, but a detail that tells it exists."""

    async def _refuse_if_foreign(self, owner_id: uuid.UUID, thread_id: uuid.UUID) -> None:
        if await self.database.pool.fetchval(
            "SELECT true FROM threads WHERE id = $1 AND user_id <> $2", thread_id, owner_id
        ):
            raise Problem(404, "thread-not-found", "No such thread", "It belongs to another customer.")

    async def owned_thread(self, owner_id: uuid.UUID, thread_id: uuid.UUID) -> Thread | None:
        await self._refuse_if_foreign(owner_id, thread_id)
        return await super().owned_thread(owner_id, thread_id)

    async def delete_thread(self, owner_id: uuid.UUID, thread_id: uuid.UUID) -> bool:
        await self._refuse_if_foreign(owner_id, thread_id)
        return await super().delete_thread(owner_id, thread_id)


class MovesDeletedChatsToTrash(ChatStore):
    """Deleting a chat moves its messages and runs into a hidden chat of the same customer."""

    async def delete_thread(self, owner_id: uuid.UUID, thread_id: uuid.UUID) -> bool:
        if await self.owned_thread(owner_id, thread_id) is None:
            return False
        trash = uuid.uuid4()
        async with self.database.pool.acquire() as connection, connection.transaction():
            await connection.execute(
                "INSERT INTO threads (id, user_id, title) VALUES ($1, $2, 'trash')", trash, owner_id
            )
            await connection.execute("UPDATE messages SET thread_id = $1 WHERE thread_id = $2", trash, thread_id)
            await connection.execute("UPDATE runs SET thread_id = $1 WHERE thread_id = $2", trash, thread_id)
        return await super().delete_thread(owner_id, thread_id)


class ClearsTheRunJournalBeforeCheckingTheOwner(ChatStore):
    """Deleting a chat first drops the journals of its runs, whoever asks, then checks the owner."""

    async def delete_thread(self, owner_id: uuid.UUID, thread_id: uuid.UUID) -> bool:
        await self.database.pool.execute(
            "DELETE FROM run_events WHERE run_id IN (SELECT id FROM runs WHERE thread_id = $1)", thread_id
        )
        return await super().delete_thread(owner_id, thread_id)


FAULTS: dict[str, Fault] = {
    "answers_never_written": Fault(
        "the agent's answers stay in a cache that is never written to the database",
        {"chats": KeepsAnswersInMemory},
    ),
    "foreign_delete_clears_messages": Fault(
        "deleting a chat clears its messages before checking who owns it",
        {"chats": ClearsMessagesBeforeCheckingTheOwner},
    ),
    "foreign_thread_named_in_refusal": Fault(
        "another customer's chat is refused with a 404 that says it belongs to someone else",
        {"chats": SaysWhoseThreadItIs},
    ),
    "deleted_chat_kept_in_trash": Fault(
        "deleting a chat moves its messages and runs into a hidden chat", {"chats": MovesDeletedChatsToTrash}
    ),
    "foreign_delete_clears_run_journal": Fault(
        "deleting a chat drops its runs' journals before checking who asks",
        {"chats": ClearsTheRunJournalBeforeCheckingTheOwner},
    ),
    "answer_not_saved": Fault("the agent's answer is not saved", {"chats": ForgetsAnswers}),
    "answer_in_other_thread": Fault("the agent's answer is saved to another thread", {"chats": MisfilesAnswers}),
    "thread_readable_by_anyone": Fault("anyone can read a thread's messages by its id", {"chats": ReadableByAnyone}),
    "thread_list_leaks": Fault("the list of threads holds everyone's newest", {"chats": ListsEveryonesThreads}),
    "thread_deletable_by_anyone": Fault("anyone can delete a thread by its id", {"chats": DeletableByAnyone}),
    "thread_delete_does_nothing": Fault("deleting a thread answers 204 and keeps it", {"chats": PretendsToDelete}),
}
