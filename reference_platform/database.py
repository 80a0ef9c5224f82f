"""PostgreSQL access: a connection pool and the migration runner."""

from importlib import resources

import asyncpg

MIGRATIONS_PACKAGE = "reference_platform.migrations"
MIGRATION_LOCK = 7_305_120_881  # the advisory lock key migrations hold (any constant; released with the session)

# What a lost database looks like to asyncpg: refused or dropped connections, a server shutting
# down or starting up, and a command or pool acquire that times out.
DATABASE_OUTAGES: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
)
# What asyncpg may raise instead while a connection dies under it ("another operation is in progress").
CLIENT_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.exceptions.InternalClientError)
UNREACHABLE: tuple[type[BaseException], ...] = (*DATABASE_OUTAGES, asyncpg.PostgresError)
LIVENESS_TIMEOUT = 1.0


class Database:
    """A pool opened when the application starts and closed when it stops."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        self._pool = await asyncpg.create_pool(self.url, min_size=1, max_size=10, command_timeout=10, timeout=10)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()

    async def lost(self, error: BaseException) -> bool:
        """Whether `error` means the database is gone: a known outage, or a client error while it does not answer."""
        if isinstance(error, DATABASE_OUTAGES):
            return True
        if not isinstance(error, CLIENT_ERRORS):
            return False
        try:
            connection = await asyncpg.connect(self.url, timeout=LIVENESS_TIMEOUT)
            await connection.close(timeout=LIVENESS_TIMEOUT)
        except UNREACHABLE:
            return True
        return False

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("database pool is not open")
        return self._pool


async def migrate(database_url: str) -> list[str]:
    """Apply pending migrations in name order; return the names applied."""
    connection = await asyncpg.connect(database_url, timeout=10)
    try:
        # Instances that start together on one database migrate one at a time.
        await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations"
            " (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        applied = {row["name"] for row in await connection.fetch("SELECT name FROM schema_migrations")}
        files = sorted(
            (entry for entry in resources.files(MIGRATIONS_PACKAGE).iterdir() if entry.name.endswith(".sql")),
            key=lambda entry: entry.name,
        )
        newly_applied = []
        for migration in files:
            if migration.name in applied:
                continue
            async with connection.transaction():
                await connection.execute(migration.read_text())
                await connection.execute("INSERT INTO schema_migrations (name) VALUES ($1)", migration.name)
            newly_applied.append(migration.name)
        return newly_applied
    finally:
        await connection.close()
