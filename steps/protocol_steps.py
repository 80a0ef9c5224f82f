# mypy: disable-error-code="untyped-decorator"
import asyncio
import json
import time

from behave import then, when
from behave.runner import Context

from support.checks import event_stream as stream
from support.checks import resilience as check
from support.checks.history import expect_no_hidden_run

QUEUED_QUESTIONS = {"What is 2 + 3?": "5", "What is 4 * 6?": "24"}  # answers that share no figure


@when("{person:Person} sends the chat something that is not JSON")
def step_send_not_json(context: Context, person: str) -> None:
    context.run(context.cast.actor(person).chat.send_raw("{this is not json", "a frame that is not JSON"))


@when("{person:Person} sends the chat a message of a kind it does not know")
def step_send_unknown_kind(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    frame = json.dumps({"type": "typing_indicator", "thread_id": actor.chat.thread_id})
    context.run(actor.chat.send_raw(frame, "a message of an unknown type"))


@when("{person:Person} sends the chat a resume that names no run")
def step_send_resume_without_run(context: Context, person: str) -> None:
    frame = json.dumps({"type": "resume", "after_seq": 0})
    context.run(context.cast.actor(person).chat.send_raw(frame, "a resume that names no run"))


@when("{person:Person} sends the chat a frame of {size:d} MiB")
def step_send_huge_frame(context: Context, person: str, size: int) -> None:
    context.run(context.cast.actor(person).chat.send_raw("x" * size * 2**20, f"a frame of {size} MiB"))


@then("the platform closes {person:Person} chat because the message is too big")
def step_closed_too_big(context: Context, person: str) -> None:
    closed = context.run(context.cast.actor(person).chat.follow_until_closed(check.CLOSE_SLACK))
    assert closed is not None and closed.code == check.MESSAGE_TOO_BIG, (
        f"Expected the platform to close her chat with code {check.MESSAGE_TOO_BIG} (message too big); "
        f"got {closed or 'nothing: the chat is still open'}"
    )


@when("{person:Person} sends the agent an empty question")
def step_send_empty(context: Context, person: str) -> None:
    context.run(context.cast.actor(person).chat.ask("   "))


@when("{person:Person} sends the agent a message {size} the size limit the chat policy publishes")
def step_send_sized(context: Context, person: str, size: str) -> None:
    limit = context.run(check.published_policy(context.cast.api)).max_message_bytes
    frame_bytes = {"one byte over": limit + 1, "exactly as large as": limit}[size]
    context.run(context.cast.actor(person).chat.ask_sized("What is 1 + 1?", frame_bytes))


@then("{person:Person} message is answered with agent_completed")
def step_answered(context: Context, person: str) -> None:
    run = context.run(context.cast.actor(person).runs.latest_run())
    stream.expect_answered(run, "a message exactly at the published size limit")


@then('{person:Person} resume is refused with "{code}", and no run starts')
@then('{person:Person} message is refused with "{code}", and no run starts')
def step_message_refused(context: Context, person: str, code: str) -> None:
    actor = context.cast.actor(person)
    stream.expect_refused(context.run(actor.runs.refused_run()), code)
    expect_no_hidden_run(context.run(actor.records.runs_never_shown(context.database)), f"{actor.name}'s")


@then("{person:Person} next question is answered on the same chat")
def step_next_answered(context: Context, person: str) -> None:
    stream.expect_answered_on_the_same_chat(*context.run(context.cast.actor(person).runs.ask_again()))


@when("{person:Person} sends two questions without waiting for the first answer")
def step_send_two(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    for question in QUEUED_QUESTIONS:
        context.run(actor.chat.ask(question))


@then("both are answered in the order asked, each by a run of its own, the second starting only after the first ended")
def step_one_after_another(context: Context) -> None:
    record = context.run(context.cast.current.runs.collect_runs(len(QUEUED_QUESTIONS)))
    stream.expect_one_after_another(record, list(QUEUED_QUESTIONS.values()))


@when("{person:Person} leaves the chat idle for three ping intervals")
def step_idle(context: Context, person: str) -> None:
    seconds = 3 * context.run(check.published_policy(context.cast.api)).ping_interval
    context.run(asyncio.sleep(seconds), timeout=seconds + 5)


@then(
    "the platform has pinged {person:Person} chat at least once every ping interval, give or take a second, "
    "and that interval is at most 30 seconds"
)
def step_pinged(context: Context, person: str) -> None:
    connection = context.cast.actor(person).chat.connection
    assert connection is not None
    check.expect_pinged(
        connection.opened_at,
        list(connection.pings),
        time.monotonic(),
        context.run(check.published_policy(context.cast.api)),
    )


@when("{person:Person} app opens a chat and then answers nothing, not even the platform's pings")
def step_silent_app(context: Context, person: str) -> None:
    context.run(context.cast.actor(person).chat.open_silent_chat())


@then("the platform closes that chat as broken within one ping interval and one ping timeout, give or take a second")
def step_silent_closed(context: Context) -> None:
    policy, silent = context.run(check.published_policy(context.cast.api)), context.cast.current.chat.silent_chat
    assert silent is not None
    waited = policy.ping_interval + policy.ping_timeout + 2 * check.PING_SLACK
    closed_after = context.run(silent.wait_for_close(waited), timeout=waited + 5)
    check.expect_closed_for_silence(closed_after, waited, policy, silent.close_code, check.INTERNAL_ERROR)
