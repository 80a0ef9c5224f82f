"""The app factory: the platform's parts mounted as one application, with its error handlers, its lifespan and
its housekeeping. Each part's endpoints live next to the part (`*/routes.py`)."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from reference_platform.chat.routes import ChatEndpoints
from reference_platform.chat.runs import RunJournal
from reference_platform.data.routes import DataEndpoints
from reference_platform.database import CLIENT_ERRORS, DATABASE_OUTAGES, Database
from reference_platform.endpoints import Endpoints
from reference_platform.health_routes import HealthEndpoints
from reference_platform.identity.routes import IdentityEndpoints
from reference_platform.limits.routes import LimitsEndpoints
from reference_platform.parts import Blueprint, Parts, assemble
from reference_platform.problems import (
    Problem,
    internal_error_handler,
    outage_handler,
    problem_handler,
)

__all__ = ["Blueprint", "Parts", "assemble", "create_app"]

log = logging.getLogger(__name__)
ENDPOINTS: tuple[type[Endpoints], ...] = (
    IdentityEndpoints,
    DataEndpoints,
    LimitsEndpoints,
    ChatEndpoints,
    HealthEndpoints,
)


def create_app(parts: Parts, endpoints: tuple[type[Endpoints], ...] = ENDPOINTS) -> ASGIApp:
    """The platform as an ASGI app. Every request and socket gets an X-Request-Id that its log lines carry,
    the outermost layer, so that even an unhandled error's answer names it."""
    return parts.request_ids(application(parts, endpoints))


HOUSEKEEPING_SECONDS = 30.0


async def keep_house(database: Database, journal: RunJournal, stop: asyncio.Event) -> None:
    """Drop state that can no longer matter: spent rate-limit windows, used or expired one-time secrets,
    runs past their retention; and end the runs of instances that died."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), HOUSEKEEPING_SECONDS)
        try:
            await journal.interrupt_orphans()
            await journal.forget_expired()
            await database.pool.execute("DELETE FROM rate_limits WHERE tat < now()")
            await database.pool.execute("DELETE FROM oidc_attempts WHERE expires_at < now() OR used_at IS NOT NULL")
            await database.pool.execute("DELETE FROM login_codes WHERE expires_at < now() OR used_at IS NOT NULL")
            await database.pool.execute("DELETE FROM ws_tickets WHERE expires_at < now() OR used_at IS NOT NULL")
        except Exception as error:  # the database may be away; the next round tries again
            log.warning("housekeeping failed: %r", error)


def application(parts: Parts, endpoints: tuple[type[Endpoints], ...] = ENDPOINTS) -> Starlette:
    async def unexpected_error(request: Request, exc: Exception) -> Response:
        if await parts.database.lost(exc):
            return await outage_handler(request, exc)
        return await internal_error_handler(request, exc)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await parts.database.open()
        await parts.lease.take()
        await parts.journal.interrupt_orphans()  # runs cut off when an instance (this one, last time) was killed
        await parts.run_feed.start()
        await parts.session_endings.start()
        stopping = asyncio.Event()
        export_jobs = asyncio.create_task(parts.exports.run_jobs(stopping), name="export jobs")
        housekeeping = asyncio.create_task(keep_house(parts.database, parts.journal, stopping), name="housekeeping")
        try:
            yield
        finally:
            stopping.set()
            await asyncio.gather(export_jobs, housekeeping)
            await parts.session_endings.stop()
            await parts.run_feed.stop()
            await parts.lease.release()
            await parts.database.close()

    return Starlette(
        routes=[route for part_endpoints in endpoints for route in part_endpoints(parts).routes()],
        exception_handlers={
            Problem: problem_handler,
            HTTPException: parts.framework_errors,
            **dict.fromkeys(DATABASE_OUTAGES, outage_handler),
            # Handled here, not by the last-resort handler, which re-raises and so drops a kept-alive connection.
            **dict.fromkeys(CLIENT_ERRORS, unexpected_error),
            Exception: unexpected_error,
        },
        lifespan=lifespan,
    )
