# mypy: disable-error-code="untyped-decorator"
from behave import given, then, when
from behave.runner import Context

from support.checks import sign_in as check
from support.clients.urls import with_query
from support.stack.service_errors import NotConfigured
from support.waiting import wait_until

ATTEMPT_SECONDS = 300  # docs/contract.md: a sign-in attempt lives 5 minutes

# The embedded stack's misbehaving providers (support/stack/hostile_provider.py), by what their ID token does wrong.
FLAWED_ID_TOKENS = {
    "is signed by a key the provider never published": "forged_signature",
    "names another issuer than the provider": "foreign_issuer",
    "was issued for another client than the platform": "foreign_audience",
    "has expired": "expired_token",
}


def misbehaving_provider(context: Context, name: str) -> str:
    if context.stack is None:
        raise NotConfigured(
            "These journeys sign in through the embedded stack's misbehaving identity providers: they run on the "
            'embedded stack only (leave them out against a deployment with --tags="not @misbehaving_providers").'
        )
    context.stack.start_misbehaving_providers()
    return name


@when("{person:Person} signs in through the identity provider for the first time")
@given("{person:Person} has signed in through the identity provider")
def step_sign_in(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    context.run(actor.provider.sign_in_with_provider(actor.email))


@when("{person:Person} signs in through the identity provider again, now with another email there")
def step_sign_in_with_new_email(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    subject = actor.provider.sign_ins[0].login_name
    context.run(actor.provider.sign_in_with_provider(f"{subject}|{subject.replace('@', '.new@')}"))


@when("{person:Person} signs in through the identity provider with that email, verified by the provider")
def step_sign_in_verified(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    context.run(actor.provider.sign_in_with_provider(actor.email))


@when("{person:Person} signs in through the identity provider with {owner:Person}'s email, unverified by the provider")
def step_sign_in_unverified(context: Context, person: str, owner: str) -> None:
    email = context.cast.actor(owner).email
    context.run(context.cast.actor(person).provider.sign_in_with_provider(f"unverified+{email}"))


@when("{person:Person} starts to sign in through the identity provider and cancels there")
def step_cancel(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    flow, sign_in = context.run(actor.provider.start_sign_in(actor.email))
    context.run(flow.at_provider(sign_in, cancel=True))
    context.run(flow.come_back(sign_in))


@when("{person:Person} signs in through the identity provider, but the state in the provider's answer is changed")
def step_tamper_state(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    flow, sign_in = context.run(actor.provider.start_sign_in(actor.email))
    context.run(flow.at_provider(sign_in))
    context.run(flow.come_back(sign_in, with_query(sign_in.callback_url, state="tampered-state")))


@when("{person:Person} signs in through the identity provider, but the nonce in the platform's request is changed")
def step_tamper_nonce(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    flow, sign_in = context.run(actor.provider.start_sign_in(actor.email))
    sign_in.authorization_url = with_query(sign_in.authorization_url, nonce="tampered-nonce")
    context.run(flow.at_provider(sign_in))
    context.run(flow.come_back(sign_in))


@given(
    "{person:Person} has started to sign in through the identity provider, and the provider has answered her browser"
)
def step_answered_not_delivered(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    flow, sign_in = context.run(actor.provider.start_sign_in(actor.email))
    context.run(flow.at_provider(sign_in))


@given("{person:Person} has signed in at the identity provider, and her browser has reached the app with a login code")
def step_landed_with_login_code(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    flow, sign_in = context.run(actor.provider.start_sign_in(actor.email))
    context.run(flow.at_provider(sign_in))
    context.run(flow.come_back(sign_in))
    assert sign_in.login_code, f"Expected the platform to send her browser on with a login code; got {sign_in.callback}"


@when("the login code's lifetime passes before her app trades it")
def step_login_code_expires(context: Context) -> None:
    wait_until(context.target.login_code_seconds + 1, "the login code's expiry")


@then("{person:Person} app's trade of the login code is refused, and it gets no tokens")
def step_login_code_refused(context: Context, person: str) -> None:
    sign_in = context.cast.actor(person).provider.sign_ins[-1]
    assert sign_in.login_code is not None
    answer = context.run(context.cast.api.exchange_login_code(sign_in.login_code))
    if isinstance(answer.body, dict):  # a defect may hand out tokens: they stay out of the report
        context.cast.evidence.redactor.remember(answer.body.get("access_token"), answer.body.get("refresh_token"))
    check.expect_login_code_refused(answer)


@when("{person:Person} starts to sign in through the identity provider")
def step_start_sign_in(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    context.run(actor.provider.start_sign_in(actor.email))


@then(
    "the platform gave {person:Person} browser a cookie for the sign-in that scripts cannot read, sent only to"
    " sign-in, lasting 5 minutes at most"
)
def step_attempt_cookie(context: Context, person: str) -> None:
    check.expect_attempt_cookie(context.cast.actor(person).provider.sign_ins[-1].started, ATTEMPT_SECONDS)


@when("{person:Person} brings that answer, code and state, to the platform in her own browser")
def step_bring_stolen_answer(context: Context, person: str) -> None:
    stolen = context.cast.current.provider.sign_ins[-1].callback_url  # "that answer": the last named person's
    context.run(context.cast.actor(person).provider.bring_answer(stolen))


@then("the platform asked the provider with a PKCE S256 challenge, a state and a nonce")
def step_authorization_request(context: Context) -> None:
    check.expect_authorization_request(context.cast.current.provider.sign_ins[-1])


@then("{person:Person} is signed in to a new account with the email the provider gave")
def step_new_account(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    check.expect_signed_in(actor.provider.sign_ins[-1])
    given = actor.provider.sign_ins[-1].login_name
    accounts = context.run(context.database.accounts_with_email(given))
    assert actor.email == given and [row["id"] for row in accounts] == [actor.user_id], (
        f"Expected one new account with the email {given}, hers; she is {actor.email} ({actor.user_id}), "
        f"and the database holds {accounts}"
    )


@then("{person:Person} account is linked to {owner:Person} identity at the provider")
def step_linked(context: Context, person: str, owner: str) -> None:
    actor = context.cast.actor(person)
    identities = context.run(actor.records.stored_identities(context.database))
    check.expect_linked(identities, context.target.identity_provider, actor.provider.sign_ins[-1].login_name)


@then("{person:Person} is signed in to the same account as before")
def step_same_account(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    check.expect_signed_in(actor.provider.sign_ins[-1])
    check.expect_same_account(actor.user_id, actor.provider.previous_user_id, "the account of her first sign-in")
    new_email = actor.provider.sign_ins[-1].login_name.split("|")[1]
    check.expect_identity_email(context.run(actor.records.stored_identities(context.database)), new_email)


@then("{person:Person} is signed in to the account {pronoun:Person} signed up with")
def step_signed_up_account(context: Context, person: str, pronoun: str) -> None:
    actor = context.cast.actor(person)
    check.expect_signed_in(actor.provider.sign_ins[-1])
    check.expect_same_account(actor.user_id, actor.provider.previous_user_id, "the account she signed up with")


@then('{person:Person} sign-in is refused as "{problem}", and nobody is signed in')
def step_refused(context: Context, person: str, problem: str) -> None:
    check.expect_refused(context.cast.actor(person).provider.sign_ins[-1], problem)


@then("{owner:Person}'s account has no identity linked to it")
def step_no_identity(context: Context, owner: str) -> None:
    check.expect_no_identities(context.run(context.cast.actor(owner).records.stored_identities(context.database)))


@then("no account exists for {person:Person}")
def step_no_account(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    check.expect_no_account(context.run(context.database.accounts_with_email(actor.email)), actor.email)


@then("no address {person:Person} browser was sent to carries a token")
def step_no_token_in_urls(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    check.expect_signed_in(actor.provider.sign_ins[-1])
    check.expect_no_token_in_urls(
        actor.provider.sign_ins[-1], [t for t in (actor.session.access_token, actor.session.refresh_token) if t]
    )


@then("the app gets {person:Person} tokens for the one-time login code, which works only once")
def step_login_code_once(context: Context, person: str) -> None:
    sign_in = context.cast.actor(person).provider.sign_ins[-1]
    first = check.expect_signed_in(sign_in)
    assert sign_in.login_code is not None
    check.expect_single_use(first, context.run(context.cast.api.exchange_login_code(sign_in.login_code)))


@when("{person:Person} signs in through an identity provider whose ID token {flaw}")
def step_sign_in_forged_id_token(context: Context, person: str, flaw: str) -> None:
    actor = context.cast.actor(person)
    provider = misbehaving_provider(context, FLAWED_ID_TOKENS[flaw])
    context.run(actor.provider.sign_in_with_provider(actor.email, provider))


@when("{person:Person} signs in through an identity provider that refuses to redeem its own code")
def step_sign_in_code_refused(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    context.run(actor.provider.sign_in_with_provider(actor.email, misbehaving_provider(context, "code_refuser")))


@when("{person:Person} starts to sign in through an identity provider that does not answer")
def step_start_offline(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    context.sign_in_start = context.run(actor.provider.try_to_start(misbehaving_provider(context, "offline")))


@then("the platform answers that this identity provider is unavailable, and when to try again")
def step_provider_unavailable(context: Context) -> None:
    check.expect_provider_unavailable(context.sign_in_start, "offline")
