# mypy: disable-error-code="untyped-decorator"
import uuid

from behave import given, then, when
from behave.runner import Context

from support.abilities.runs import LATE_RUN_WATCH_SECONDS
from support.checks import event_stream as stream
from support.checks.history import (
    expect_answer_names_stored_message,
    expect_exchange_in_history,
    expect_exchange_stored,
    expect_no_hidden_run,
    expect_nothing_from,
)


@given("{person:Person} has opened a chat with the agent")
def step_opened_chat(context: Context, person: str) -> None:
    context.run(context.cast.actor(person).chat.open_chat())


@given("{person:Person} is in a chat with the agent")
def step_in_chat(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    context.run(actor.account.sign_up_and_log_in())
    context.run(actor.chat.open_chat())


@when('{person:Person} asks the agent "{question}"')
def step_ask(context: Context, person: str, question: str) -> None:
    context.run(context.cast.actor(person).chat.ask(question))


@when('{person:Person} asks the agent "{question}" in {owner:Person}\'s thread')
def step_ask_in_thread_of(context: Context, person: str, question: str, owner: str) -> None:
    thread_id = context.cast.actor(owner).chat.thread_id
    context.run(context.cast.actor(person).chat.ask(question, thread_id=thread_id))


@when('{person:Person} asks the agent "{question}" in a chat that does not exist')
def step_ask_in_no_thread(context: Context, person: str, question: str) -> None:
    context.run(context.cast.actor(person).chat.ask(question, thread_id=str(uuid.uuid4())))


@when("{person:Person} asks the agent two questions, one after the other")
def step_ask_twice(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    for question in ("What is 2 + 3?", "What would 10k tokens a day cost per week?"):
        context.run(actor.chat.ask(question))
        context.run(actor.runs.latest_run())


@then("within {seconds:d} seconds {person:Person} sees exactly these events, in this order:")
def step_sees_events(context: Context, seconds: int, person: str) -> None:
    run = context.run(context.cast.actor(person).runs.latest_run())
    stream.expect_exactly(run, [row["event"] for row in context.table])
    stream.expect_finished_within(run, seconds)  # what she sees: only her clock can tell (docs/running.md: the soak)


@then('the answer says it costs about "{cost}" a month at "{price}" per million tokens')
def step_answer_states_cost(context: Context, cost: str, price: str) -> None:
    stream.expect_answer_mentions(context.run(context.cast.current.runs.latest_run()), [cost, price])


@then("{person:Person} question and the agent's answer are in {owner:Person} chat history")
def step_exchange_in_history(context: Context, person: str, owner: str) -> None:
    actor = context.cast.actor(person)
    expect_exchange_in_history(context.run(actor.runs.latest_run()), context.run(actor.chat.chat_history()))


@then("{person:Person} question and the agent's answer are stored in the platform's database")
def step_exchange_stored(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    expect_exchange_stored(
        context.run(actor.runs.latest_run()), context.run(actor.records.stored_history(context.database))
    )


@then("the answer {person:Person} was streamed names the message it is stored as")
def step_answer_names_message(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    expect_answer_names_stored_message(context.run(actor.runs.latest_run()), context.run(actor.chat.chat_history()))


@then("the run starts with a single agent_started and ends with a single terminal event, which comes last")
def step_bracketed(context: Context) -> None:
    stream.expect_bracketed(context.run(context.cast.current.runs.latest_run()))


@then("nothing arrives on {person:Person} chat in the {seconds:d} seconds after the terminal event")
def step_nothing_after_terminal(context: Context, person: str, seconds: int) -> None:
    run = context.run(
        context.cast.actor(person).runs.keep_listening(seconds), timeout=context.target.event_timeout + seconds
    )
    stream.expect_nothing_after_terminal(run, seconds)


@then("every event carries the run id and {person:Person} thread id")
def step_ids_on_every_event(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    assert actor.chat.thread_id is not None
    stream.expect_ids_on_every_event(context.run(actor.runs.latest_run()), actor.chat.thread_id)


@then("the events are numbered 1, 2, 3 and so on without gaps")
def step_contiguous_seq(context: Context) -> None:
    stream.expect_contiguous_seq(context.run(context.cast.current.runs.latest_run()))


@then("every tool_completed pairs with an earlier tool_executing by tool call id")
def step_tool_calls_paired(context: Context) -> None:
    stream.expect_tool_calls_paired(context.run(context.cast.current.runs.latest_run()))


@then('the tool call that failed is followed by agent_error "{code}" with a message, as the last event')
def step_failed_tool_call(context: Context, code: str) -> None:
    stream.expect_failed_tool_call(context.run(context.cast.current.runs.latest_run()), code)


@then("each question is answered with agent_completed by a run whose every event carries its own run id")
def step_distinct_runs(context: Context) -> None:
    stream.expect_distinct_runs(context.cast.current.runs.seen)


FOREIGN_REFUSAL = (
    '{person:Person} is refused with "{code}", no run starts, and nothing reaches {owner:Person}\'s thread'
)


@then(FOREIGN_REFUSAL + " or her open chat")
def step_refused_in_foreign_thread(context: Context, person: str, code: str, owner: str) -> None:
    intruder, victim = context.cast.actor(person), context.cast.actor(owner)
    stream.expect_refused(context.run(intruder.runs.refused_run()), code)
    for actor in (intruder, victim):
        expect_no_hidden_run(context.run(actor.records.runs_never_shown(context.database)), f"{actor.name}'s")
    expect_nothing_from(intruder.runs.seen[-1], context.run(victim.records.stored_history(context.database)))
    watched = intruder.runs.asked_at + LATE_RUN_WATCH_SECONDS
    stream.expect_silent(context.run(victim.runs.heard_meanwhile(until=watched)), f"{victim.name}'s chat")
