# mypy: disable-error-code="untyped-decorator"
"""Journeys that stop the platform's database and start it again."""

from behave import given, then, when
from behave.runner import Context

from support.checks import event_stream as stream
from support.checks import outage as check
from support.stack.database_outage import RECOVERY_SECONDS, DatabaseOutage, not_ready_after
from support.waiting import poll_until

SLACK = 2.0  # seconds the platform gets to tell her, once its database is gone


def take_the_database_down(context: Context) -> None:
    """Stop PostgreSQL; after_scenario starts it again whatever happens, and meanwhile a failing step is the
    platform's answer to this outage, not an outage of the test bed."""
    context.database_outage = DatabaseOutage(context.stack)
    context.database_outage.begin()


@when("the platform's database goes down")
def step_database_down(context: Context) -> None:
    take_the_database_down(context)


@when("the platform's database goes down while the tool is running")
def step_database_down_mid_run(context: Context) -> None:
    context.run(context.cast.current.runs.follow_run_until("tool_executing"))
    take_the_database_down(context)


@given("the platform's database has gone down and come back")
def step_database_back(context: Context) -> None:
    take_the_database_down(context)
    bring_the_database_back(context)
    for actor in context.cast.actors.values():
        if actor.chat.connection is not None:
            closed = context.run(actor.chat.wait_for_close(0))
            assert closed is None, f"Expected {actor.name}'s chat, which only waited, to outlive the outage; {closed}"


@when("the database comes back")
def bring_the_database_back(context: Context) -> None:
    context.database_outage.end()
    waiting = context.run(not_ready_after(context.servers.urls), timeout=RECOVERY_SECONDS + 5)
    assert not waiting, (
        f"Expected every server to be ready again within {RECOVERY_SECONDS:g} s of the database's return; "
        + "; ".join(f"{url} said {answer}" for url, answer in waiting.items())
    )


@then("the platform records {person:Person} run as ended with service_unavailable, once it can")
def step_recorded_unavailable(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    poll_until(lambda: context.run(actor.records.run_has_ended(context.database)), SLACK)
    row, last_event = context.run(actor.records.run_ending(context.database))
    check.expect_recorded_as_ended(row, last_event, "service_unavailable")


@then('each of {person:Person} requests that need the database gets a problem "{problem}" that says when to try again')
def step_told_to_retry(context: Context, person: str, problem: str) -> None:
    check.expect_told_to_retry(context.run(context.cast.actor(person).session.try_everything()), problem)


@then('{person:Person} run ends with agent_error "{code}"')
def step_run_ends_with(context: Context, person: str, code: str) -> None:
    actor = context.cast.actor(person)
    context.run(actor.chat.follow_until_closed(SLACK))
    stream.expect_error_code(actor.runs.seen[-1], code)


@then('{person:Person} question gets an error frame "{code}"')
def step_error_frame(context: Context, person: str, code: str) -> None:
    with check.dropped_is_a_defect():
        check.expect_error_frame(context.run(context.cast.actor(person).runs.latest_run(within=SLACK)), code)


@then("{person:Person} chat is closed, telling her app to try again later")
def step_closed_to_retry(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    closed = actor.runs.seen[-1].closed or context.run(actor.chat.follow_until_closed(SLACK))
    check.expect_closed_to_retry(closed)
