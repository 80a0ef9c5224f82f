"""What the platform promises while its database is away: 503 problems that say when to retry, error frames,
and chats closed with 1013."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from support.checks.event_stream import fail
from support.clients.http_client import ApiResponse
from support.clients.run_record import REFUSAL_TYPE, Closed, RunRecord
from support.stack.service_errors import ServiceUnavailable

TRY_AGAIN_LATER = 1013  # RFC 6455 (IANA registry): the server cannot serve now; try again later


def expect_told_to_retry(answers: dict[str, ApiResponse], problem: str) -> None:
    """Each answer is a 503 problem `problem` naming the database, with Retry-After in seconds."""
    wrong = {
        request: response.describe()
        for request, response in answers.items()
        if not (
            response.status == 503
            and response.problem_type.endswith(f"/{problem}")
            and isinstance(response.body, dict)
            and response.body.get("dependency") == "database"
            and response.headers.get("retry-after", "").isdigit()
            and int(response.headers["retry-after"]) >= 1
        )
    }
    assert not wrong, (
        f'Expected every request that needs the database to get 503 problem {problem!r}, "dependency": "database" '
        f"and Retry-After, never a bare 500; these did not:\n"
        + "\n".join(f"  {request}: {said}" for request, said in wrong.items())
    )


def expect_error_frame(record: RunRecord, code: str) -> None:
    """Her message got an error frame with `code` (not a run)."""
    refusal = next((event for event in record.events if event.get("type") == REFUSAL_TYPE), None)
    if refusal is None or refusal.get("code") != code or "agent_started" in record.types:
        raise fail(f"Expected her message to get an error frame {code!r}, and no run.", record)


def expect_closed_to_retry(closed: Closed | None) -> None:
    assert closed is not None and closed.code == TRY_AGAIN_LATER, (
        f"Expected the platform to close her chat with code {TRY_AGAIN_LATER} (try again later); "
        f"got {closed or 'nothing: the chat is still open'}"
    )


@contextmanager
def dropped_is_a_defect() -> Iterator[None]:
    """Here the outage is the scenario's own: a chat the platform drops without a close frame, rather than closing
    it with 1013, is the product's answer to it, not a test bed that went down."""
    try:
        yield
    except ServiceUnavailable as dropped:
        raise AssertionError(
            f"Expected the platform to close her chat with code {TRY_AGAIN_LATER}; {dropped}"
        ) from None


def expect_recorded_as_ended(row: dict[str, Any] | None, last_event: dict[str, Any] | None, code: str) -> None:
    """Once the database is back, the run whose ending could not be stored is ended in the journal too."""
    assert row is not None, "Expected the platform to record the run; the runs table has no such run"
    ending = (last_event or {}).get("type"), (last_event or {}).get("code")
    assert row["status"] == "failed" and ending == ("agent_error", code), (
        f"Expected the run the outage cut short to be recorded, once the database was back, as ended with "
        f"agent_error {code!r}; it is {row['status']!r}, its last stored event {last_event}"
    )
