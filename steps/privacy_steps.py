# mypy: disable-error-code="untyped-decorator"
from datetime import UTC, datetime

from behave import given, then, when
from behave.runner import Context

from support.checks import privacy as check
from support.checks.event_stream import expect_answered_on_the_same_chat, expect_terminal
from support.checks.history import expect_exchange_stored
from support.checks.isolation import expect_same_answer
from support.clients.http_client import expect_status
from support.clients.urls import with_another_id
from support.stack.service_errors import NotConfigured
from support.waiting import wait_until

EXPORT_WAIT = 10.0  # seconds an export may take to build, here a few rows


@given('{person:Person} has asked the agent "{question}"')
def step_has_asked(context: Context, person: str, question: str) -> None:
    actor = context.cast.actor(person)
    context.run(actor.chat.ask(question))
    expect_terminal(context.run(actor.runs.latest_run()), "agent_completed")


@given("{person:Person} has asked for an export of {pronoun:Person} data")
def step_requested_export(context: Context, person: str, pronoun: str) -> None:
    actor = context.cast.actor(person)
    context.run(actor.account.sign_up_and_log_in())
    context.run(actor.data.request_export())


@given("{person:Person} has an export of {pronoun:Person} data ready to download")
def step_export_ready(context: Context, person: str, pronoun: str) -> None:
    actor = context.cast.actor(person)
    if actor.session.access_token is None:
        context.run(actor.account.sign_up_and_log_in())
    context.run(actor.data.request_export())
    context.run(actor.data.wait_for_export(EXPORT_WAIT), timeout=EXPORT_WAIT + 5)


@given("the platform's export store cannot be written")
def step_break_export_store(context: Context) -> None:
    if context.stack is None:
        raise NotConfigured(
            "This journey breaks the embedded stack's export store: it runs on the embedded stack only "
            '(leave it out against a deployment with --tags="not @breaks_storage").'
        )
    context.add_cleanup(context.stack.mend_export_store)
    context.stack.break_export_store()


@when("{person:Person} asks for an export of {pronoun:Person} data")
def step_ask_for_export(context: Context, person: str, pronoun: str) -> None:
    context.run(context.cast.actor(person).data.request_export())


@then("{person:Person} export is reported as failed, saying why, with no download link")
def step_export_failed(context: Context, person: str) -> None:
    status = context.run(context.cast.actor(person).data.follow_export(EXPORT_WAIT), timeout=EXPORT_WAIT + 5)
    check.expect_failed_export(status)


@then("once the export store works again, {person:Person} next export is ready")
def step_next_export_ready(context: Context, person: str) -> None:
    context.stack.mend_export_store()
    data = context.cast.actor(person).data
    context.run(data.request_export())
    context.run(data.wait_for_export(EXPORT_WAIT), timeout=EXPORT_WAIT + 5)


@when("{person:Person} asks for an export of {pronoun:Person} data and downloads it once it is ready")
def step_export_and_download(context: Context, person: str, pronoun: str) -> None:
    actor = context.cast.actor(person)
    context.run(actor.data.request_export())
    context.run(actor.data.wait_for_export(EXPORT_WAIT), timeout=EXPORT_WAIT + 5)
    context.run(actor.data.download_export())


@then(
    "{person:Person} export holds exactly {pronoun:Person} profile, identities, threads and messages"
    " as the platform's database stores them, under a manifest naming {pronoun2:Person}, and none of her secrets"
)
def step_export_matches(context: Context, person: str, pronoun: str, pronoun2: str) -> None:
    actor = context.cast.actor(person)
    assert actor.data.download is not None and actor.data.download.status == 200, (
        f"the download failed: {actor.data.download}"
    )
    stored = context.run(context.database.account_data(actor.user_id))
    actor.evidence.record_rows(f"Rows the database holds for {actor.name}", [stored])
    secrets = [actor.password, actor.session.access_token or "", actor.session.refresh_token or ""]
    check.expect_export_matches(actor.data.download.body, stored, secrets)


