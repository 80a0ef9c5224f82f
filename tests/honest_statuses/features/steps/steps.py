# mypy: disable-error-code="untyped-decorator"
from behave import given
from behave.api.pending_step import StepNotImplementedError
from behave.runner import Context

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"


@given("a step that passes")
def step_passes(context: Context) -> None:
    pass


@given("a step whose assertion fails")
def step_assertion_fails(context: Context) -> None:
    raise AssertionError("Expected 1 event, got 2")


@given("a step that raises an unexpected exception")
def step_raises(context: Context) -> None:
    raise ConnectionError("platform API at http://127.0.0.1:9 is unreachable")


@given("a step that is still pending")
def step_pending(context: Context) -> None:
    raise StepNotImplementedError("STEP: Given a step that is still pending")


@given("a step that fails showing a token")
def step_leaks(context: Context) -> None:
    raise AssertionError(f"got Authorization: Bearer {JWT}")
