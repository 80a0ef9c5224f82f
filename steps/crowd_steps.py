# mypy: disable-error-code="untyped-decorator"
from behave import given, then, when
from behave.runner import Context

from support.crowd import Crowd, gather_crowd

ASKED_WITHIN = 10.0


@given("{count:d} customers have signed in with the identity provider, each with a chat open")
def step_crowd(context: Context, count: int) -> None:
    context.crowd = gather_crowd(context.cast, count)
    context.run(context.crowd.sign_in_with_provider(), timeout=120)
    context.run(context.crowd.open_chats(1, context.target.event_timeout), timeout=120)


@when('they all ask the agent "{question}" at the same moment')
def step_all_ask(context: Context, question: str) -> None:
    context.run(context.crowd.ask_all(question, ASKED_WITHIN), timeout=ASKED_WITHIN + 10)


@then('within {seconds:d} seconds every one of them sees a complete run, in order, answering "{figure}"')
def step_all_answered(context: Context, seconds: int, figure: str) -> None:
    crowd: Crowd = context.crowd
    context.evidence.record_note("Latency summary", crowd.latencies.table())
    problems = crowd.failures(figure)
    slowest = crowd.latencies.percentile("terminal event", 1.0)
    assert not problems, f"{len(problems)} of {len(crowd.chats)} customers did not get their answer:\n" + "\n".join(
        problems[:3]
    )
    assert slowest <= seconds, f"Expected every answer within {seconds} s; the slowest took {slowest:.2f} s"