@then("{person:Person} export holds nothing of {other:Person}'s")
def step_export_excludes(context: Context, person: str, other: str) -> None:
    actor, stranger = context.cast.actor(person), context.cast.mentioned(other)
    assert actor.data.download is not None
    check.expect_nothing_of(
        actor.data.download.body, context.run(context.database.account_data(stranger.user_id)), stranger.email
    )


@when("{person:Person} asks for the status of {owner:Person}'s export with an account of her own")
def step_foreign_status(context: Context, person: str, owner: str) -> None:
    location = context.cast.actor(owner).data.export_location
    intruder = context.cast.actor(person)
    context.run(intruder.account.sign_up_and_log_in())
    intruder.last_response = context.run(context.cast.api.export_status(intruder.session.token, location))
    nothing = with_another_id(location)
    intruder.answer_for_nothing = context.run(context.cast.api.export_status(intruder.session.token, nothing))


@when("{person:Person} downloads it through {owner:Person}'s link with an account of her own")
def step_foreign_download(context: Context, person: str, owner: str) -> None:
    link = context.cast.actor(owner).data.export_status["download_url"]
    intruder = context.cast.actor(person)
    context.run(intruder.account.sign_up_and_log_in())
    intruder.last_response = context.run(context.cast.api.download(intruder.session.token, link))
    nothing = with_another_id(link)
    intruder.answer_for_nothing = context.run(context.cast.api.download(intruder.session.token, nothing))


