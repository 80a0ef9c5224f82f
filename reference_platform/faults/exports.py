"""Defects in what the platform does with a customer's data: exports and erasure."""

import hashlib
import io
import json
import uuid
from pathlib import Path
from typing import Any

from reference_platform.data.erasure import Erasure, reauthentication_required
from reference_platform.data.exports import Exports, ExportStatus
from reference_platform.health import Health
from reference_platform.identity.bearer import Caller
from reference_platform.identity.secrets import secret_digest
from reference_platform.problems import Problem


class RewritesExports(Exports):
    """Writes the export as the platform does, then changes the document before it is stored."""

    async def write(self, out: Any, export_id: uuid.UUID, user_id: uuid.UUID) -> None:
        buffer = io.StringIO()
        await super().write(buffer, export_id, user_id)
        out.write(json.dumps(await self.rewrite(json.loads(buffer.getvalue()), user_id)))

    async def rewrite(self, export: dict[str, Any], user_id: uuid.UUID) -> dict[str, Any]:
        raise NotImplementedError

    async def password_hash(self, user_id: uuid.UUID) -> str | None:
        found: str | None = await self.database.pool.fetchval("SELECT password_hash FROM users WHERE id = $1", user_id)
        return found


class ExportWithoutLastMessage(RewritesExports):
    async def rewrite(self, export: dict[str, Any], user_id: uuid.UUID) -> dict[str, Any]:
        for thread in export["threads"]:
            thread["messages"] = thread["messages"][:-1]
        return export


class ExportWithAStrangersThread(RewritesExports):
    async def rewrite(self, export: dict[str, Any], user_id: uuid.UUID) -> dict[str, Any]:
        stranger = await self.database.pool.fetchrow(
            "SELECT id, title, created_at FROM threads WHERE user_id <> $1 ORDER BY created_at DESC LIMIT 1", user_id
        )
        if stranger is not None:
            export["threads"].append({**{key: str(value) for key, value in dict(stranger).items()}, "messages": []})
        return export


class ExportWithItsSecurity(RewritesExports):
    """Adds a 'security' section to the export, with the account's password hash."""

    async def rewrite(self, export: dict[str, Any], user_id: uuid.UUID) -> dict[str, Any]:
        return {**export, "security": {"password_hash": await self.password_hash(user_id)}}


class ExportInAnotherName(RewritesExports):
    """The export's manifest names an account that is not hers."""

    async def rewrite(self, export: dict[str, Any], user_id: uuid.UUID) -> dict[str, Any]:
        return {**export, "manifest": {**export["manifest"], "account_id": str(uuid.uuid4())}}


class ExportWithTheHashInTheProfile(RewritesExports):
    """The export's profile carries the password hash."""

    async def rewrite(self, export: dict[str, Any], user_id: uuid.UUID) -> dict[str, Any]:
        return {**export, "profile": {**export["profile"], "password_hash": await self.password_hash(user_id)}}


class ExportStatusForAnyone(Exports):
    async def owner(self, user_id: uuid.UUID, export_id: uuid.UUID) -> uuid.UUID:
        owner: uuid.UUID | None = await self.database.pool.fetchval(
            "SELECT user_id FROM exports WHERE id = $1", export_id
        )
        return owner or user_id

    async def status(self, user_id: uuid.UUID, export_id: uuid.UUID) -> ExportStatus:
        return await super().status(await self.owner(user_id, export_id), export_id)

    async def new_link(self, user_id: uuid.UUID, export_id: uuid.UUID) -> str:
        return await super().new_link(await self.owner(user_id, export_id), export_id)


class DownloadForAnyone(Exports):
    async def file_for(self, user_id: uuid.UUID, export_id: uuid.UUID, key: str) -> Path:
        owner = await self.database.pool.fetchval("SELECT user_id FROM exports WHERE id = $1", export_id)
        return await super().file_for(owner or user_id, export_id, key)


class LinksNeverExpire(Exports):
    async def file_for(self, user_id: uuid.UUID, export_id: uuid.UUID, key: str) -> Path:
        await self.database.pool.execute(
            "UPDATE exports SET link_expires_at = now() + interval '1 day' WHERE id = $1", export_id
        )
        return await super().file_for(user_id, export_id, key)


class CacheableDownloads(Exports):
    def download_headers(self) -> dict[str, str]:
        return {"Cache-Control": "public, max-age=3600"}


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


class SaysWhoseExportItIs(Exports):
    """Refuses another customer's export with the same 404, but a detail that tells it exists."""

    async def _refuse_if_foreign(self, user_id: uuid.UUID, export_id: uuid.UUID) -> None:
        if await self.database.pool.fetchval(
            "SELECT true FROM exports WHERE id = $1 AND user_id <> $2", export_id, user_id
        ):
            raise Problem(404, "export-not-found", "No such export", "It belongs to another customer.")

    async def status(self, user_id: uuid.UUID, export_id: uuid.UUID) -> ExportStatus:
        await self._refuse_if_foreign(user_id, export_id)
        return await super().status(user_id, export_id)

    async def file_for(self, user_id: uuid.UUID, export_id: uuid.UUID, key: str) -> Path:
        await self._refuse_if_foreign(user_id, export_id)
        return await super().file_for(user_id, export_id, key)


class MovesExportFilesAside(Erasure):
    """Erasure moves the export files into a folder of their own instead of deleting them."""

    @staticmethod
    def delete_files(files: list[Path]) -> None:
        for path in files:
            if path.exists():
                aside = path.parent / ".erased"
                aside.mkdir(exist_ok=True)
                path.rename(aside / path.name)


class ShowsExportsInline(Exports):
    def download_headers(self) -> dict[str, str]:
        return {"Cache-Control": "no-store", "Content-Disposition": "inline"}


class OneLinkPerExport(Exports):
    """Every look at a ready export hands out the same link, derived from the export's id."""

    async def new_link(self, user_id: uuid.UUID, export_id: uuid.UUID) -> str:
        key = hashlib.sha256(f"export-link:{export_id}".encode()).hexdigest()[:32]
        await self.database.pool.execute(
            "UPDATE exports SET link_hash = $3, link_expires_at = now() + make_interval(secs => $4)"
            " WHERE id = $1 AND user_id = $2 AND status = 'ready'",
            export_id,
            user_id,
            secret_digest(key),
            float(self.link_seconds),
        )
        return key


class AsksEveryoneForAPassword(Erasure):
    """Erasure demands a password even from a customer who has none: she can never leave."""

    async def reauthenticate(self, caller: Caller, password: str | None) -> None:
        password_hash = await self.users.password_hash_of(caller.user_id)
        if password_hash is None or not password or not await self.hashing.verify(password_hash, password):
            raise reauthentication_required("Send your current password as `password`.")


class LeavesFailedExportsBuilding(Exports):
    async def mark_failed(self, export_id: uuid.UUID, error: Exception) -> None:
        return None


class JobDiesOnAFailedBuild(Exports):
    """Records the failure, then lets it out of the build: the export job stops for good."""

    async def mark_failed(self, export_id: uuid.UUID, error: Exception) -> None:
        await super().mark_failed(export_id, error)
        raise error


class LivenessAsksTheDatabase(Health):
    async def live(self) -> dict[str, Any]:
        await self.database.pool.fetchval("SELECT 1")
        return await super().live()


class ReadinessWithoutDependencies(Health):
    async def ready(self) -> dict[str, Any]:
        await super().ready()
        return {"status": "ready"}


class VersionWithoutCommit(Health):
    def version(self) -> dict[str, str]:
        return {key: value for key, value in super().version().items() if key != "commit"}
