"""Defects in request ids and in the answers to requests the framework refuses."""

import json
import uuid

from asgi_correlation_id import CorrelationIdMiddleware
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reference_platform.faults.fault import Fault
from reference_platform.parts import REQUEST_ID_HEADER
from reference_platform.problems import http_error_handler


async def plain_framework_errors(request: Request, exc: Exception) -> Response:
    """The framework's 404, 405 and the like as it writes them: plain text, not problems."""
    assert isinstance(exc, HTTPException)
    return PlainTextResponse(str(exc.detail), status_code=exc.status_code, headers=dict(exc.headers or {}))


async def problems_without_allow(request: Request, exc: Exception) -> Response:
    """The framework's errors as problems, but without their headers: a 405 says no Allow."""
    assert isinstance(exc, HTTPException)
    return await http_error_handler(request, HTTPException(exc.status_code, exc.detail))


async def untyped_framework_problems(request: Request, exc: Exception) -> Response:
    """The framework's errors as problems of RFC 9457's default type, about:blank, which names nothing to act on."""
    assert isinstance(exc, HTTPException)
    answer = await http_error_handler(request, exc)
    problem = json.loads(bytes(answer.body))
    return JSONResponse(problem | {"type": "about:blank"}, exc.status_code, dict(exc.headers or {}),
                        media_type="application/problem+json")  # fmt: skip


async def allow_naming_one_method(request: Request, exc: Exception) -> Response:
    """A 405 problem whose Allow names only the first method the address takes."""
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if "Allow" in headers:
        headers["Allow"] = headers["Allow"].split(",")[0].strip()
    return await http_error_handler(request, HTTPException(exc.status_code, exc.detail, headers))


def request_ids_of_its_own(app: ASGIApp) -> ASGIApp:
    """Every request gets a new id: the client's own X-Request-Id is never taken up."""
    return CorrelationIdMiddleware(app, header_name=REQUEST_ID_HEADER, validator=lambda _: False)


def request_ids_not_logged(app: ASGIApp) -> ASGIApp:
    """The answer carries the request's id, but the log lines written while serving it do not."""
    return echoed_request_ids(app, make_new=True)


def request_ids_only_when_sent(app: ASGIApp) -> ASGIApp:
    """A request that comes without an id gets an answer without one."""
    return echoed_request_ids(app, make_new=False)


def echoed_request_ids(app: ASGIApp, make_new: bool) -> ASGIApp:
    """Puts the client's X-Request-Id (or, with `make_new`, a new one) on the answer, and nowhere else."""

    async def with_request_id(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        asked = Headers(scope=scope).get(REQUEST_ID_HEADER) or (str(uuid.uuid4()) if make_new else None)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start" and asked:
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, asked)
            await send(message)

        await app(scope, receive, send_with_id)

    return with_request_id


FAULTS: dict[str, Fault] = {
    "client_request_id_replaced": Fault(
        "the client's own X-Request-Id is replaced by a new one", {"request_ids": request_ids_of_its_own}
    ),
    "request_id_not_logged": Fault(
        "the answer carries X-Request-Id, but the server's log lines for the request do not",
        {"request_ids": request_ids_not_logged},
    ),
    "request_id_only_when_sent": Fault(
        "an answer carries X-Request-Id only when the request did", {"request_ids": request_ids_only_when_sent}
    ),
    "framework_errors_in_plain_text": Fault(
        "the framework's 404 and 405 are plain text, not problems",
        {"framework_errors": plain_framework_errors},
    ),
    "framework_problems_untyped": Fault(
        "the framework's 404 and 405 are problems of type about:blank", {"framework_errors": untyped_framework_problems}
    ),
    "allow_names_one_method": Fault(
        "a 405 problem's Allow names only one of the methods the address takes",
        {"framework_errors": allow_naming_one_method},
    ),
    "method_not_allowed_without_allow": Fault(
        "a 405 problem does not say which methods the address takes",
        {"framework_errors": problems_without_allow},
    ),
}
