"""What a Then verifies about rate limits: 429 problems, Retry-After, and the draft-11 RateLimit fields."""

import re
from collections import Counter
from typing import Any

from support.clients.http_client import ApiResponse
from support.clients.run_record import REFUSAL_TYPE, RunRecord

POLICY = re.compile(r'^"(?P<name>[^"]+)";q=(?P<quota>\d+);w=(?P<window>\d+)$')
LIMIT = re.compile(r'^"(?P<name>[^"]+)";r=(?P<remaining>\d+);t=(?P<reset>\d+)$')


def policy_fields(response: ApiResponse) -> re.Match[str]:
    policy = POLICY.match(response.headers.get("ratelimit-policy", ""))
    assert policy, f"Expected a RateLimit-Policy field like '\"writes\";q=10;w=10'; got {dict(response.headers)}"
    return policy


def limit_fields(response: ApiResponse) -> re.Match[str]:
    limit = LIMIT.match(response.headers.get("ratelimit", ""))
    assert limit, f"Expected a RateLimit field like '\"writes\";r=3;t=4'; got {dict(response.headers)}"
    return limit


def quota(response: ApiResponse) -> int:
    return int(policy_fields(response)["quota"])


def remaining(response: ApiResponse) -> int:
    return int(limit_fields(response)["remaining"])


def retry_after(response: ApiResponse) -> int:
    value = response.headers.get("retry-after", "")
    assert value.isdigit() and int(value) >= 1, (
        f"Expected the 429 to carry Retry-After in seconds; got {value!r} in {response.describe()}"
    )
    return int(value)


def chat_retry_after(refused: RunRecord) -> int:
    """The seconds a chat refusal's error frame says to wait."""
    refusal = next((event for event in refused.events if event.get("type") == REFUSAL_TYPE), {})
    retry = refusal.get("retry_after")
    assert isinstance(retry, int) and retry >= 1, f"Expected the error frame to say when to retry; got {refusal}"
    return retry


def expect_limited(response: ApiResponse) -> None:
    assert response.status == 429 and response.problem_type.endswith("/rate-limited"), (
        f"Expected the platform to refuse with 429 problem 'rate-limited'; got {response.describe()}"
    )
    retry_after(response)


def limit_name(response: ApiResponse) -> str:
    quota(response)
    return str(POLICY.match(response.headers["ratelimit-policy"])["name"])  # type: ignore[index]


def expect_none_left(refusal: ApiResponse, accepted: ApiResponse) -> None:
    """The refusal names, in both fields, the limit the accepted writes counted against, with none of it left."""
    remaining(refusal)
    named = {limit_name(refusal), str(LIMIT.match(refusal.headers["ratelimit"])["name"])}  # type: ignore[index]
    assert named == {limit_name(accepted)}, (
        f"Expected the refusal to name the limit her writes counted against, {limit_name(accepted)!r}, in "
        f"RateLimit-Policy and RateLimit; got {refusal.headers.get('ratelimit-policy')!r} and "
        f"{refusal.headers.get('ratelimit')!r}"
    )
    assert remaining(refusal) == 0, (
        f"Expected the refusal to show none of the limit left; got {refusal.headers.get('ratelimit')!r}"
    )


def expect_plan_limit(response: ApiResponse, plan_answer: ApiResponse, kind: str) -> None:
    """The answer's RateLimit-Policy holds the figures the admin API gave for the new plan's `kind` limit."""
    published = plan_answer.body["limits"][kind]
    policy = POLICY.match(response.headers.get("ratelimit-policy", ""))
    shown = (int(policy["quota"]), int(policy["window"])) if policy else None
    assert shown == (published["quota"], published["window_seconds"]), (
        f"Expected the {plan_answer.body['plan']} plan's {kind} limit, {published['quota']} per "
        f"{published['window_seconds']} s as the admin API told; the answer shows "
        f"{response.headers.get('ratelimit-policy')!r}"
    )


def expect_first_of(response: ApiResponse, kind: str, differs_from: ApiResponse) -> None:
    """The answer names the `kind` limit and counts itself as the first request of it, and the admin API's figures
    for that limit under the plan before were others (so the same figures cannot pass for both plans)."""
    assert limit_name(response) == kind and remaining(response) == quota(response) - 1, (
        f"Expected the answer to count against the {kind} limit, one used of {quota(response)}; it shows "
        f"{response.headers.get('ratelimit')!r} under {response.headers.get('ratelimit-policy')!r}"
    )
    shown, before = (int(policy_fields(response)["quota"]), int(policy_fields(response)["window"])), differs_from
    figures = before.body["limits"][kind]
    assert shown != (figures["quota"], figures["window_seconds"]), (
        f"Expected the {kind} limit to change with the plan; the {before.body['plan']} plan's was the same, {shown}"
    )


def reset_seconds(response: ApiResponse) -> int:
    """RateLimit's t: seconds until the limit is whole again."""
    return int(limit_fields(response)["reset"])


