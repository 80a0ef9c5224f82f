# mypy: disable-error-code="untyped-decorator"
import secrets
import time
import uuid

from behave import given, then, when
from behave.runner import Context

from support.checks import limits as check
from support.checks.event_stream import expect_answered_on_the_same_chat, expect_refused
from support.checks.history import expect_no_hidden_run
from support.clients.http_client import expect_status
from support.stack.service_errors import NotConfigured
from support.waiting import wait_until

LOGIN_ADDRESS_LIMIT = "login-address"  # docs/contract.md's name for the per-address login limit

COUNTDOWN_ROUNDS = 3  # the same for a countdown whose writes took longer than one refill of the limit
ADDRESS_ROUNDS = 3  # a login let in because the address's limit refilled proves nothing: the round is tried again
MOST_CHAT_MESSAGES = 50  # a chat limit above this is not a limit these journeys can reach


@when("{person:Person} opens chats until the platform refuses")
@given("{person:Person} has opened chats until the platform refused")
def step_write_until_refused(context: Context, person: str) -> None:
    context.run(context.cast.actor(person).limits.write_until_refused())


@then("{person:Person} is refused as over her limit, with a problem that says when to retry")
def step_limited(context: Context, person: str) -> None:
    check.expect_limited(context.cast.actor(person).limits.writes[-1])


@then("the refusal names the limit and shows none of it left")
def step_none_left(context: Context) -> None:
    writes = context.cast.current.limits.writes
    check.expect_none_left(writes[-1], writes[0])


@then("the refusal names the {kind} limit and shows none of it left")
def step_named_none_left(context: Context, kind: str) -> None:
    requests = context.cast.current.limits.writes
    named = check.limit_name(requests[-1])
    assert named == kind, f"Expected the refusal to name the {kind!r} limit; it names {named!r}"
    check.expect_none_left(requests[-1], requests[0])


@when("{person:Person} opens {count:d} chats")
def step_open_chats(context: Context, person: str, count: int) -> None:
    limits = context.cast.actor(person).limits

    def write_round() -> None:
        for _ in range(count):
            context.run(limits.open_thread())

    limits.timed_round(write_round)


@then("each answer shows one less of {person:Person} write limit left")
def step_counting_down(context: Context, person: str) -> None:
    limits = context.cast.actor(person).limits
    for _ in range(COUNTDOWN_ROUNDS - 1):
        if not check.countdown_may_have_refilled(limits.writes, limits.round_seconds):
            break
        wait_until(check.reset_seconds(limits.writes[-1]) + 1.0, "the write limit to refill, as its RateLimit says")
        limits.repeat_round()  # a refill between the writes may explain the figures: this round proved nothing
    check.expect_counting_down(limits.writes, limits.round_seconds)


@when("{person:Person} waits as long as the refusal told her to")
def step_wait_retry_after(context: Context, person: str) -> None:
    wait_until(check.retry_after(context.cast.actor(person).limits.writes[-1]), "the Retry-After of the refusal")


@then("{person:Person} can open a chat again")
def step_can_write(context: Context, person: str) -> None:
    response = context.run(context.cast.actor(person).limits.open_thread())
    assert response.status == 201, f"Expected her write to be accepted after waiting; got {response.describe()}"


@when("{person:Person} opens a chat")
def step_open_one(context: Context, person: str) -> None:
    context.run(context.cast.actor(person).limits.open_thread())


@then("{person:Person} chat is opened, with {pronoun:Person} whole write limit but one left")
def step_whole_limit(context: Context, person: str, pronoun: str) -> None:
    [write] = context.cast.actor(person).limits.writes
    check.expect_accepted_with(write, check.quota(write) - 1)