@then("{person:Person} is told that the export does not exist")
def step_told_not_found(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    check.expect_not_found(actor.last_response, "export-not-found")
    expect_same_answer(actor.last_response, actor.answer_for_nothing, "an export that does not exist")


@when("{person:Person} download link has expired")
def step_link_expires(context: Context, person: str) -> None:
    expires = datetime.fromisoformat(context.cast.actor(person).data.export_status["link_expires_at"])
    wait_until((expires - datetime.now(UTC)).total_seconds() + 0.5, "the download link's expiry")


@then("downloading through it is refused as expired")
def step_download_expired(context: Context) -> None:
    response = context.run(context.cast.current.data.download_export())
    check.expect_problem(response, 410, "export-link-expired", "an expired download link to be refused")


@when("{person:Person} downloads it")
def step_download(context: Context, person: str) -> None:
    context.run(context.cast.actor(person).data.download_export())


@then("the download is marked never to be cached")
def step_download_not_cached(context: Context) -> None:
    check.expect_not_cached(context.cast.current.data.download)


@then("the download is a JSON file to save, not a page to display")
def step_download_attachment(context: Context) -> None:
    check.expect_attachment(context.cast.current.data.download)


@when("{person:Person} looks at {pronoun:Person} export again")
def step_look_again(context: Context, person: str, pronoun: str) -> None:
    data = context.cast.actor(person).data
    data.earlier_link = data.export_status.get("download_url")
    assert data.earlier_link, f"her ready export came with no download link: {data.export_status}"
    context.run(data.wait_for_export(EXPORT_WAIT), timeout=EXPORT_WAIT + 5)


@then("{person:Person} gets a new download link that works, and the one before is refused")
def step_fresh_link(context: Context, person: str) -> None:
    data = context.cast.actor(person).data
    new_link = data.export_status.get("download_url")
    got = "no link" if not new_link else "the same link again" if new_link == data.earlier_link else "a new link"
    assert got == "a new link", f"Expected a new download link on each look at the ready export; got {got}"
    downloaded = expect_status(context.run(data.download_export()), 200, "the new link downloads her export")
    check.expect_export_of(downloaded, context.cast.actor(person).user_id)
    earlier = context.run(data.download_export(data.earlier_link))
    check.expect_problem(earlier, 404, "export-not-found", "the link before the new one to be refused")


@when("{person:Person} asks to erase her account without giving her password")
def step_erase_without_password(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    actor.last_response = context.run(context.cast.api.delete_account(actor.session.token, None))


@when("{person:Person} asks to erase her account without a password, once her sign-in is no longer recent")
def step_erase_after_stale_sign_in(context: Context, person: str) -> None:
    wait_until(context.target.recent_login_seconds + 1, "the sign-in to be no longer recent")
    step_erase_without_password(context, person)


@then("the erasure is refused until she proves it is her")
def step_erasure_refused(context: Context) -> None:
    check.expect_problem(context.cast.current.last_response, 403, "reauthentication-required",
                         "erasure without the password to be refused")  # fmt: skip


@then("{person:Person} account is still there")
def step_account_there(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    response = context.run(context.cast.api.me(actor.session.token))
    assert response.status == 200, f"Expected her account to still be there; got {response.describe()}"


def remember_and_erase(context: Context, person: str, with_password: bool) -> None:
    """Keep what the database holds of her (the Thens look for every trace of it), then erase her account."""
    actor = context.cast.actor(person)
    actor.data.erased = {"user_id": actor.user_id, "email": actor.email, "export": actor.data.export_location,
                         **context.run(context.database.account_data(actor.user_id))}  # fmt: skip
    if actor.data.export_location and context.target.export_store:
        actor.data.erased["export_files"] = check.export_files(context.target.export_store, actor.data.export_location)
    context.run(actor.account.erase_account(with_password))


@when("{person:Person} erases her account with her password")
@given("{person:Person} has erased her account with her password")
def step_erase(context: Context, person: str) -> None:
    remember_and_erase(context, person, with_password=True)


@when("{person:Person} erases her account, having just signed in, without a password")
def step_erase_after_fresh_sign_in(context: Context, person: str) -> None:
    remember_and_erase(context, person, with_password=False)


@then("nothing of {person:Person} account is left in the platform's database")
def step_no_traces(context: Context, person: str) -> None:
    erased = context.cast.actor(person).data.erased
    messages = [message for thread in erased["threads"] for message in thread["messages"]]
    run_ids = sorted({str(message["run_id"]) for message in messages if message["run_id"]})
    traces = context.run(context.database.traces_of(erased["user_id"], erased["email"], run_ids))
    message_ids = [str(message["id"]) for message in messages]
    kept = context.run(context.database.messages_with_ids(message_ids))
    context.cast.evidence.record_rows("Rows left of the erased account, by store", [traces])
    check.expect_no_traces(traces, kept)


@then("{person:Person} export file is gone from the export store")
def step_export_file_gone(context: Context, person: str) -> None:
    store = context.target.export_store
    if store is None:
        raise NotConfigured("This check looks into the export store: -D export_store=<directory>")
    erased = context.cast.actor(person).data.erased
    check.expect_export_files_gone(erased.get("export_files", []), check.export_files(store, erased["export"]), store)


@when("{person:Person} signs up with {owner:Person}'s email address")
def step_sign_up_with_email(context: Context, person: str, owner: str) -> None:
    email = context.cast.actor(owner).data.erased.get("email") or context.cast.actor(owner).email
    context.run(context.cast.actor(person).account.try_sign_up(email=email))


@then("{person:Person} signup succeeds")
def step_signup_succeeds(context: Context, person: str) -> None:
    response = context.cast.actor(person).last_response
    assert response is not None and response.status == 201, f"Expected the signup to succeed; got {response}"


@then("{person:Person}'s access token still opens the API, and his next question is answered on the same chat")
def step_other_session_goes_on(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    me = context.run(context.cast.api.me(actor.session.token))
    assert me.status == 200, f"Expected {actor.name}'s access token to still open the API; got {me.describe()}"
    expect_answered_on_the_same_chat(*context.run(actor.runs.ask_again()))


@then("{person:Person}'s question and the agent's answer are still in the platform's database")
def step_still_stored(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    expect_exchange_stored(
        context.run(actor.runs.latest_run()), context.run(actor.records.stored_history(context.database))
    )
