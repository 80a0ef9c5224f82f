# mypy: disable-error-code="untyped-decorator"
"""The API's error answers, the web framework's own included."""

from behave import then, when
from behave.runner import Context

from support.checks import problems as check


@when("{person:Person} asks the API for an address it does not have")
def step_unknown_address(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    actor.last_response = context.run(context.cast.api.request("GET", "/no-such-address", token=actor.session.token))


@when("{person:Person} asks the API to delete her list of chats")
def step_delete_the_list(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    actor.last_response = context.run(context.cast.api.request("DELETE", "/threads", token=actor.session.token))


@then('{person:Person} is told in a problem "{problem}" that {what}')
def step_problem(context: Context, person: str, problem: str, what: str) -> None:
    check.expect_told(context.cast.actor(person).last_response, problem, what)


@then("the answer lists the methods the address does take, {first} and {second}")
def step_allows(context: Context, first: str, second: str) -> None:
    check.expect_allows(context.cast.current.last_response, [first, second])
