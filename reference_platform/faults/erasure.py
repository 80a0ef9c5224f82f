"""Defects in erasing an account and everything it holds."""

import uuid
from pathlib import Path

from reference_platform.data.erasure import Erasure, reauthentication_required
from reference_platform.faults.fault import Fault
from reference_platform.identity.bearer import Caller


class ErasesWithoutPassword(Erasure):
    async def reauthenticate(self, caller: Caller, password: str | None) -> None:
        return None


class TrustsOldSignIns(Erasure):
    """An account with no password is erased on any sign-in, however old."""

    async def reauthenticate(self, caller: Caller, password: str | None) -> None:
        if await self.users.password_hash_of(caller.user_id) is not None:
            await super().reauthenticate(caller, password)


class KeepsMessages(Erasure):
    """Moves the customer's threads to an archive account before erasing: her messages survive."""

    async def erase(self, caller: Caller, password: str | None) -> None:
        archive = await self.database.pool.fetchval(
            "INSERT INTO users (id, email, email_normalized) VALUES ($1, 'archive@platform.internal',"
            " 'archive@platform.internal') ON CONFLICT (email_normalized) DO UPDATE SET email = excluded.email"
            " RETURNING id",
            uuid.uuid4(),
        )
        await self.database.pool.execute("UPDATE threads SET user_id = $2 WHERE user_id = $1", caller.user_id, archive)
        await super().erase(caller, password)


class ErasesWithOpenChats(Erasure):
    """Deletes the account without ending its sessions first: nobody tells its sockets."""

    async def end_sessions(self, user_id: uuid.UUID) -> None:
        return None


class EndsEverySession(Erasure):
    """Erasure ends every live session, everyone's, not only the erased account's."""

    async def end_sessions(self, user_id: uuid.UUID) -> None:
        for row in await self.database.pool.fetch("SELECT id FROM sessions WHERE revoked_at IS NULL"):
            await self.sessions.revoke(row["id"], "account erased")


class ErasesLater(Erasure):
    """Erasure closes the account's chats at once, but keeps the account and its sessions for a later job."""

    async def erase(self, caller: Caller, password: str | None) -> None:
        await self.reauthenticate(caller, password)
        async with self.database.pool.acquire() as connection:
            for row in await connection.fetch("SELECT id FROM sessions WHERE user_id = $1", caller.user_id):
                await self.sessions.announce_end(connection, row["id"])


class ClosesEveryChat(Erasure):
    """Erasure announces the end of every session, everyone's: every open chat closes, though no token dies."""

    async def end_sessions(self, user_id: uuid.UUID) -> None:
        await super().end_sessions(user_id)
        async with self.database.pool.acquire() as connection:
            for row in await connection.fetch("SELECT id FROM sessions WHERE revoked_at IS NULL"):
                await self.sessions.announce_end(connection, row["id"])


class KeepsExportFiles(Erasure):
    @staticmethod
    def delete_files(files: list[Path]) -> None:
        return None


class ReservesErasedEmails(Erasure):
    """Keeps a tombstone under the erased email, so it can never sign up again."""

    async def erase(self, caller: Caller, password: str | None) -> None:
        email = await self.database.pool.fetchval("SELECT email FROM users WHERE id = $1", caller.user_id)
        await super().erase(caller, password)
        await self.database.pool.execute(
            "INSERT INTO users (id, email, email_normalized) VALUES ($1, $2, lower($2))", uuid.uuid4(), email
        )


class ErasesOneThreadTooMany(Erasure):
    """An off-by-one: deletes the newest N+1 threads of the platform, where N is the customer's count."""

    async def erase(self, caller: Caller, password: str | None) -> None:
        await self.reauthenticate(caller, password)
        await self.database.pool.execute(
            "DELETE FROM threads WHERE id IN (SELECT id FROM threads ORDER BY created_at DESC"
            " LIMIT (SELECT count(*) + 1 FROM threads WHERE user_id = $1))",
            caller.user_id,
        )
        await super().erase(caller, password)


class ErasesBeforeAsking(Erasure):
    """Erases the account first, then asks for the password it should have checked first."""

    async def erase(self, caller: Caller, password: str | None) -> None:
        if await self.users.password_hash_of(caller.user_id) is not None and not password:
            await self.users.delete(caller.user_id)
            raise reauthentication_required("Send your current password as `password`.")
        await super().erase(caller, password)


class KeepsLoginThrottles(Erasure):
    """Forgets the account's limits but not its login throttling, which is kept by email."""

    async def forget_limits(self, user_id: uuid.UUID, email: str | None) -> None:
        await self.limiter.forget(str(user_id))


class MovesExportFilesAside(Erasure):
    """Erasure moves the export files into a folder of their own instead of deleting them."""

    @staticmethod
    def delete_files(files: list[Path]) -> None:
        for path in files:
            if path.exists():
                aside = path.parent / ".erased"
                aside.mkdir(exist_ok=True)
                path.rename(aside / path.name)


class AsksEveryoneForAPassword(Erasure):
    """Erasure demands a password even from a customer who has none: she can never leave."""

    async def reauthenticate(self, caller: Caller, password: str | None) -> None:
        password_hash = await self.users.password_hash_of(caller.user_id)
        if password_hash is None or not password or not await self.hashing.verify(password_hash, password):
            raise reauthentication_required("Send your current password as `password`.")


FAULTS: dict[str, Fault] = {
    "erasure_done_before_reauthentication": Fault(
        "an erasure without the password deletes the account, then asks for the password",
        {"erasure": ErasesBeforeAsking},
    ),
    "erasure_keeps_login_throttle": Fault(
        "an erased account's login throttle state, keyed by its email, stays behind",
        {"erasure": KeepsLoginThrottles},
    ),
    "export_files_moved_aside": Fault(
        "erasure moves the account's export files into a folder aside instead of deleting them",
        {"erasure": MovesExportFilesAside},
    ),
    "erasure_needs_a_password_nobody_has": Fault(
        "erasure demands a password even of an account that has none", {"erasure": AsksEveryoneForAPassword}
    ),
    "erasure_ends_every_session": Fault(
        "erasing one account ends every customer's sessions", {"erasure": EndsEverySession}
    ),
    "erasure_deferred": Fault(
        "erasure closes the chats at once but keeps the account and its sessions for later",
        {"erasure": ErasesLater},
    ),
    "erasure_closes_every_chat": Fault(
        "erasing one account closes every customer's open chats", {"erasure": ClosesEveryChat}
    ),
    "erasure_trusts_old_sign_ins": Fault(
        "an account with no password is erased on a sign-in of any age", {"erasure": TrustsOldSignIns}
    ),
    "erasure_without_password": Fault("erasure asks for no password", {"erasure": ErasesWithoutPassword}),
    "erasure_keeps_messages": Fault("erasure moves the messages to an archive", {"erasure": KeepsMessages}),
    "erasure_leaves_chat_open": Fault(
        "erasure does not end the sessions, so their chats stay open", {"erasure": ErasesWithOpenChats}
    ),
    "erasure_keeps_export_files": Fault("erasure leaves the export files", {"erasure": KeepsExportFiles}),
    "erased_email_reserved": Fault("an erased account's email stays taken", {"erasure": ReservesErasedEmails}),
    "erasure_deletes_another_thread": Fault(
        "erasure deletes one thread too many, someone else's", {"erasure": ErasesOneThreadTooMany}
    ),
}
