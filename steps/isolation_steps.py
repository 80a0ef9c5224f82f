# mypy: disable-error-code="untyped-decorator"
import uuid
from collections.abc import Callable
from typing import Any

from behave import then, when
from behave.runner import Context

from support.checks import isolation as check


def reach_for_thread(context: Context, person: str, owner: str, attempt: Callable[..., Any]) -> None:
    """The intruder, with an account of her own, tries the owner's thread by id; its rows are kept first."""
    victim = context.cast.actor(owner)
    context.run(victim.records.remember_thread(context.database))
    intruder = context.cast.actor(person)
    context.run(intruder.account.sign_up_and_log_in())
    intruder.last_response = context.run(attempt(intruder.session.token, str(victim.chat.thread_id)))
    intruder.answer_for_nothing = context.run(attempt(intruder.session.token, str(uuid.uuid4())))


@when("{person:Person}, signed in as herself, reads the messages of {owner:Person}'s chat by its id")
def step_read_foreign_thread(context: Context, person: str, owner: str) -> None:
    reach_for_thread(context, person, owner, context.cast.api.list_messages)


@when("{person:Person}, signed in as herself, deletes {owner:Person}'s chat by its id")
def step_delete_foreign_thread(context: Context, person: str, owner: str) -> None:
    reach_for_thread(context, person, owner, context.cast.api.delete_thread)


@then("{person:Person} is told that the chat does not exist")
def step_told_no_chat(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    check.expect_no_such_thread(actor.last_response, actor.answer_for_nothing)


@then("{owner:Person}'s chat is unchanged in the platform's database")
def step_thread_unchanged(context: Context, owner: str) -> None:
    victim = context.cast.actor(owner)
    check.expect_unchanged(victim.records.thread_before, context.run(victim.records.stored_thread(context.database)))


@when("{person:Person} lists her chats")
def step_list_threads(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    actor.last_response = context.run(context.cast.api.list_threads(actor.session.token))


@then("{person:Person} sees her own chat and none of {owner:Person}'s")
def step_only_own_threads(context: Context, person: str, owner: str) -> None:
    actor, other = context.cast.actor(person), context.cast.actor(owner)
    check.expect_only_own_threads(actor.last_response, str(actor.chat.thread_id), str(other.chat.thread_id))


@when("{person:Person} deletes her chat")
def step_delete_own_thread(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    actor.last_response = context.run(context.cast.api.delete_thread(actor.session.token, str(actor.chat.thread_id)))


@then("{person:Person} chat and its messages are gone from the platform's database")
def step_thread_gone(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    check.expect_deleted(actor.last_response, context.run(actor.records.chat_traces(context.database)))


@when("{person:Person} opens a chat naming {owner:Person}'s account as its owner")
def step_open_chat_for_another(context: Context, person: str, owner: str) -> None:
    actor, victim = context.cast.actor(person), context.cast.actor(owner)
    asking = {"user_id": str(victim.user_id), "owner_id": str(victim.user_id)}
    actor.last_response = context.run(context.cast.api.create_thread(actor.session.token, "Not hers", asking))


@then("the chat is among {person:Person}'s chats and not among {owner:Person}'s, and {reader:Person} cannot read it")
def step_chat_is_hers(context: Context, person: str, owner: str, reader: str) -> None:
    actor, victim, api = context.cast.actor(person), context.cast.actor(owner), context.cast.api
    opened = actor.last_response
    assert opened is not None and opened.status == 201, f"Expected the chat to be opened; got {opened}"
    thread_id = str(opened.body.get("id"))
    check.expect_filed_under(
        thread_id,
        hers=context.run(api.list_threads(actor.session.token)),
        others=context.run(api.list_threads(victim.session.token)),
    )
    check.expect_no_such_thread(context.run(api.list_messages(context.cast.actor(reader).session.token, thread_id)))
