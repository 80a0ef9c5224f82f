"""Errors in one JSON shape: RFC 9457 problem details, the framework's own errors included."""

import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

log = logging.getLogger(__name__)
RETRY_AFTER_OUTAGE_SECONDS = 5
ExceptionHandler = Callable[[Request, Exception], Awaitable[Response]]


class Problem(Exception):
    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str = "",
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(f"{status} {slug}: {detail or title}")
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.headers = headers or {}
        self.extensions = extensions

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": f"/problems/{self.slug}", "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        body.update(self.extensions)
        return body

    def response(self) -> Response:
        return JSONResponse(
            self.body(), status_code=self.status, headers=self.headers, media_type="application/problem+json"
        )


def unauthorized(detail: str) -> Problem:
    return Problem(
        401,
        "unauthorized",
        "Authentication required",
        detail,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def database_unavailable(cause: BaseException) -> Problem:
    return Problem(
        503,
        "database-unavailable",
        "The database is unreachable",
        f"The platform lost its database ({type(cause).__name__}); try again shortly.",
        headers={"Retry-After": str(RETRY_AFTER_OUTAGE_SECONDS)},
        dependency="database",
    )


async def problem_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return exc.response()


async def outage_handler(request: Request, exc: Exception) -> Response:
    log.warning("%s %s: database unreachable: %r", request.scope.get("method", "WS"), request.url.path, exc)
    return database_unavailable(exc).response()


async def http_error_handler(request: Request, exc: Exception) -> Response:
    """Starlette's own 404, 405 and the like, as problems."""
    assert isinstance(exc, HTTPException)
    phrase = HTTPStatus(exc.status_code).phrase
    slug = phrase.lower().replace(" ", "-")
    detail = exc.detail if exc.detail != phrase else ""
    return Problem(exc.status_code, slug, phrase, detail, headers=dict(exc.headers or {})).response()


async def internal_error_handler(request: Request, exc: Exception) -> Response:
    log.error("%s %s failed", request.scope.get("method", "WS"), request.url.path, exc_info=exc)
    detail = "Something went wrong on our side; quote the X-Request-Id header when you report it."
    return Problem(500, "internal-error", "Internal server error", detail).response()
