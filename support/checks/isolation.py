"""What a Then verifies when one customer reaches for another's chat: no answer tells it exists, nothing changes."""

import json
import re
from typing import Any

from support.checks.limits import header_names
from support.clients.http_client import ApiResponse


def expect_no_such_thread(response: ApiResponse | None, for_nothing: ApiResponse | None = None) -> None:
    """404 thread-not-found, and (when given) the very answer a chat that does not exist gets, ids aside."""
    assert response is not None, "nothing was tried"
    assert response.status == 404 and response.problem_type.endswith("/thread-not-found"), (
        "Expected 404 problem 'thread-not-found', as for a chat that does not exist, so that nobody learns "
        f"another customer's chat exists; got {response.describe()}"
    )
    if for_nothing is not None:
        expect_same_answer(response, for_nothing, "a chat that does not exist")


def expect_same_answer(response: ApiResponse, for_nothing: ApiResponse, nothing: str) -> None:
    """Status, body and header names alike, with the ids in them blanked: nothing tells the two apart."""
    same = (response.status, blank_ids(response.body), header_names(response)) == (
        for_nothing.status,
        blank_ids(for_nothing.body),
        header_names(for_nothing),
    )
    assert same, (
        f"Expected the same answer as for {nothing}, so that nobody learns it exists;\n"
        f"got:             {response.describe()}\n  headers: {header_names(response)}\n"
        f"for {nothing}: {for_nothing.describe()}\n  headers: {header_names(for_nothing)}"
    )


def blank_ids(body: Any) -> Any:
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", json.dumps(body))


def expect_unchanged(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> None:
    assert before and after == before, (
        f"Expected the other customer's chat to be unchanged in the database.\nbefore: {before}\nafter:  {after}"
    )


def expect_only_own_threads(response: ApiResponse | None, own: str, other: str) -> None:
    assert response is not None and response.status == 200, f"Expected her list of chats; got {response}"
    listed = [thread.get("id") for thread in response.body.get("threads", [])]
    assert own in listed and other not in listed and all(thread_id == own for thread_id in listed), (
        f"Expected her list to hold her own chat {own} and nobody else's; it lists {listed}"
    )


def expect_filed_under(thread_id: str, hers: ApiResponse, others: ApiResponse) -> None:
    """The chat she opened is in her list and not in the other customer's, whatever owner her request named."""
    listed = {name: [thread.get("id") for thread in answer.body.get("threads", [])] if answer.status == 200 else None
              for name, answer in (("hers", hers), ("others", others))}  # fmt: skip
    assert listed["hers"] is not None and listed["others"] is not None, f"Expected both lists; got {listed}"
    assert thread_id in listed["hers"] and thread_id not in listed["others"], (
        f"Expected the chat she opened to be filed under her own account, whatever owner her request named; it is "
        f"{thread_id}; her chats: {listed['hers']}, the other customer's: {listed['others']}"
    )


def expect_deleted(response: ApiResponse | None, traces: dict[str, int]) -> None:
    assert response is not None and response.status == 204, f"Expected the chat to be deleted; got {response}"
    left = {table: count for table, count in traces.items() if count}
    assert not left, (
        f"Expected the chat, its messages, runs and run events to be gone from the database; rows left: {left}"
    )
