"""Defects in a customer's export of her data."""

import hashlib
import io
import json
import uuid
from pathlib import Path
from typing import Any

from reference_platform.data.exports import Exports, ExportStatus
from reference_platform.faults.fault import Fault
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


class DownloadsWithoutCacheControl(Exports):
    def download_headers(self) -> dict[str, str]:
        return {"Content-Disposition": super().download_headers()["Content-Disposition"]}


class DownloadsWithoutDisposition(Exports):
    """Names no Content-Disposition: a browser shows the file as a page."""

    def download_headers(self) -> dict[str, str]:
        return {"Cache-Control": "no-store"}


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


class LeavesFailedExportsBuilding(Exports):
    async def mark_failed(self, export_id: uuid.UUID, error: Exception) -> None:
        return None


class JobDiesOnAFailedBuild(Exports):
    """Records the failure, then lets it out of the build: the export job stops for good."""

    async def mark_failed(self, export_id: uuid.UUID, error: Exception) -> None:
        await super().mark_failed(export_id, error)
        raise error


FAULTS: dict[str, Fault] = {
    "foreign_export_named_in_refusal": Fault(
        "another customer's export is refused with a 404 that says it belongs to someone else",
        {"exports": SaysWhoseExportItIs},
    ),
    "export_shown_inline": Fault("the export download is shown inline", {"exports": ShowsExportsInline}),
    "one_link_per_export": Fault("every look at a ready export hands out the same link", {"exports": OneLinkPerExport}),
    "failed_export_left_building": Fault(
        "an export that cannot be written stays 'building' instead of 'failed'",
        {"exports": LeavesFailedExportsBuilding},
    ),
    "export_job_dies_on_failure": Fault(
        "a failed export build stops the export job for good", {"exports": JobDiesOnAFailedBuild}
    ),
    "export_holds_password_hash": Fault(
        "the export adds a security section with the password hash", {"exports": ExportWithItsSecurity}
    ),
    "export_in_another_name": Fault("the export's manifest names another account", {"exports": ExportInAnotherName}),
    "export_profile_holds_password_hash": Fault(
        "the export's profile carries the password hash", {"exports": ExportWithTheHashInTheProfile}
    ),
    "export_misses_last_message": Fault(
        "the export leaves out the last message of each thread", {"exports": ExportWithoutLastMessage}
    ),
    "export_includes_strangers_thread": Fault(
        "the export carries another customer's thread", {"exports": ExportWithAStrangersThread}
    ),
    "export_status_for_anyone": Fault("anyone can read an export's status", {"exports": ExportStatusForAnyone}),
    "export_download_for_anyone": Fault("anyone with the link can download an export", {"exports": DownloadForAnyone}),
    "export_link_never_expires": Fault("download links never expire", {"exports": LinksNeverExpire}),
    "export_cacheable": Fault("export downloads may be cached for an hour", {"exports": CacheableDownloads}),
    "export_without_cache_control": Fault(
        "export downloads say nothing of caching", {"exports": DownloadsWithoutCacheControl}
    ),
    "export_without_disposition": Fault(
        "export downloads name no Content-Disposition, so a browser shows them as a page",
        {"exports": DownloadsWithoutDisposition},
    ),
}
