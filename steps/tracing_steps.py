# mypy: disable-error-code="untyped-decorator"
"""Request ids: on every answer, taken up from the app, and in the platform's log."""

import uuid

from behave import then, when
from behave.runner import Context

from support.checks import tracing as check
from support.stack.service_errors import NotConfigured


@when("{person:Person} reads her profile once with a request id of her own and once without one")
def step_read_with_request_id(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    context.request_id = str(uuid.uuid4())
    token = actor.session.token
    context.with_id = context.run(context.cast.api.request("GET", "/me", token=token, request_id=context.request_id))
    context.without_id = context.run(context.cast.api.request("GET", "/me", token=token))


@then("the answer to her request with an id carries that same id")
def step_id_echoed(context: Context) -> None:
    check.expect_request_id(context.with_id, context.request_id)


@then("the answer to her request without one carries a new request id")
def step_id_made(context: Context) -> None:
    check.expect_new_request_id(context.without_id, context.request_id)


@then("the platform's log line for her request names her request id")
def step_id_logged(context: Context) -> None:
    logs = context.target.platform_logs
    if logs is None:
        raise NotConfigured("This check reads the platform's log: -D platform_logs=<glob of its log files>")
    check.expect_logged(logs, context.request_id, "GET /me")
