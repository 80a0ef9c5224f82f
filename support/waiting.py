"""Journeys that wait for time to pass (a token to expire, a window to reset) wait a bounded time."""

import asyncio
import time
from collections.abc import Callable

from support.stack.service_errors import NotConfigured

LONGEST_WAIT = 30.0  # no journey waits longer than this for a token, a link or a limit to lapse


def wait_until(seconds_from_now: float, what: str) -> None:
    """Sleep until then; a wait over LONGEST_WAIT fails at once: the target's settings make the journey too long."""
    within_longest_wait(seconds_from_now, what)
    time.sleep(max(0.0, seconds_from_now))


async def wait_out(seconds_from_now: float, what: str) -> None:
    """wait_until, on the event loop."""
    within_longest_wait(seconds_from_now, what)
    await asyncio.sleep(max(0.0, seconds_from_now))


def within_longest_wait(seconds_from_now: float, what: str) -> None:
    if seconds_from_now > LONGEST_WAIT:
        raise NotConfigured(
            f"{what} is {seconds_from_now:.0f} s away, over the {LONGEST_WAIT:g} s a journey waits: give the target "
            "shorter lifetimes (docs/configuration.md, 'The target')"
        )


def poll_until(condition: Callable[[], bool], seconds: float, interval: float = 0.2) -> bool:
    """Ask `condition` until it holds or `seconds` pass; whether it held."""
    deadline = time.monotonic() + min(seconds, LONGEST_WAIT)
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
    return True
