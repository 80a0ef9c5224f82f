"""Expectations on account responses: refusals are problem details with the right type and a usable reason."""

from support.clients.http_client import ApiResponse


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


def expect_same_refusal(attempts: list[ApiResponse]) -> None:
    assert len(attempts) == 2, f"Expected two login attempts, got {len(attempts)}"
    known, unknown = attempts
    for attempt in attempts:
        assert attempt.status == 401, f"Expected the login to be refused with HTTP 401; got {attempt.describe()}"
    assert known.body == unknown.body, (
        "Expected the same refusal for a wrong password and for an unknown email, so that nobody can tell "
        f"which accounts exist.\nwrong password: {known.describe()}\nunknown email:  {unknown.describe()}"
    )
