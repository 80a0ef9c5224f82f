"""What a Then verifies about error answers: RFC 9457 problem documents, whoever wrote them."""

from support.clients.http_client import ApiResponse

PROBLEM_MEDIA_TYPE = "application/problem+json"
# Each problem type the journeys name: the status it is answered with (the contract's problem table), and what it
# tells the customer, in the journeys' words.
PROBLEMS = {
    "not-found": (404, "nothing is there"),
    "method-not-allowed": (405, "the address does not take that method"),
}


def expect_problem_document(response: ApiResponse | None, status: int, problem: str) -> None:
    """An RFC 9457 problem: its media type, and a body with the status, a type naming `problem` and a title."""
    assert response is not None, "nothing was asked"
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    body = response.body if isinstance(response.body, dict) else {}
    assert (
        response.status == status
        and media_type == PROBLEM_MEDIA_TYPE
        and body.get("status") == status
        and response.problem_type.endswith(f"/{problem}")
        and body.get("title")
    ), (
        f"Expected an RFC 9457 problem ({PROBLEM_MEDIA_TYPE}) with status {status}, type '{problem}' and a title; "
        f"got {response.describe()} as {media_type!r}"
    )


def expect_told(response: ApiResponse | None, problem: str, meaning: str) -> None:
    """The answer is the problem `problem`, with its status, and the sentence says what that problem means."""
    status, means = PROBLEMS[problem]
    assert meaning == means, f"the sentence says {meaning!r}; a {problem!r} problem tells the customer {means!r}"
    expect_problem_document(response, status, problem)


def expect_allows(response: ApiResponse | None, methods: list[str]) -> None:
    """Allow lists these methods, and not the one just refused."""
    assert response is not None, "nothing was asked"
    allowed = {method.strip().upper() for method in response.headers.get("allow", "").split(",") if method.strip()}
    assert set(methods) <= allowed and response.method.upper() not in allowed, (
        f"Expected the Allow header to list {', '.join(methods)}, and not the refused {response.method}; "
        f"it lists {sorted(allowed) or 'none'}"
    )
