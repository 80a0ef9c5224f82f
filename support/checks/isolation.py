"""What a Then verifies when one customer reaches for another's chat: no answer tells it exists, nothing changes."""

from typing import Any

from support.clients.http_client import ApiResponse


def expect_no_such_thread(response: ApiResponse | None) -> None:
    assert response is not None, "nothing was tried"
    assert response.status == 404 and response.problem_type.endswith("/thread-not-found"), (
        "Expected 404 problem 'thread-not-found', as for a chat that does not exist, so that nobody learns "
        f"another customer's chat exists; got {response.describe()}"
    )


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


def expect_deleted(response: ApiResponse | None, rows: list[dict[str, Any]]) -> None:
    assert response is not None and response.status == 204, f"Expected the chat to be deleted; got {response}"
    assert not rows, f"Expected the chat and its messages to be gone from the database; it still holds {rows}"
