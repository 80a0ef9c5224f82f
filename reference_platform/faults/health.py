"""Defects in what an instance tells operators about its health."""

from typing import Any

from reference_platform.faults.fault import Fault
from reference_platform.health import Health


class LivenessAsksTheDatabase(Health):
    async def live(self) -> dict[str, Any]:
        await self.database.pool.fetchval("SELECT 1")
        return await super().live()


class ReadinessWithoutDependencies(Health):
    async def ready(self) -> dict[str, Any]:
        await super().ready()
        return {"status": "ready"}


class VersionWithEmptyCommit(Health):
    """Names the commit as an empty string: the build never recorded it."""

    def version(self) -> dict[str, str]:
        return super().version() | {"commit": ""}


class VersionWithoutCommit(Health):
    def version(self) -> dict[str, str]:
        return {key: value for key, value in super().version().items() if key != "commit"}


FAULTS: dict[str, Fault] = {
    "liveness_asks_the_database": Fault(
        "liveness fails while the database is down, so an outage gets every server restarted",
        {"health": LivenessAsksTheDatabase},
    ),
    "readiness_without_dependencies": Fault(
        "readiness does not say how its dependencies are", {"health": ReadinessWithoutDependencies}
    ),
    "version_without_commit": Fault("GET /version names no commit", {"health": VersionWithoutCommit}),
    "version_commit_empty": Fault(
        "GET /version names the commit as an empty string", {"health": VersionWithEmptyCommit}
    ),
}
