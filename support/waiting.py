"""Journeys that wait for time to pass (a token to expire, a window to reset) wait a bounded time."""

import time
from collections.abc import Callable

LONGEST_WAIT = 30.0  # no journey waits longer than this for a token, a link or a limit to lapse


def wait_until(seconds_from_now: float, what: str) -> None:
    assert seconds_from_now <= LONGEST_WAIT, f"{what} is {seconds_from_now:.0f} s away, over {LONGEST_WAIT:g} s"
    time.sleep(max(0.0, seconds_from_now))


def poll_until(condition: Callable[[], bool], seconds: float, interval: float = 0.2) -> bool:
    """Ask `condition` until it holds or `seconds` pass; whether it held."""
    deadline = time.monotonic() + min(seconds, LONGEST_WAIT)
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
    return True
