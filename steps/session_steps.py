# mypy: disable-error-code="untyped-decorator"
import secrets

from behave import given, then, when
from behave.runner import Context

from support.checks import tokens as check
from support.clients.run_record import Closed
from support.forged_credentials import with_alg_none
from support.stack.service_errors import NotConfigured
from support.waiting import wait_until

SESSION_ENDED = 1008
DEFAULT_APP = "chat-web"  # docs/contract.md: the client a login without client_id belongs to


@given("{person:Person} has signed up and logged in with the short-lived client")
def step_short_lived_login(context: Context, person: str) -> None:
    client = context.target.short_lived_client
    if client is None:
        raise NotConfigured("Expiry journeys need a client with short token lifetimes: -D short_lived_client=<id>")
    actor = context.cast.actor(person)
    context.run(actor.account.sign_up())
    context.run(actor.session.log_in(client_id=client))


@when("{person:Person} refreshes her session")
@given("{person:Person} has refreshed her session")
def step_refresh(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    response = context.run(actor.session.try_refresh())
    assert response.status == 200, f"{actor.name} could not refresh her session: {response.describe()}"


@then("every token answer {person:Person} got is marked never to be cached")
def step_not_cached(context: Context, person: str) -> None:
    check.expect_not_cached(context.cast.actor(person).session.token_responses)


@then(
    "{person:Person} access tokens are the platform's own for its API, expire within 15 minutes"
    " and verify against the platform's published keys"
)
def step_short_lived_and_verifiable(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    jwks = context.run(context.cast.api.jwks()).body
    tokens = [response.body["access_token"] for response in actor.session.token_responses]
    target = context.target
    check.expect_verifiable_short_lived(tokens, jwks, target.token_audience, target.token_issuer or target.base_url)


@then(
    "each of {person:Person} access tokens names her account, her one session, the app it was issued to, and an id"
    " of its own"
)
def step_session_claims(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    tokens = [response.body["access_token"] for response in actor.session.token_responses]
    check.expect_session_claims(tokens, actor.user_id, DEFAULT_APP)


@then("{person:Person} holds a new access token and a new refresh token")
def step_rotated(context: Context, person: str) -> None:
    before, after = context.cast.actor(person).session.token_responses[-2:]
    check.expect_rotated(before, after)


@then("{person:Person} old refresh token is refused")
def step_old_refresh_refused(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    check.expect_refresh_refused(
        context.run(actor.session.try_refresh(actor.session.used_refresh_tokens[-1])), "a used refresh token"
    )


@when("{person:Person} replays {owner:Person}'s used refresh token")
def step_replay(context: Context, person: str, owner: str) -> None:
    victim = context.cast.actor(owner)
    if victim.chat.connection is not None:
        closed = context.run(victim.chat.wait_for_close(0))
        assert closed is None, f"{victim.name}'s chat closed before the replay, on her own refresh: {closed}"
    context.run(context.cast.actor(person).session.try_refresh(victim.session.used_refresh_tokens[-1]))


@when("{person:Person} refreshes with a refresh token the platform never issued")
def step_refresh_unknown(context: Context, person: str) -> None:
    context.run(context.cast.actor(person).session.try_refresh(secrets.token_urlsafe(32)))


@then("the refresh is refused as invalid_grant, in the problem and in the OAuth error member")
def step_unknown_refused(context: Context) -> None:
    check.expect_refresh_refused(context.cast.current.last_response, "a refresh token the platform never issued")


@then("the replay is refused")
def step_replay_refused(context: Context) -> None:
    check.expect_refresh_refused(context.cast.current.last_response, "a replayed refresh token")


@then("{owner:Person}'s newest refresh token is refused too")
def step_newest_refused(context: Context, owner: str) -> None:
    response = context.run(context.cast.actor(owner).session.try_refresh())
    check.expect_refresh_refused(response, "the newest refresh token of a session whose older one was replayed")


@then("{owner:Person}'s access token no longer opens the API")
@then("{owner:Person} access token no longer opens the API")
def step_access_token_dead(context: Context, owner: str) -> None:
    session = context.cast.actor(owner).session
    answers = context.run(session.try_every_door(session.token))
    check.expect_refused_at_every_door(answers, "the access token of a revoked session")


@when("{person:Person} access token has expired")
def step_access_token_expires(context: Context, person: str) -> None:
    wait_until(check.seconds_left(context.cast.actor(person).session.token) + 1.0, "the access token's expiry")


@then("the API refuses it, saying that it expired")
def step_expired_refused(context: Context) -> None:
    check.expect_expired_refusal(context.run(context.cast.api.me(context.cast.current.session.token)))


@then("after refreshing {person:Person} session {pronoun:Person} can use the API again")
def step_refresh_and_retry(context: Context, person: str, pronoun: str) -> None:
    actor = context.cast.actor(person)
    refreshed = context.run(actor.session.try_refresh())
    assert refreshed.status == 200, f"Expected the refresh to keep her session; got {refreshed.describe()}"
    retried = context.run(context.cast.api.me(actor.session.token))
    assert retried.status == 200, f"Expected the new access token to open the API; got {retried.describe()}"


@when("{person:Person} refresh token has gone unused past its idle lifetime")
def step_refresh_token_idles(context: Context, person: str) -> None:
    last = context.cast.actor(person).session.token_responses[-1]
    wait_until(float(last.body["refresh_expires_in"]) + 1.0, "the refresh token's idle expiry")


@then("refreshing {person:Person} session is refused")
@then("{person:Person} refresh token is refused")
def step_refresh_refused(context: Context, person: str) -> None:
    check.expect_refresh_refused(context.run(context.cast.actor(person).session.try_refresh()), "her refresh token")


@given("{person:Person} has logged out")
@when("{person:Person} logs out")
def step_log_out(context: Context, person: str) -> None:
    context.run(context.cast.actor(person).session.log_out())


@then("the platform closes {person:Person}'s chat within {seconds:d} seconds, saying the session ended")
@then("the platform closes {person:Person} chat within {seconds:d} seconds, saying the session ended")
def step_chat_closed(context: Context, person: str, seconds: int) -> None:
    closed = context.run(context.cast.actor(person).chat.wait_for_close(seconds), timeout=seconds + 2)
    assert isinstance(closed, Closed) and closed.code == SESSION_ENDED, (
        f"Expected the platform to close her chat within {seconds} s with code {SESSION_ENDED} (session ended); "
        f"got {closed or 'nothing: the chat is still open'}"
    )


@given("{person:Person} is in a chat with the agent on {pronoun:Person} {device}")
def step_chat_on_device(context: Context, person: str, pronoun: str, device: str) -> None:
    context.run(context.run(context.cast.device(context.cast.actor(person), device)).chat.open_chat())


@then("the platform closes {person:Person} {device}'s chat within {seconds:d} seconds, saying the session ended")
def step_device_chat_closed(context: Context, person: str, device: str, seconds: int) -> None:
    other = context.run(context.cast.device(context.cast.actor(person), device))
    closed = context.run(other.chat.wait_for_close(seconds), timeout=seconds + 2)
    assert isinstance(closed, Closed) and closed.code == SESSION_ENDED, (
        f"Expected the platform to close the {device}'s chat within {seconds} s with code {SESSION_ENDED} "
        f"(session ended); got {closed or 'nothing: the chat is still open'}"
    )


@when("{person:Person} tries to change her password, giving a wrong current password")
def step_change_password_wrongly(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    actor.last_response = context.run(actor.session.try_change_password(current="Not-her-password-42!"))


@then('the change is refused as "{problem}"')
def step_change_refused(context: Context, problem: str) -> None:
    response = context.cast.current.last_response
    assert response is not None and response.status == 403 and response.problem_type.endswith(f"/{problem}"), (
        f"Expected the password change to be refused with 403 problem {problem!r}; got {response}"
    )


@then("{person:Person} can still log in with her password")
def step_old_password_works(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    response = context.run(actor.session.try_log_in(actor.email, actor.password))
    assert response.status == 200, (
        f"Expected the refused change to leave her password as it was; logging in with it got {response.describe()}"
    )


@given("{person:Person} is also logged in on {pronoun:Person} {device}")
def step_other_device(context: Context, person: str, pronoun: str, device: str) -> None:
    context.run(context.cast.device(context.cast.actor(person), device))


@when("{person:Person} changes her password")
def step_change_password(context: Context, person: str) -> None:
    context.run(context.cast.actor(person).session.change_password())


@then("{person:Person} {device}'s session is over: its access token and refresh token are refused")
def step_device_signed_out(context: Context, person: str, device: str) -> None:
    other = context.run(context.cast.device(context.cast.actor(person), device))
    check.expect_unauthorized(context.run(context.cast.api.me(other.session.token)), f"the {device}'s access token")
    check.expect_refresh_refused(context.run(other.session.try_refresh()), f"the {device}'s refresh token")


@then("{person:Person} own session goes on: its access token opens the API and its refresh token still refreshes")
def step_own_session_lives(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    me = context.run(context.cast.api.me(actor.session.token))
    check.expect_session_goes_on(me, context.run(actor.session.try_refresh()))


# The embedded stack's other APIs (support/stack/platform_process.py SIBLING_APIS), by how their tokens differ.
SIBLING_DIFFERENCES = {
    "meant for that API's audience": "audience",
    "made under another issuer name": "issuer",
    "of another type than an access token": "type",
}


@when("{person:Person} presents {owner:Person}'s access token from another API of the same issuer, {difference}")
def step_present_sibling_token(context: Context, person: str, owner: str, difference: str) -> None:
    if context.stack is None:
        raise NotConfigured(
            "These journeys log in at other APIs of the embedded stack's issuer: they run on the embedded stack "
            'only (leave them out against a deployment with --tags="not @sibling_apis").'
        )
    sibling = context.stack.sibling_apis()[SIBLING_DIFFERENCES[difference]]
    presented = context.run(context.cast.actor(owner).session.access_token_from(sibling))
    context.cast.actor(person).session.presented = presented


@when("{person:Person} presents {owner:Person}'s {kind}")
def step_present(context: Context, person: str, owner: str, kind: str) -> None:
    victim = context.cast.actor(owner)
    match kind:
        case "refresh token as an access token":
            presented = victim.session.refresh_token
        case "access token after she logged out":
            context.run(victim.session.log_out())
            presented = victim.session.access_token
        case "access token after she erased her account":
            context.run(victim.account.erase_account())
            presented = victim.session.access_token
        case "access token re-signed with alg none":
            presented = with_alg_none(victim.session.token)
        case _:
            raise ValueError(f"unknown kind of token: {kind!r}")
    assert presented, f"{victim.name} has no such token"
    context.cast.actor(person).session.presented = presented


@then("the API and the chat handshake both refuse it as unauthorized")
def step_refused_everywhere(context: Context) -> None:
    actor = context.cast.current
    assert actor.session.presented, "no token was presented"
    doors = context.run(actor.session.try_every_door(actor.session.presented))
    check.expect_refused_at_every_door(doors, "the token", challenged=True)
    context.run(actor.chat.try_connect(bearer=actor.session.presented))
    assert actor.chat.connection is None, "Expected the chat handshake to refuse the token, but the chat opened"
    assert actor.chat.handshake_refusal is not None and actor.chat.handshake_refusal.status == 401, (
        f"Expected HTTP 401 before the upgrade; got {actor.chat.handshake_refusal}"
    )


@when("{person:Person} keeps refreshing her session, each time before her refresh token idles out")
def step_keep_refreshing(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    lasts = context.target.short_lived_session_seconds
    if lasts is None:
        raise NotConfigured(
            "This journey waits out the short-lived client's session: -D short_lived_session_seconds=<seconds>"
        )
    idle = float(actor.session.token_responses[-1].body["refresh_expires_in"])
    context.refreshes = context.run(actor.session.keep_refreshing(lasts + idle + 3, lasts), timeout=lasts + idle + 15)


@then("{person:Person} session went on past her first refresh token's idle lifetime")
def step_session_slid(context: Context, person: str) -> None:
    first = context.cast.actor(person).session.token_responses[0]
    check.expect_session_slid(context.refreshes, float(first.body["refresh_expires_in"]))


@then("{person:Person} refreshing was refused once the session reached its absolute lifetime, and not before")
def step_session_capped(context: Context, person: str) -> None:
    check.expect_session_capped(context.refreshes, context.target.short_lived_session_seconds or 0)
