# mypy: disable-error-code="untyped-decorator"
from behave import then, when
from behave.runner import Context

from support.checks import handshake as check
from support.checks.event_stream import expect_terminal
from support.forged_credentials import handshake_credentials
from support.waiting import LONGEST_WAIT

LONGEST_TICKET_SECONDS = 30  # docs/contract.md: a ticket lives 30 s


@when("{person:Person} connects to the chat with {credentials}")
def step_connect_with(context: Context, person: str, credentials: str) -> None:
    presented = context.run(handshake_credentials(credentials, context.cast), timeout=LONGEST_WAIT + 15)
    context.run(context.cast.actor(person).chat.try_connect(presented.ticket, presented.bearer))


@then("the connection is refused as unauthorized before it opens")
def step_refused(context: Context) -> None:
    actor = context.cast.current
    assert actor.chat.connection is None, f"Expected the handshake to be refused, but the chat opened for {actor.name}"
    assert actor.chat.handshake_refusal is not None and actor.chat.handshake_refusal.status == 401, (
        f"Expected HTTP 401 before the upgrade; got {actor.chat.handshake_refusal}"
    )


@when("{person:Person} opens a chat presenting her access token instead of a ticket")
def step_open_with_bearer(context: Context, person: str) -> None:
    context.run(context.cast.actor(person).chat.try_open_chat(with_bearer=True))


@then("{person:Person} chat opens, and a question she asks there is answered")
def step_bearer_chat_answers(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    assert actor.chat.connection is not None, (
        f"Expected the handshake with a bearer token to open the chat; it was refused: {actor.chat.handshake_refusal}"
    )
    context.run(actor.chat.ask("What is 2 + 2?"))
    expect_terminal(context.run(actor.runs.latest_run()), "agent_completed")


@when("{person:Person} asks for a chat ticket")
def step_ask_for_ticket(context: Context, person: str) -> None:
    context.run(context.cast.actor(person).chat.chat_ticket())


@then("{person:Person} gets a ticket that says it expires within 30 seconds, marked never to be cached")
def step_ticket_issued(context: Context, person: str) -> None:
    check.expect_ticket_issued(context.cast.actor(person).chat.ticket_answer, LONGEST_TICKET_SECONDS)


@then(
    "none of the platform's stores of one-time secrets holds {person:Person} login code, chat ticket or refresh"
    " token as it was issued"
)
def step_secrets_digested(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    issued = {
        "login code": actor.provider.sign_ins[-1].login_code,
        "chat ticket": actor.chat.ticket_answer.body["ticket"] if actor.chat.ticket_answer else None,
        "refresh token": actor.session.refresh_token,
    }
    check.expect_only_digests(context.run(context.database.tables_holding(issued)))
