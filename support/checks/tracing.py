"""What a Then verifies about request ids: on the answers, and in the platform's log."""

import glob
import uuid
from pathlib import Path

from support.clients.http_client import ApiResponse
from support.waiting import poll_until

REQUEST_ID = "x-request-id"
LOG_SECONDS = 2.0  # a log line is written as the answer goes out; allow for the file to catch up


def expect_request_id(answer: ApiResponse, sent: str) -> None:
    assert answer.headers.get(REQUEST_ID) == sent, (
        f"Expected the answer to carry the request id the app sent, X-Request-Id: {sent}; "
        f"it carries {answer.headers.get(REQUEST_ID)!r} ({answer.method} {answer.url} -> {answer.status})"
    )


def expect_new_request_id(answer: ApiResponse, other: str) -> None:
    given = answer.headers.get(REQUEST_ID, "")
    assert is_uuid(given) and given != other, (
        f"Expected the answer to a request without an id to carry a new X-Request-Id; it carries {given!r} "
        f"({answer.method} {answer.url} -> {answer.status})"
    )


def is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def expect_logged(logs: str, request_id: str, request: str) -> None:
    """Some log line of the platform's names both the request and its id."""

    def lines() -> list[str]:
        found = []
        for path in glob.glob(logs):
            text = Path(path).read_text(errors="replace")
            found += [line for line in text.splitlines() if request_id in line]
        return found

    logged = poll_until(lambda: any(request in line for line in lines()), LOG_SECONDS)
    assert logged, (
        f"Expected a line of the platform's log ({logs}) to name the request {request} with its id {request_id}; "
        f"lines with the id: {lines() or 'none'}"
    )
