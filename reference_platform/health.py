"""What operators ask an instance: is it alive, can it serve, and what is it."""

from typing import Any

from reference_platform.database import Database, HeldConnection
from reference_platform.problems import Problem, database_unavailable
from reference_platform.version import platform_version

READINESS_TIMEOUT = 2.0


class Health:
    def __init__(self, database: Database, held: tuple[HeldConnection, ...]) -> None:
        self.database = database
        self.held = held  # the connections the instance keeps: its lease and its two listeners

    async def live(self) -> dict[str, Any]:
        """The process serves; it asks nothing of its dependencies, so an outage never gets it restarted."""
        return {"status": "ok"}

    async def ready(self) -> dict[str, Any]:
        """Ready when the database answers and every held connection is held again; else a 503 naming why."""
        try:
            await self.database.pool.fetchval("SELECT 1", timeout=READINESS_TIMEOUT)
        except Exception as error:  # a dying connection raises client errors too; lost() tells them apart
            if not await self.database.lost(error):
                raise
            lost = database_unavailable(error)
            raise Problem(
                503, "not-ready", "A dependency is down", lost.detail, lost.headers, dependencies={"database": "down"}
            ) from error
        if unheld := [connection.name for connection in self.held if not connection.held]:
            detail = f"Reconnecting to the database: {', '.join(unheld)}."
            raise Problem(503, "not-ready", "A dependency is down", detail, {"Retry-After": "1"},
                          dependencies={"database": "reconnecting"})  # fmt: skip
        return {"status": "ready", "dependencies": {"database": "up"}}

    def version(self) -> dict[str, str]:
        return platform_version()
