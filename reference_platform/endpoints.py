"""What every part's endpoints share: the caller behind a request's bearer token, its JSON body, the id in its
path, and one route for every method of a path."""

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from reference_platform.identity.bearer import Caller
from reference_platform.parts import Parts
from reference_platform.problems import Problem


class Endpoints:
    """A part's HTTP (and socket) handlers over the assembled parts; `routes` says where each is mounted."""

    def __init__(self, parts: Parts) -> None:
        self.parts = parts

    async def caller(self, request: Request) -> Caller:
        return await self.parts.bearer.caller(request.headers.get("authorization", ""))

    async def user(self, request: Request) -> uuid.UUID:
        return (await self.caller(request)).user_id

    def routes(self) -> list[BaseRoute]:
        raise NotImplementedError


async def json_body(request: Request, *fields: str) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as error:
        raise Problem(400, "invalid-json", "The request body is not valid JSON") from error
    missing = [name for name in fields if not isinstance(body, dict) or not isinstance(body.get(name), str)]
    if missing:
        raise Problem(422, "missing-fields", "Required fields are missing", f"Missing: {', '.join(missing)}")
    if not isinstance(body, dict):
        raise invalid_fields("The body is a JSON object.")
    if holds_nul(body):  # PostgreSQL's text cannot hold one, and no email, password or title needs one
        raise invalid_fields("Text may not hold NUL characters.")
    return body


def holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(key) or holds_nul(item) for key, item in value.items())
    return isinstance(value, list) and any(holds_nul(item) for item in value)


def invalid_fields(detail: str) -> Problem:
    return Problem(422, "invalid-fields", "Some fields cannot be taken as they are", detail)


def by_method(path: str, **endpoints: Callable[[Request], Awaitable[Response]]) -> Route:
    """One route for every method of a path, so that a 405 lists every method the path allows."""

    async def dispatch(request: Request) -> Response:
        return await endpoints["GET" if request.method == "HEAD" else request.method](request)

    return Route(path, dispatch, methods=list(endpoints))


def path_id(request: Request, name: str, not_found: Problem) -> uuid.UUID:
    """The id in the path; one that is not even a UUID is answered as not found, like any unknown id."""
    try:
        return uuid.UUID(request.path_params[name])
    except ValueError:
        raise not_found from None