@when("{person:Person} sends the agent more questions than her chat limit allows")
def step_flood_chat(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    for number in range(1, MOST_CHAT_MESSAGES + 1):
        context.run(actor.chat.ask(f"What is {number} + {number}?"))
        if context.run(actor.runs.latest_run()).terminal_index is None:
            return  # refused, or not answered at all: the Then says which
    raise AssertionError(f"{actor.name} sent {MOST_CHAT_MESSAGES} questions and none was refused")


@given("{person:Person} has sent the agent more questions than her chat limit allows")
def step_has_flooded_chat(context: Context, person: str) -> None:
    step_flood_chat(context, person)
    expect_refused(context.cast.actor(person).runs.seen[-1], "rate_limited")


@then('{person:Person} last question is refused with "{code}" and when to retry, and no run starts')
def step_chat_refused(context: Context, person: str, code: str) -> None:
    actor = context.cast.actor(person)
    run = context.run(actor.runs.refused_run())
    expect_refused(run, code)
    expect_no_hidden_run(context.run(actor.records.runs_never_shown(context.database)), f"{actor.name}'s")
    check.chat_retry_after(run)


@then("once {person:Person} has waited, {pronoun:Person} next question is answered on the same chat")
def step_chat_recovers(context: Context, person: str, pronoun: str) -> None:
    actor = context.cast.actor(person)
    wait_until(float(check.chat_retry_after(actor.runs.seen[-1])), "the chat refusal's retry_after")
    expect_answered_on_the_same_chat(*context.run(actor.runs.ask_again()))


@then("{person:Person} next {count:d} questions are answered at once on the same chat")
def step_answered_at_once(context: Context, person: str, count: int) -> None:
    actor = context.cast.actor(person)
    refused = actor.runs.seen[-1]
    waited_out = refused.arrivals[0] + check.chat_retry_after(refused)
    for _ in range(count):
        expect_answered_on_the_same_chat(*context.run(actor.runs.ask_again()))
    first = actor.runs.seen[-count]
    assert first.asked_at < waited_out, (
        f"Expected her questions to be answered at once, before the refusal's retry_after ran out; the first was "
        f"asked {first.asked_at - refused.arrivals[0]:.1f} s after the refusal, which said to wait "
        f"{check.chat_retry_after(refused)} s"
    )


@when("{person:Person} asks for exports of {pronoun:Person} data until the platform refuses")
def step_exports_until_refused(context: Context, person: str, pronoun: str) -> None:
    context.run(context.cast.actor(person).limits.export_until_refused())


@then("the sixth try of each kind is refused as too many, with the same answer")
def step_throttled_alike(context: Context) -> None:
    check.expect_same_throttling(context.cast.current.session.refused_logins, allowed=5)


def admin_token(context: Context) -> str:
    if context.target.admin_token is None:
        raise NotConfigured("The plan journeys need the admin API's token: -D admin_token=<token>")
    token: str = context.target.admin_token
    return token


@given("the company has moved {person:Person} to the {plan} plan")
@when("the company moves {person:Person} to the {plan} plan")
@when("the company moves {person:Person} back to the {plan} plan")
@given("the company has upgraded {person:Person} to the {plan} plan")
@when("the company upgrades {person:Person} to the {plan} plan")
def step_change_plan(context: Context, person: str, plan: str) -> None:
    actor = context.cast.actor(person)
    changed = context.run(context.cast.api.set_plan(admin_token(context), str(actor.user_id), plan))
    actor.limits.plan_answer_before = actor.limits.plan_answer
    actor.limits.plan_answer = expect_status(changed, 200, f"the company moves {actor.name} to the {plan} plan")


@then("{person:Person} can open a chat again at once, with the same access token, under the pro plan's limit")
def step_upgraded_at_once(context: Context, person: str) -> None:
    actor = context.cast.actor(person)
    refused = actor.limits.writes[-1]
    response = context.run(actor.limits.open_thread())
    assert response.status == 201, f"Expected the upgrade to apply at once; the next write got {response.describe()}"
    assert check.quota(response) > check.quota(refused), (
        "Expected the upgrade to apply at once, under the pro plan's larger limit; "
        f"before {refused.headers.get('ratelimit-policy')!r}, now {response.headers.get('ratelimit-policy')!r}"
    )
    assert actor.limits.plan_answer is not None, f"{actor.name} was not upgraded"
    check.expect_plan_limit(response, actor.limits.plan_answer, "writes")


@then("{person:Person} next chat is refused, as what she used carried over")
def step_still_refused(context: Context, person: str) -> None:
    check.expect_limited(context.run(context.cast.actor(person).limits.open_thread()))


@when("{person:Person} tries to upgrade herself to the {plan} plan through the admin API")
def step_self_upgrade(context: Context, person: str, plan: str) -> None:
    actor = context.cast.actor(person)
    context.run(actor.limits.try_admin_upgrade(plan, actor.session.token))


# Ways into the admin API without its token: the bearer token she sends, the address she says she comes from.
ADMIN_ATTEMPTS = {
    "with an empty admin token": ("", None),
    "saying she comes from the operator's own network": (None, "127.0.0.1, 10.0.0.7"),
}


@when("{person:Person} tries to upgrade herself to the {plan} plan through the admin API {how}")
def step_self_upgrade_somehow(context: Context, person: str, plan: str, how: str) -> None:
    assert how in ADMIN_ATTEMPTS, f"No such way into the admin API: {how!r}; known: {sorted(ADMIN_ATTEMPTS)}"
    token, forwarded_from = ADMIN_ATTEMPTS[how]
    context.run(context.cast.actor(person).limits.try_admin_upgrade(plan, token, forwarded_from))


@when("{person:Person} tries to upgrade a customer to the {plan} plan through the admin API without a token")
def step_upgrade_without_token(context: Context, person: str, plan: str) -> None:
    actor = context.cast.actor(person)
    actor.last_response = context.run(context.cast.api.set_plan(None, str(uuid.uuid4()), plan))


@then("the admin API refuses {person:Person} as unauthorized")
def step_admin_unauthorized(context: Context, person: str) -> None:
    response = context.cast.actor(person).last_response
    assert response is not None and response.status == 401, (
        f"Expected the admin API to refuse a request without the admin token with 401; got {response}"
    )


@then("the admin API refuses {person:Person} as forbidden, and {pronoun:Person} write limit is unchanged")
def step_admin_forbidden(context: Context, person: str, pronoun: str) -> None:
    expect_admin_refused(context, person, 403, "a customer's token")


@then("the admin API refuses {person:Person} as unauthorized, and {pronoun:Person} write limit is unchanged")
def step_admin_unauthorized_unchanged(context: Context, person: str, pronoun: str) -> None:
    expect_admin_refused(context, person, 401, "a request without the admin token")


def expect_admin_refused(context: Context, person: str, status: int, what: str) -> None:
    actor = context.cast.actor(person)
    response = actor.last_response
    assert response is not None and response.status == status, (
        f"Expected the admin API to refuse {what} with {status}; got {response}"
    )
    before, after = actor.limits.writes[0], context.run(actor.limits.open_thread())
    assert check.quota(after) == check.quota(before), (
        f"Expected the refused upgrade to change nothing; her write limit was {before.headers['ratelimit-policy']!r}"
        f" and is now {after.headers.get('ratelimit-policy')!r}"
    )


@when("{person:Person} signs up asking for the {plan} plan, and logs in")
def step_sign_up_asking_for_plan(context: Context, person: str, plan: str) -> None:
    context.run(context.cast.actor(person).account.sign_up_and_log_in(asking={"plan": plan}))


@then("{person:Person} write limit is the one every new customer has, as {other:Person} has it")
def step_write_limit_as_anyone(context: Context, person: str, other: str) -> None:
    actor, anyone = context.cast.actor(person), context.cast.actor(other)
    hers, usual = context.run(actor.limits.open_thread()), context.run(anyone.limits.open_thread())
    assert check.quota(hers) == check.quota(usual), (
        f"Expected {actor.name}'s write limit to be a new customer's, {usual.headers.get('ratelimit-policy')!r}, "
        f"whatever plan she asked for; it is {hers.headers.get('ratelimit-policy')!r}"
    )


# What counts against each limit, as the journeys name it.
COUNTED = {"new chat": "open_thread", "request for an export": "ask_for_export"}


@then(
    "{person:Person} next {request} is counted under the {plan} plan's {kind} limit as the admin API gives it,"
    " not the {before} plan's"
)
def step_counted_under_plan(context: Context, person: str, request: str, plan: str, kind: str, before: str) -> None:
    assert request in COUNTED, f"No such request: {request!r}; known: {sorted(COUNTED)}"
    limits = context.cast.actor(person).limits
    now, earlier = limits.plan_answer, limits.plan_answer_before
    assert now is not None and earlier is not None, "her plan was not changed twice"
    assert (now.body["plan"], earlier.body["plan"]) == (plan, before), f"her plans were {earlier} then {now}"
    response = context.run(getattr(limits, COUNTED[request])())
    assert response.status in (201, 202), f"Expected her {request} to be accepted; got {response.describe()}"
    check.expect_plan_limit(response, now, kind)
    check.expect_first_of(response, kind, differs_from=earlier)


@when("{person:Person}, from one address, tries to log in to accounts nobody has until the platform refuses")
def step_logins_from_one_address(context: Context, person: str) -> None:
    context.address = local_address(context)
    context.run(context.cast.actor(person).limits.log_in_from_until_refused(context.address))


@then(
    "{person:Person} logging in from {owner:Person}'s address is refused as too many, naming the per-address"
    " login limit"
)
def step_address_limited(context: Context, person: str, owner: str) -> None:
    actor, limited = context.cast.actor(person), context.cast.actor(owner).limits
    for round_number in range(1, ADDRESS_ROUNDS + 1):
        answer = context.run(actor.session.try_log_in_from(context.address))
        waited = time.monotonic() - limited.address_refused_at
        if round_number == ADDRESS_ROUNDS or not check.address_may_have_refilled(
            answer, limited.address_tries[-1], waited
        ):
            break
        context.run(limited.log_in_from_until_refused(context.address))  # this round proved nothing: again
    check.expect_address_limited(answer, LOGIN_ADDRESS_LIMIT, limited.address_tries, waited)


@then("{person:Person} logging in from an address of her own is let in")
def step_other_address_let_in(context: Context, person: str) -> None:
    answer = context.run(context.cast.actor(person).session.try_log_in_from(local_address(context)))
    assert answer.status == 200, f"Expected a login from another address to be let in; got {answer.describe()}"


def local_address(context: Context) -> str:
    """A loopback address of this machine's own for one customer: Linux routes all of 127.0.0.0/8 locally."""
    if not context.target.is_local:
        raise NotConfigured(
            "The per-address journey logs in from several loopback addresses of this machine: it needs the "
            "platform on this machine (the embedded stack, or a base_url on 127.0.0.1)."
        )
    return "127." + ".".join(str(secrets.randbelow(254) + 1) for _ in range(3))
