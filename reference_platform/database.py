"""PostgreSQL access: a connection pool, connections an instance holds on to, and the migration runner."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
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
log = logging.getLogger(__name__)


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


class HeldConnection:
    """A connection the instance holds on to for as long as it lives (a LISTEN, an advisory lock), opened
    again whenever it is lost: `setup` runs on every new connection, and `on_restored` after a reconnection,
    to catch up on what went unheard meanwhile. asyncpg tells when a connection ends (termination listeners)
    but does not reconnect one, and no well-kept library does that for it."""

    RETRY_SECONDS = 0.25
    CHECK_SECONDS = 1.0  # the termination listener tells at once; this catches a connection that died silently

    def __init__(
        self,
        url: str,
        name: str,
        setup: Callable[[asyncpg.Connection], Awaitable[object]],
        on_restored: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.url = url
        self.name = name
        self.setup = setup
        self.on_restored = on_restored
        self.connection: asyncpg.Connection | None = None
        self._lost = asyncio.Event()
        self._keeper: asyncio.Task[None] | None = None

    @property
    def held(self) -> bool:
        return self.connection is not None and not self.connection.is_closed()

    async def open(self) -> None:
        """Connect now (a database that does not answer fails the start), then keep the connection."""
        self.connection = await self._connect()
        self._keeper = asyncio.create_task(self._keep(), name=f"keep {self.name}")

    async def _connect(self) -> asyncpg.Connection:
        connection = await asyncpg.connect(self.url, timeout=10)
        try:
            await self.setup(connection)
        except BaseException:
            connection.terminate()
            raise
        self._lost.clear()
        connection.add_termination_listener(lambda _: self._lost.set())
        return connection

    async def _keep(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), self.CHECK_SECONDS)
            if self.held:
                continue
            log.warning("%s: its database connection was lost; reconnecting", self.name)
            while True:
                try:
                    self.connection = await self._connect()
                    break
                except UNREACHABLE as error:
                    log.debug("%s: the database does not answer yet: %r", self.name, error)
                    await asyncio.sleep(self.RETRY_SECONDS)
            log.warning("%s: reconnected to the database", self.name)
            if self.on_restored is not None:
                try:
                    await self.on_restored()
                except Exception:
                    log.exception("%s: catching up after the reconnection failed", self.name)

    async def close(self) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
        if self.held:
            assert self.connection is not None
            await self.connection.close(timeout=5)


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
