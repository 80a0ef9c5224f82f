# mypy: disable-error-code="untyped-decorator"
import signal
import time

from behave import then, when
from behave.runner import Context

from support.actors import Actor
from support.checks import event_stream as stream
from support.checks import resilience as check
from support.checks.event_stream import last_seq
from support.clients.servers import base_of
from support.stack.service_errors import NotConfigured
from support.waiting import poll_until, wait_until

SLACK = 2.0  # seconds allowed on top of a published limit
RUN_INTERRUPTED = "run_interrupted"


def policy(context: Context) -> check.ChatPolicy:
    published: check.ChatPolicy = context.run(check.published_policy(context.cast.api))
    return published


def follow_the_slow_tool(context: Context, person: str) -> Actor:
    """Listen to the latest question's run until its (diagnostic, slow) tool is running."""
    policy(context).require_diagnostic_tools()
    actor: Actor = context.cast.actor(person)
    context.run(actor.runs.follow_run_until("tool_executing"))
    return actor


def restart_her_server(context: Context, person: str, how: signal.Signals) -> None:
    if context.stack is None:
        raise NotConfigured(
            "Restart journeys stop and start the platform: they run on the embedded stack only "
            '(leave them out against a deployment with --tags="not @restarts").'
        )
    actor = follow_the_slow_tool(context, person)
    assert actor.chat.connection is not None
    context.restart = context.stack.restart(base_of(actor.chat.connection.url), how)


@when("{person:Person} connection drops while the tool is running")
def step_drop_mid_run(context: Context, person: str) -> None:
    context.run(follow_the_slow_tool(context, person).chat.drop_connection())


@when("{person:Person} closes the app while the tool is running")
def step_close_app_mid_run(context: Context, person: str) -> None:
    context.run(follow_the_slow_tool(context, person).chat.close_app())


@when("the run ends while {person:Person} is away")
def step_run_ends_meanwhile(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    ended = poll_until(lambda: context.run(actor.records.run_has_ended(context.database)), context.target.event_timeout)
    assert ended, f"Expected {actor.name}'s run to end within {context.target.event_timeout:g} s while she was away"


@when("the platform's event retention has passed since {person:Person} run ended")
def step_retention_passed(context: Context, person: str) -> None:
    run = context.run(context.cast.actor(person).runs.latest_run())
    index = run.terminal_index
    assert index is not None, f"her run has not ended:\n{run.received()}"
    retention = policy(context).event_retention
    wait_until(run.arrivals[index] + retention + 1.0 - time.monotonic(), "the platform's event retention")


@when("{person:Person} resumes her run on the same chat")
def step_resume_here(context: Context, person: str) -> None:
    runs = context.cast.actor(person).runs
    context.run(runs.send_resume(runs.latest_run_id, last_seq(runs.seen[-1])))


@when("{person:Person} reconnects and resumes the run")
def step_resume(context: Context, person: str) -> None:
    context.run(context.cast.actor(person).runs.resume_run())


@when("{person:Person}, signed in as herself, resumes {owner:Person}'s run")
def step_resume_foreign_run(context: Context, person: str, owner: str) -> None:
    victim_run = context.run(context.cast.actor(owner).runs.latest_run())
    intruder = context.cast.actor(person)
    context.run(intruder.account.sign_up_and_log_in())
    context.run(intruder.chat.open_chat())
    context.run(intruder.runs.resume_foreign_run(victim_run))


@when("{person:Person} server restarts gracefully while the tool is running")
def step_graceful_restart(context: Context, person: str) -> None:
    restart_her_server(context, person, signal.SIGTERM)


@when("{person:Person} server is killed while the tool is running")
def step_killed(context: Context, person: str) -> None:
    restart_her_server(context, person, signal.SIGKILL)


@then("{person:Person} receives every event after the last one she saw, once each and in order, ending with {terminal}")
def step_resumed_without_gaps(context: Context, person: str, terminal: str) -> None:
    actor = context.cast.actor(person)
    assert actor.runs.interrupted and actor.runs.resumed, f"{actor.name} has not resumed a run"
    stream.expect_resumed_without_gaps(actor.runs.interrupted, actor.runs.resumed, terminal)


@then("the resumed run ends with {terminal}")
def step_resumed_ends_with(context: Context, terminal: str) -> None:
    actor = context.cast.current
    assert actor.runs.interrupted and actor.runs.resumed, f"{actor.name} has not resumed a run"
    kind, _, code = terminal.partition(" ")
    stream.expect_resumed_without_gaps(actor.runs.interrupted, actor.runs.resumed, kind)
    if code:
        stream.expect_error_code(actor.runs.resumed, code.strip('"'))


@then("{person:Person} chat is closed because the service is restarting")
def step_closed_for_restart(context: Context, person: str) -> None:
    closed = context.run(context.cast.actor(person).chat.follow_until_closed(SLACK))
    assert closed is not None and closed.code == check.SERVICE_RESTART, (
        f"Expected her chat to be closed with code {check.SERVICE_RESTART} (service restart); "
        f"got {closed or 'no close at all'}"
        + (f" ({check.NO_CLOSE_FRAME}: cut off without a close frame)" if closed and closed.code is None else "")
    )


@then("the platform records {person:Person} run as cut off, though nobody resumed it")
def step_recorded_cut_off(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    poll_until(lambda: context.run(actor.records.run_has_ended(context.database)), SLACK)
    row, last_event = context.run(actor.records.run_ending(context.database))
    check.expect_cut_off(row, last_event, RUN_INTERRUPTED)


@then(
    "the platform recorded {person:Person} run as interrupted when the shutdown grace ran out, before her server"
    " stopped"
)
def step_interrupted_at_grace(context: Context, person: str) -> None:
    row, last_event = context.run(context.cast.actor(person).records.run_ending(context.database))
    grace = policy(context).shutdown_grace
    check.expect_interrupted_at_grace(row, last_event, context.restart.signalled_at, context.restart.exited_at, grace)


@then("{person:Person} chat is cut off abruptly, with no closing word from the server")
def step_cut_off(context: Context, person: str) -> None:
    closed = context.run(context.cast.actor(person).chat.follow_until_closed(SLACK))
    assert closed is not None and closed.code is None, (
        f"Expected a killed server to cut her chat off without a close frame ({check.NO_CLOSE_FRAME}); "
        f"got {closed or 'no close at all'}"
    )


@then('within the tool timeout and 2 seconds more the run ends with agent_error "{code}"')
def step_ends_within_tool_timeout(context: Context, code: str) -> None:
    actor, within = context.cast.current, policy(context).tool_timeout + SLACK
    waited = within + context.target.event_timeout  # the wait has room to spare; the platform's times judge
    run = context.run(actor.runs.latest_run(within=waited), timeout=waited + 5)
    stream.expect_failed_tool_call(run, code)
    if context.target.database_url is None:
        stream.expect_finished_within(run, within)
    else:  # the run's end is the platform's: its own times judge, the client's clock is evidence
        stream.expect_run_took_at_most(context.run(actor.records.stored_run(context.database)), run, within)


@then("within the tool timeout and 2 seconds more the platform records {person:Person} run as ended")
def step_run_recorded_ended(context: Context, person: str) -> None:
    actor, within = context.cast.actor(person), policy(context).tool_timeout + SLACK
    # Waited for on the client's clock with room to spare; judged on the run's own start and end in the database.
    poll_until(
        lambda: context.run(actor.records.run_has_ended(context.database)),
        within + context.target.event_timeout - actor.runs.seconds_since_question(),
    )
    check.expect_run_ended(context.run(actor.records.stored_run(context.database)), within)
