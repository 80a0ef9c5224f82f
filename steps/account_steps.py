# mypy: disable-error-code="untyped-decorator"
from behave import given, then, when
from behave.runner import Context

from support.actors import suite_email
from support.checks.signup import expect_same_refusal, expect_signup_refused, expect_similar_timing

WRONG_PASSWORD = "Wrong-password-42!"


@given("{person:Person} has signed up")
def step_signed_up(context: Context, person: str) -> None:
    context.run(context.cast.actor(person).account.sign_up())


@given("{person:Person} has signed up and logged in")
def step_signed_up_and_logged_in(context: Context, person: str) -> None:
    context.run(context.cast.actor(person).account.sign_up_and_log_in())


@when("{person:Person} tries to sign up with {owner:Person}'s email address")
def step_sign_up_with_taken_email(context: Context, person: str, owner: str) -> None:
    taken = context.cast.actor(owner).email
    context.run(context.cast.actor(person).account.try_sign_up(email=taken))


@when("{person:Person} tries to sign up with {owner:Person}'s email address in capitals")
def step_sign_up_with_taken_email_in_capitals(context: Context, person: str, owner: str) -> None:
    taken = context.cast.actor(owner).email.upper()
    context.run(context.cast.actor(person).account.try_sign_up(email=taken))


@when("{person:Person} logs in with {pronoun:Person} email address in capitals")
def step_log_in_in_capitals(context: Context, person: str, pronoun: str) -> None:
    actor = context.cast.actor(person)
    context.run(actor.session.try_log_in(email=actor.email.upper()))


@then("{person:Person} is logged in to {pronoun:Person} own account")
def step_logged_in_to_own_account(context: Context, person: str, pronoun: str) -> None:
    actor = context.cast.actor(person)
    login = actor.last_response
    assert login is not None and login.status == 200, f"Expected {actor.name} to be logged in; got {login}"
    me = context.run(context.cast.api.me(login.body["access_token"]))
    assert me.status == 200 and me.body.get("id") == actor.user_id, (
        f"Expected the login to open her own account {actor.user_id}; GET /me answered {me.describe()}"
    )


@when('{person:Person} tries to sign up with the password "{password}"')
def step_sign_up_with_password(context: Context, person: str, password: str) -> None:
    context.run(context.cast.actor(person).account.try_sign_up(password=password))


@then("{person:Person} signup is refused because the email address is already registered")
def step_refused_email_taken(context: Context, person: str) -> None:
    expect_signup_refused(context.cast.actor(person).last_response, 409, "email-taken")


@then("{person:Person} signup is refused because the password {reason}")
def step_refused_weak_password(context: Context, person: str, reason: str) -> None:
    expect_signup_refused(context.cast.actor(person).last_response, 422, "weak-password", reason)


@when(
    "{person:Person} tries {times:d} times each to log in as {owner:Person} with a wrong password"
    " and with an email nobody has registered"
)
def step_log_in_wrongly(context: Context, person: str, times: int, owner: str) -> None:
    email, nobody = context.cast.actor(owner).email, suite_email("nobody")
    context.run(context.cast.actor(person).session.try_both_wrong_logins(email, nobody, WRONG_PASSWORD, times))


@then("every refusal has the same status, body and headers")
def step_same_refusal(context: Context) -> None:
    expect_same_refusal(context.cast.current.session.refused_logins)


@then("neither kind of refusal comes back in less than half the time of the other")
def step_similar_timing(context: Context) -> None:
    expect_similar_timing(context.cast.current.session.refused_logins, max_ratio=2)
