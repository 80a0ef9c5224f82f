"""Her data rights: asking for an export of everything the platform holds of her, and fetching it."""

import asyncio
import time
from typing import Any

from support.abilities.persona import Persona
from support.abilities.session import Session
from support.clients.http_client import ApiResponse, expect_status
from support.clients.urls import query_secrets


class Data:
    def __init__(self, persona: Persona, session: Session) -> None:
        self.persona = persona
        self.session = session
        self.export_location: str | None = None
        self.export_status: dict[str, Any] = {}
        self.download: ApiResponse | None = None
        self.earlier_link: str | None = None  # the download link she had before she looked again
        self.erased: dict[str, Any] = {}  # what the database held for her just before erasure

    async def request_export(self) -> None:
        persona = self.persona
        requested = await persona.api.request_export(self.session.token)
        self.export_location = expect_status(requested, 202, f"{persona.name} asks for an export").headers.get(
            "location"
        )
        assert self.export_location, f"Expected a Location header on the 202; got {requested.describe()}"

    async def wait_for_export(self, timeout: float) -> dict[str, Any]:
        """Read the export's status until it is ready, within `timeout` seconds."""
        await self.follow_export(timeout)
        assert self.export_status.get("status") == "ready", (
            f"Expected her export to be ready within {timeout:g} s; its status is {self.export_status}"
        )
        return self.export_status

    async def follow_export(self, timeout: float) -> dict[str, Any]:
        """Read the export's status until it is ready or failed, or `timeout` seconds have passed."""
        persona = self.persona
        assert self.export_location, f"{persona.name} has asked for no export"
        deadline = time.monotonic() + timeout
        while True:
            status = await persona.api.export_status(self.session.token, self.export_location)
            self.export_status = expect_status(status, 200, f"{persona.name} reads her export").body
            persona.evidence.redactor.remember(*query_secrets(status.body.get("download_url")))
            if status.body.get("status") in ("ready", "failed") or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        return self.export_status

    async def download_export(self, url: str | None = None) -> ApiResponse:
        link = url or self.export_status.get("download_url")
        assert link, f"{self.persona.name} has no download link"
        self.download = await self.persona.api.download(self.session.token, link)
        return self.download
