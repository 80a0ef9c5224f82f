# mypy: disable-error-code="untyped-decorator"
from pathlib import Path

from behave import given
from behave.runner import Context


def first_attempt(context: Context, what: str) -> bool:
    """True the first time `what` runs; a marker file remembers it across attempts."""
    marker = Path(context.config.userdata["markers"]) / what
    if marker.exists():
        return False
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()
    return True


@given("this is not the first attempt, or the check fails")
def step_fails_once(context: Context) -> None:
    assert not first_attempt(context, "check"), "Expected the answer on the first attempt, got none"


@given("this is not the first attempt, or the connection breaks")
def step_breaks_once(context: Context) -> None:
    if first_attempt(context, "connection"):
        raise ConnectionError("platform API at http://127.0.0.1:9 is unreachable")
