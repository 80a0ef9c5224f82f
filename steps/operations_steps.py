# mypy: disable-error-code="untyped-decorator"
"""What operators ask the platform: liveness, readiness and version."""

from behave import then, when
from behave.runner import Context

from support.checks import operations as check


@when("the operator asks one server whether it is ready")
def step_ask_ready(context: Context) -> None:
    context.operator_answer = context.run(context.cast.api.request("GET", "/health/ready"))


@then("it answers that it is ready, with its database up")
def step_ready(context: Context) -> None:
    check.expect_ready(context.operator_answer)


@when("the operator asks the platform what it runs")
def step_ask_version(context: Context) -> None:
    context.operator_answer = context.run(context.cast.api.request("GET", "/version"))


@then("it names what is deployed: a name, a version and a commit")
def step_version(context: Context) -> None:
    check.expect_version(context.operator_answer)


@then("each server still says it is alive")
def step_still_alive(context: Context) -> None:
    answers = [context.run(context.cast.api.on(url).request("GET", "/health/live")) for url in context.servers.urls]
    check.expect_alive(answers)
