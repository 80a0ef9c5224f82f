# mypy: disable-error-code="untyped-decorator"
"""Journeys that name the platform instance a customer uses: "on one server", "on the other server"."""

from contextlib import AbstractContextManager

from behave import given, when
from behave.runner import Context

from support.actors import Actor
from support.clients.servers import SERVER_NAMES


def on(context: Context, person: str, server: str) -> AbstractContextManager[None]:
    """Her requests and sockets go to the named instance for the rest of the step."""
    actor: Actor = context.cast.actor(person)
    return actor.on_server(context.servers.named(server))


@given("{person:Person} is in a chat with the agent on {server:Server}")
def step_in_chat_on(context: Context, person: str, server: str) -> None:
    actor = context.cast.actor(person)
    with on(context, person, server):
        context.run(actor.account.sign_up_and_log_in())
        context.run(actor.chat.open_chat())


@when("{person:Person} logs out on {server:Server}")
def step_log_out_on(context: Context, person: str, server: str) -> None:
    with on(context, person, server):
        context.run(context.cast.actor(person).session.log_out())


@when("{person:Person} erases her account with her password on {server:Server}")
def step_erase_on(context: Context, person: str, server: str) -> None:
    with on(context, person, server):
        context.run(context.cast.actor(person).account.erase_account())


@when("{person:Person} reconnects to {server:Server} and resumes the run")
def step_resume_on(context: Context, person: str, server: str) -> None:
    with on(context, person, server):
        context.run(context.cast.actor(person).runs.resume_run())


@when("{person:Person} opens {count:d} chats on one server and the other by turns")
def step_writes_by_turns(context: Context, person: str, count: int) -> None:
    actor, servers = context.cast.actor(person), list(SERVER_NAMES)

    def write_round() -> None:
        for turn in range(count):
            with on(context, person, servers[turn % len(servers)]):
                context.run(actor.limits.open_thread())

    actor.limits.timed_round(write_round)