def refill_seconds(response: ApiResponse) -> float:
    """How often the limit gives back one request: its window over its quota, as RateLimit-Policy states them."""
    policy = policy_fields(response)
    return int(policy["window"]) / int(policy["quota"])


def countdown(responses: list[ApiResponse]) -> tuple[list[int], list[int]]:
    left = [remaining(response) for response in responses]
    start = quota(responses[0]) - 1
    return left, list(range(start, start - len(responses), -1))


def countdown_may_have_refilled(responses: list[ApiResponse], seconds: float) -> bool:
    """Writes that did not count down one by one prove nothing when they took as long as one refill of the
    limit (its window over its quota): a request given back meanwhile may explain the figures."""
    left, expected = countdown(responses)
    return left != expected and seconds >= refill_seconds(responses[0])


def expect_counting_down(responses: list[ApiResponse], seconds: float) -> None:
    left, expected = countdown(responses)
    assert left == expected, f"Expected each write to show one less of the limit left: {expected}; got {left}" + (
        f" (these {len(responses)} writes took {seconds:.1f} s, longer than one refill of the limit, in every "
        "round: the platform's figures could not be told apart from a refill)"
        if countdown_may_have_refilled(responses, seconds)
        else ""
    )


def expect_accepted_with(response: ApiResponse, left: int) -> None:
    promise = f"Expected the write to be accepted, with {left} of the limit left"
    assert response.status == 201, f"{promise}; got {response.describe()}"
    assert remaining(response) == left, f"{promise}; it shows {response.headers.get('ratelimit')!r}"


def expect_same_throttling(attempts: dict[str, list[ApiResponse]], allowed: int) -> None:
    """The first `allowed` tries of each kind are refused as wrong, the next as throttled, alike."""
    refusals = []
    for kind, responses in attempts.items():
        early = [response.status for response in responses[:allowed]]
        assert early == [401] * allowed, f"Expected {allowed} ordinary refusals for {kind}; got {early}"
        throttled = responses[allowed]
        assert throttled.status == 429, (
            f"Expected try {allowed + 1} of {kind} to be throttled with 429; got {throttled.describe()}"
        )
        retry_after(throttled)
        refusals.append((kind, throttled))
    (first_kind, first), (other_kind, other) = refusals
    differ = [
        part
        for part, same in [
            ("status", first.status == other.status),
            ("body", without_waits(first.body) == without_waits(other.body)),
            ("headers", header_names(first) == header_names(other)),
            # the two kinds' tries are moments apart, a hash each: their waits may differ by a second or two
            ("Retry-After", abs(retry_after(first) - retry_after(other)) <= 2),
        ]
        if not same
    ]
    assert not differ, (
        "Expected the same throttling answer for both kinds, so it reveals no account; "
        f"these differ: {', '.join(differ)}.\n{first_kind}: {first.describe()}\n  headers: {header_names(first)}\n"
        f"{other_kind}: {other.describe()}\n  headers: {header_names(other)}"
    )


def without_waits(body: Any) -> Any:
    """A problem body with its wait in seconds blanked: two answers moments apart may differ by one second."""
    if not isinstance(body, dict):
        return body
    return {key: re.sub(r"\b\d+ s\b", "N s", value) if isinstance(value, str) else value
            for key, value in body.items() if key != "retry_after"}  # fmt: skip


def header_names(response: ApiResponse) -> list[str]:
    """The headers an answer carries, by name: their values hold times and request ids."""
    return sorted({name.lower() for name in response.headers} - {"date", "x-request-id", "content-length"})


def address_may_have_refilled(answer: ApiResponse, refusal: ApiResponse, waited: float) -> bool:
    """A login let in from a limited address proves nothing when the refusal's Retry-After (less the second it
    is rounded up by) had run out in the `waited` seconds from sending the refused login to receiving this
    answer: the limit may have refilled. The platform's own figure, on the side a busy machine only widens."""
    if answer.status == 429 or refusal.status != 429:
        return False
    return waited >= retry_after(refusal) - 1


def expect_address_limited(response: ApiResponse, limit: str, tries: list[ApiResponse], waited: float) -> None:
    """After `tries` from one address, a login from there is a 429 problem whose RateLimit-Policy names `limit`,
    in a round that could tell: one where it came before the address's limit could have refilled."""
    statuses = Counter(str(attempt.status) for attempt in tries)
    assert not address_may_have_refilled(response, tries[-1], waited), (
        f"Could not tell whether the per-address login limit holds: in every round, the login from the limited "
        f"address came after the refusal's Retry-After ({tries[-1].headers.get('retry-after')} s) had run out, "
        f"when the limit may have refilled ({dict(statuses)} by status over {len(tries)} logins)"
    )
    assert response.status == 429, (
        f"Expected a login from an address after {len(tries)} logins from there ({dict(statuses)} by status) to be "
        f"refused with 429 problem 'rate-limited'; got {response.describe()}"
    )
    expect_limited(response)
    assert limit_name(response) == limit, (
        f"Expected the refusal to name the {limit!r} limit in RateLimit-Policy; got "
        f"{response.headers.get('ratelimit-policy')!r}"
    )
