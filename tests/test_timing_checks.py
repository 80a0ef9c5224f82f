"""The timing checks judge on facts a busy machine cannot move: each one passes however slow this machine was,
and still fails for the platform that breaks its promise."""

from datetime import UTC, datetime, timedelta

import httpx2
import pytest

from support.checks import limits, resilience
from support.checks.tokens import Refresh, expect_session_capped, expect_session_slid
from support.clients.http_client import ApiResponse

SIGNAL = datetime(2027, 1, 5, 9, 4, 3, tzinfo=UTC)


def answer(status: int, body: object = None, **headers: str) -> ApiResponse:
    return ApiResponse("POST", "http://127.0.0.1/threads", status, body or {}, httpx2.Headers(headers))


def write(left: int, quota: int = 10, window: int = 10) -> ApiResponse:
    return answer(201, **{"ratelimit-policy": f'"writes";q={quota};w={window}', "ratelimit": f'"writes";r={left};t=1'})


def ended_run(after_signal: float | None) -> tuple[dict[str, object], dict[str, object]]:
    ended = SIGNAL + timedelta(seconds=after_signal) if after_signal is not None else None
    return {"run": "r1", "ended_at": ended}, {"type": "agent_error", "code": "run_interrupted"}


@pytest.mark.parametrize("seen_exit_after", [5.1, 12.0, 40.0])
def test_a_run_ended_at_the_grace_passes_however_late_the_exit_was_seen(seen_exit_after: float) -> None:
    row, last = ended_run(5.05)
    resilience.expect_interrupted_at_grace(row, last, SIGNAL, SIGNAL + timedelta(seconds=seen_exit_after), 5)


@pytest.mark.parametrize("ended_after", [1.0, 6.0, None])
def test_a_run_ended_too_soon_by_the_next_server_or_never_fails(ended_after: float | None) -> None:
    row, last = ended_run(ended_after)
    with pytest.raises(AssertionError, match="Expected the run, still going when the 5 s shutdown grace ran out"):
        resilience.expect_interrupted_at_grace(row, last, SIGNAL, SIGNAL + timedelta(seconds=5.5), 5)


def test_a_run_recorded_as_ended_is_judged_on_its_own_start_and_end() -> None:
    resilience.expect_run_ended({"run": "r1", "status": "failed", "started_at": SIGNAL,
                                 "ended_at": SIGNAL + timedelta(seconds=3.9), "events": 4}, 4)  # fmt: skip
    with pytest.raises(AssertionError, match=r"ended 6\.0 s later"):
        resilience.expect_run_ended({"run": "r1", "status": "failed", "started_at": SIGNAL,
                                     "ended_at": SIGNAL + timedelta(seconds=6), "events": 4}, 4)  # fmt: skip


def test_a_login_let_in_from_a_limited_address_proves_nothing_only_once_the_wait_ran_out() -> None:
    refusal = answer(429, **{"retry-after": "25"})
    assert not limits.address_may_have_refilled(answer(200), refusal, waited=3.0)
    assert limits.address_may_have_refilled(answer(200), refusal, waited=24.0)
    assert not limits.address_may_have_refilled(answer(429, **{"retry-after": "25"}), refusal, waited=24.0)
    assert not limits.address_may_have_refilled(answer(200), answer(401), waited=24.0)  # never refused: a defect


def test_a_countdown_that_took_longer_than_one_refill_proves_nothing() -> None:
    limits.expect_counting_down([write(9), write(8), write(7)], seconds=5.0)
    assert limits.countdown_may_have_refilled([write(9), write(8), write(8)], seconds=1.2)
    assert not limits.countdown_may_have_refilled([write(9), write(8), write(8)], seconds=0.4)
    with pytest.raises(AssertionError, match=r"Expected each write to show one less of the limit left: \[9, 8, 7\]"):
        limits.expect_counting_down([write(10), write(10), write(10)], seconds=0.4)
    with pytest.raises(AssertionError, match="longer than one refill of the limit, in every round"):
        limits.expect_counting_down([write(9), write(8), write(8)], seconds=1.2)


REFUSED = {"type": "https://chat-acceptance.test/problems/invalid-grant", "error": "invalid_grant"}


def refreshes(*timed: tuple[float, float, int]) -> list[Refresh]:
    """Refreshes as (sent, answered, status); a 400 is OAuth's invalid_grant problem."""
    return [
        Refresh(sent, answered, answer(status, REFUSED if status == 400 else None)) for sent, answered, status in timed
    ]


def test_a_session_capped_on_time_passes_however_slow_each_refresh_was() -> None:
    went = refreshes((1.5, 2.9, 200), (4.4, 5.8, 200), (7.3, 8.9, 200), (9.6, 12.7, 400))
    expect_session_capped(went, 10)
    expect_session_slid(went, 4)


def test_a_session_refused_surely_too_soon_or_refreshed_surely_too_late_fails() -> None:
    with pytest.raises(AssertionError, match="Expected the session to refresh until it was 10 s old"):
        expect_session_capped(refreshes((1.5, 2.0, 200), (4.0, 4.5, 200), (6.0, 6.5, 400)), 10)
    with pytest.raises(AssertionError, match="Expected the session to refresh until it was 10 s old"):
        expect_session_capped(refreshes((9.0, 9.5, 200), (10.6, 11.0, 200), (12.1, 12.5, 400)), 10)
    with pytest.raises(AssertionError, match="keep the session going past the first refresh token's 4 s"):
        expect_session_slid(refreshes((1.5, 2.0, 200), (3.0, 5.9, 200), (4.6, 6.0, 400)), 4)
