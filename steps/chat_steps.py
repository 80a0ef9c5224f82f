# mypy: disable-error-code="untyped-decorator"
from behave import given, then, when
from behave.runner import Context

from support.checks import event_stream as stream
from support.checks.history import expect_exchange_in_history, expect_exchange_stored

FIRST_CHAT_EVENTS = ["agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed"]


@given("{person:Person} has opened a chat with the agent")
def step_opened_chat(context: Context, person: str) -> None:
    context.run(context.cast.actor(person).open_chat())


@given("{person:Person} is in a chat with the agent")
def step_in_chat(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    context.run(actor.sign_up_and_log_in())
    context.run(actor.open_chat())


@when('{person:Person} asks the agent "{question}"')
def step_ask(context: Context, person: str, question: str) -> None:
    context.run(context.cast.actor(person).ask(question))


@when("{person:Person} asks the agent two questions, one after the other")
def step_ask_twice(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    for question in ("What is 2 + 3?", "What would 10k tokens a day cost per week?"):
        context.run(actor.ask(question))
        context.run(actor.latest_run())


@then("{person:Person} sees the agent start, think, use a tool and finish, in that order")
def step_sees_first_chat_events(context: Context, person: str) -> None:
    stream.expect_in_order(context.run(context.cast.actor(person).latest_run()), FIRST_CHAT_EVENTS)


@then("{person:Person} receives an answer")
def step_receives_answer(context: Context, person: str) -> None:
    answer = stream.expect_terminal(context.run(context.cast.actor(person).latest_run()), "agent_completed")
    assert str(answer.get("content", "")).strip(), f"Expected agent_completed to carry the answer; got {answer}"


@then("{person:Person} question and the agent's answer are in {owner:Person} chat history")
def step_exchange_in_history(context: Context, person: str, owner: str) -> None:
    actor = context.cast.actor(person)
    expect_exchange_in_history(context.run(actor.latest_run()), context.run(actor.chat_history()))


@then("{person:Person} question and the agent's answer are stored in the platform's database")
def step_exchange_stored(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    expect_exchange_stored(context.run(actor.latest_run()), context.run(actor.stored_history(context.database)))


@then("the run starts with a single agent_started and ends with a single terminal event")
def step_bracketed(context: Context) -> None:
    stream.expect_bracketed(context.run(context.cast.current.latest_run()))


@then("nothing arrives after the terminal event")
def step_nothing_after_terminal(context: Context) -> None:
    stream.expect_nothing_after_terminal(context.run(context.cast.current.latest_run()))


@then("every event carries the run id and {person:Person} thread id")
def step_ids_on_every_event(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    assert actor.thread_id is not None
    stream.expect_ids_on_every_event(context.run(actor.latest_run()), actor.thread_id)


@then("the events are numbered 1, 2, 3 and so on without gaps")
def step_contiguous_seq(context: Context) -> None:
    stream.expect_contiguous_seq(context.run(context.cast.current.latest_run()))


@then("every tool_completed pairs with an earlier tool_executing by tool call id")
def step_tool_calls_paired(context: Context) -> None:
    stream.expect_tool_calls_paired(context.run(context.cast.current.latest_run()))


@then("the run ends with agent_error")
def step_ends_with_error(context: Context) -> None:
    stream.expect_terminal(context.run(context.cast.current.latest_run()), "agent_error")


@then("each question is answered by a run with its own run id")
def step_distinct_runs(context: Context) -> None:
    stream.expect_distinct_runs(context.cast.current.runs)
