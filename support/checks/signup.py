"""Expectations on account responses: refusals are problem details with the right type and a usable reason."""

from support.clients.http_client import ApiResponse

PER_RESPONSE_HEADERS = frozenset({"date", "x-request-id"})  # differ on every response, so they reveal nothing


def expect_signup_refused(response: ApiResponse | None, status: int, problem: str, reason: str | None = None) -> None:
    assert response is not None, "no signup was attempted"
    assert response.status == status and response.problem_type.endswith(f"/{problem}"), (
        f"Expected the signup to be refused with HTTP {status} and problem type '{problem}'; got {response.describe()}"
    )
    if reason is not None:
        reasons = " ".join(
            [str(response.body.get("detail", ""))]
            + [str(item.get("reason", "")) for item in response.body.get("errors", [])]
        )
        assert reason in reasons, f"Expected the refusal to give the reason '{reason}'; it said: {reasons!r}"


def _headers(response: ApiResponse) -> dict[str, str]:
    return {name: value for name, value in response.headers.items() if name.lower() not in PER_RESPONSE_HEADERS}


def expect_same_refusal(attempts: dict[str, list[ApiResponse]]) -> None:
    """Every attempt, of every kind, got the same status, body and headers."""
    assert len(attempts) == 2 and all(attempts.values()), f"Expected two kinds of login attempt; got {list(attempts)}"
    (first_kind, [reference, *_]), *_ = attempts.items()
    for kind, responses in attempts.items():
        for response in responses:
            assert response.status == 401, f"Expected the login to be refused with HTTP 401; got {response.describe()}"
            same_body, same_headers = response.body == reference.body, _headers(response) == _headers(reference)
            assert same_body and same_headers, (
                "Expected the same refusal for a wrong password and for an unknown email, so that nobody can tell "
                f"which accounts exist; the {'body' if not same_body else 'headers'} differ.\n"
                f"{first_kind}: {reference.describe()}\n  headers: {_headers(reference)}\n"
                f"{kind}: {response.describe()}\n  headers: {_headers(response)}"
            )


def expect_similar_timing(attempts: dict[str, list[ApiResponse]], max_ratio: float) -> None:
    """No kind of refusal comes back in less than 1/max_ratio of the time of another. Each kind's fastest try
    is compared: other work on the machine only ever adds time, so the fastest is the least disturbed."""
    quickest = {kind: min(response.elapsed_ms for response in responses) for kind, responses in attempts.items()}
    slowest, fastest = max(quickest.values()), min(quickest.values())
    assert slowest < fastest * max_ratio, (
        "Expected refusals to take a similar time, so that timing does not tell which accounts exist; fastest "
        "times: "
        + ", ".join(f"{kind} {ms:.0f} ms" for kind, ms in quickest.items())
        + f" (the slower may take less than {max_ratio:g} times the faster)"
    )
