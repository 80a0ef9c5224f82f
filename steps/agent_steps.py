# mypy: disable-error-code="untyped-decorator"
"""The agent's runs, whichever protocol carries them: the questions come from the target's profile."""

from behave import given, then, when
from behave.runner import Context

from support.checks import agent_runs as runs
from support.forged_credentials import handshake_credentials


@given("{person:Person} is talking to the agent")
def step_talking(context: Context, person: str) -> None:
    context.run(context.cast.actor(person).agent.start())


@given("{person:Person} app holds a conversation in which she told the agent a code word")
def step_holds_code_word(context: Context, person: str) -> None:
    context.cast.actor(person).agent.recall_code_word()


@given("{person:Person} app offers the agent a tool of its own")
def step_offers_tool(context: Context, person: str) -> None:
    context.cast.actor(person).agent.offer_app_tool()


@given("{person:Person} has asked for something only her app can do")
@when("{person:Person} asks for something only her app can do")
def step_ask_app_tool(context: Context, person: str) -> None:
    context.run(context.cast.actor(person).agent.ask("app tool"))


@when("{person:Person} asks a question the agent answers with a tool")
def step_ask_tool(context: Context, person: str) -> None:
    context.run(context.cast.actor(person).agent.ask("tool"))


@given("{person:Person} has asked a plain question")
@when("{person:Person} asks a plain question")
def step_ask_plain(context: Context, person: str) -> None:
    context.run(context.cast.actor(person).agent.ask("plain"))


@when("{person:Person} asks a question that makes the agent's tool fail")
def step_ask_failing(context: Context, person: str) -> None:
    context.run(context.cast.actor(person).agent.ask("failing tool"))


@when("{person:Person} asks the agent for the code word")
def step_ask_code_word(context: Context, person: str) -> None:
    context.run(context.cast.actor(person).agent.ask("code word"))


@when("{person:Person} app sends back its result in the next run")
def step_app_result(context: Context, person: str) -> None:
    context.run(context.cast.actor(person).agent.send_app_result())


@when("{person:Person} asks two questions in the same conversation")
def step_two_questions(context: Context, person: str) -> None:
    agent = context.cast.actor(person).agent
    context.run(agent.ask("tool"))
    context.run(agent.ask("plain"))


@when("{person:Person} asks the agent a question with {credentials}")
def step_ask_with(context: Context, person: str, credentials: str) -> None:
    presented = context.run(handshake_credentials(credentials, context.cast))
    assert presented.ticket is None, f"{credentials} is a chat socket's ticket, which no agent protocol takes"
    context.run(context.cast.actor(person).agent.ask_with(presented.bearer))


@when("{person:Person} asks a plain question in {owner:Person}'s conversation")
def step_ask_in(context: Context, person: str, owner: str) -> None:
    owner_agent = context.cast.actor(owner).agent
    context.history_before = context.run(owner_agent.history())
    context.run(context.cast.actor(person).agent.ask_in(owner_agent.current.thread_id))


@when("{person:Person} asks more plain questions than her plan allows")
def step_ask_over_limit(context: Context, person: str) -> None:
    context.run(context.cast.actor(person).agent.ask_until_refused(), timeout=60)


@then("the run starts once and ends once, as a success, with its end last")
def step_one_run(context: Context) -> None:
    runs.expect_one_run(context.cast.current.agent.last_run)


@then("the run's start and end carry the run and conversation ids it started with")
def step_kept_ids(context: Context) -> None:
    runs.expect_kept_ids(context.cast.current.agent.last_run)


@then("the agent's tool call is answered by the tool before the run ends")
def step_tool_answered(context: Context) -> None:
    agent = context.cast.current.agent
    runs.expect_tool_answered(
        agent.last_run, agent.profile_asks["tool"].tool, frozenset({agent.profile_asks["app tool"].tool})
    )


@then("{person:Person} answer states what the tool found")
def step_answer_states(context: Context, person: str) -> None:
    agent = context.cast.actor(person).agent
    runs.expect_tool_found(agent.last_run, agent.profile_asks["tool"].tool, agent.profile_asks["tool"].fact)


@then("{person:Person} gets an answer in words, with no tool call")
def step_plain_answer(context: Context, person: str) -> None:
    runs.expect_plain_answer(context.cast.actor(person).agent.last_run)


@then("{person:Person} sees the agent think before it answers")
def step_thinks(context: Context, person: str) -> None:
    runs.expect_thinking_first(context.cast.actor(person).agent.last_run)


@then("the run ends with an error that has a message, and not as a success")
def step_failure_shown(context: Context) -> None:
    agent = context.cast.current.agent
    runs.expect_failure_shown(agent.last_run, agent.profile_asks["failing tool"].tool)


@then("the answer gives back the code word from the conversation her app sent")
def step_code_word(context: Context) -> None:
    agent = context.cast.current.agent
    runs.expect_answer_states(agent.last_run, agent.fact("code word"), "the code word")


@then("the run ends waiting for her app's tool, with no result from the agent's side")
def step_waiting_on_app(context: Context) -> None:
    agent = context.cast.current.agent
    runs.expect_waiting_on_app(agent.last_run, agent.profile_asks["app tool"].tool)


@then("the agent's answer uses her app's result")
def step_app_result_used(context: Context) -> None:
    agent = context.cast.current.agent
    runs.expect_answer_states(agent.last_run, agent.fact("app tool"), "her app's result")


@then("each question gets a run of its own, which starts once and ends once")
def step_runs_of_their_own(context: Context) -> None:
    first, second = context.cast.current.agent.runs[-2:]
    for run in (first, second):
        runs.expect_one_run(run)
    runs.expect_runs_of_their_own(first, second)


@then("{person:Person} is refused as unauthorized, and no run starts")
def step_refused_unauthorized(context: Context, person: str) -> None:
    runs.expect_refused(context.cast.actor(person).agent.last_run, "unauthorized", "unauthorized")


@then("{person:Person} is refused, told there is no such conversation, and nothing reaches {owner:Person}'s history")
def step_refused_not_found(context: Context, person: str, owner: str) -> None:
    runs.expect_refused(context.cast.actor(person).agent.last_run, "not_found", "there being no such conversation")
    history = context.run(context.cast.mentioned(owner).agent.history())
    runs.expect_history_unchanged(context.history_before, history)


@then("{person:Person} question and the agent's answer are kept in {owner:Person} conversation's history")
def step_kept_in_history(context: Context, person: str, owner: str) -> None:
    asked = context.cast.actor(person).agent.last_run
    runs.expect_in_history(context.run(context.cast.actor(owner).agent.history()), asked)


@then("the question over the limit is refused with the seconds to wait before retrying, and no run starts")
def step_over_limit(context: Context) -> None:
    runs.expect_retry_after(context.cast.current.agent.last_run)
