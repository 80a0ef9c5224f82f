# mypy: disable-error-code="untyped-decorator"
from behave import then, when
from behave.runner import Context

from support.forged_credentials import handshake_credentials


@when("{person:Person} connects to the chat with {credentials}")
def step_connect_with(context: Context, person: str, credentials: str) -> None:
    presented = context.run(handshake_credentials(credentials, context.cast))
    context.run(context.cast.actor(person).chat.try_connect(presented.ticket, presented.bearer))


@then("the connection is refused as unauthorized before it opens")
def step_refused(context: Context) -> None:
    actor = context.cast.current
    assert actor.chat.connection is None, f"Expected the handshake to be refused, but the chat opened for {actor.name}"
    assert actor.chat.handshake_refusal is not None and actor.chat.handshake_refusal.status == 401, (
        f"Expected HTTP 401 before the upgrade; got {actor.chat.handshake_refusal}"
    )
