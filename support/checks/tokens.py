"""What a Then verifies about tokens: lifetimes, signatures by published keys, caching, refusals."""

import time
from typing import Any, NamedTuple

import jwt

from support.clients.http_client import ApiResponse

MAX_ACCESS_TOKEN_SECONDS = 15 * 60


class Refresh(NamedTuple):
    """One refresh, timed so that a busy machine can only widen what it proves about the session's age when the
    platform took it: at least `sent` seconds (from her login's answer to sending it), at most `answered`
    seconds (from sending her login to this answer)."""

    sent: float
    answered: float
    answer: ApiResponse


def expect_not_cached(responses: list[ApiResponse]) -> None:
    assert responses, "no token answer was received"
    for response in responses:
        assert "no-store" in response.headers.get("cache-control", ""), (
            f"Expected every token answer to be marked Cache-Control: no-store; got {response.describe()} "
            f"with Cache-Control {response.headers.get('cache-control')!r}"
        )


ACCESS_TOKEN_TYPE = "at+jwt"  # RFC 9068: a JWT access token says so in its header


def expect_verifiable_short_lived(access_tokens: list[str], jwks: dict[str, Any], audience: str, issuer: str) -> None:
    """Each token is an RFC 9068 access token (typ at+jwt) for the platform's API (aud) by the platform (iss),
    signed by a published key, and expires within 15 minutes."""
    keys = {key.get("kid"): key for key in jwks.get("keys", [])}
    for token in access_tokens:
        header = jwt.get_unverified_header(token)
        assert header.get("kid") in keys, (
            f"Expected the token's kid {header.get('kid')!r} among the published {list(keys)}"
        )
        assert header.get("typ") == ACCESS_TOKEN_TYPE, (
            f"Expected an access token of type {ACCESS_TOKEN_TYPE!r} (RFC 9068); its typ is {header.get('typ')!r}"
        )
        try:
            claims = jwt.decode(
                token,
                jwt.PyJWK(keys[header["kid"]]).key,
                algorithms=[header.get("alg", "RS256")],
                audience=audience,
                issuer=issuer,
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
        except jwt.InvalidTokenError as error:
            unverified = jwt.decode(token, options={"verify_signature": False})
            raise AssertionError(
                f"Expected an access token for audience {audience!r} from issuer {issuer!r}, signed by a published "
                f"key; {type(error).__name__}: {error} (it says aud={unverified.get('aud')!r}, "
                f"iss={unverified.get('iss')!r})"
            ) from error
        lifetime = claims["exp"] - claims["iat"]
        assert lifetime <= MAX_ACCESS_TOKEN_SECONDS, (
            f"Expected access tokens to expire within {MAX_ACCESS_TOKEN_SECONDS // 60} minutes; "
            f"this one lives {lifetime} s"
        )


def expect_rotated(before: ApiResponse, after: ApiResponse) -> None:
    assert after.status == 200, f"Expected the refresh to succeed; got {after.describe()}"
    for kind in ("access_token", "refresh_token"):
        assert after.body.get(kind) and after.body[kind] != before.body.get(kind), (
            f"Expected the refresh to hand out a new {kind}; it gave back the same one"
        )


def expect_refresh_refused(response: ApiResponse, why: str) -> None:
    """400 problem invalid-grant, whose body also carries OAuth's "error": "invalid_grant" (RFC 6749 §5.2)."""
    oauth_error = response.body.get("error") if isinstance(response.body, dict) else None
    assert response.status == 400 and response.problem_type.endswith("/invalid-grant"), (
        f"Expected {why} to be refused with invalid_grant; got {response.describe()}"
    )
    assert oauth_error == "invalid_grant", (
        f'Expected the refusal of {why} to carry "error": "invalid_grant" for OAuth clients; got {response.describe()}'
    )


def expect_unauthorized(response: ApiResponse, why: str) -> None:
    assert response.status == 401, f"Expected {why} to be refused with 401; got {response.describe()}"


BEARER_CHALLENGE = 'Bearer error="invalid_token"'


def expect_refused_at_every_door(answers: dict[str, ApiResponse], why: str, challenged: bool = False) -> None:
    """401 at every door; `challenged`: each with WWW-Authenticate telling the app its token is no good."""
    opened = {door: response.describe() for door, response in answers.items() if response.status != 401}
    assert not opened, f"Expected {why} to be refused with 401 at {', '.join(answers)}; it was not at: {opened}"
    unchallenged = {
        door: response.headers.get("www-authenticate")
        for door, response in answers.items()
        if challenged and BEARER_CHALLENGE not in response.headers.get("www-authenticate", "")
    }
    assert not unchallenged, (
        f"Expected each 401 to carry WWW-Authenticate: {BEARER_CHALLENGE} (RFC 6750), so the app knows to get a "
        f"new token; these did not: {unchallenged}"
    )


def expect_expired_refusal(response: ApiResponse) -> None:
    challenge = response.headers.get("www-authenticate", "")
    detail = str(response.body.get("detail", "")) if isinstance(response.body, dict) else ""
    assert (
        response.status == 401 and 'error="invalid_token"' in challenge and "expired" in (challenge + detail).lower()
    ), (
        'Expected an expired access token to be refused with 401, WWW-Authenticate error="invalid_token" and a '
        f"description that says it expired; got {response.describe()} with WWW-Authenticate {challenge!r}"
    )


def seconds_left(token: str) -> float:
    claims = jwt.decode(token, options={"verify_signature": False})
    return float(claims["exp"]) - time.time()


def expect_session_goes_on(me: ApiResponse, refreshed: ApiResponse) -> None:
    assert me.status == 200, f"Expected her own session to go on; got {me.describe()}"
    assert refreshed.status == 200, (
        f"Expected her own session to go on, its refresh token too; got {refreshed.describe()}"
    )


def expect_session_slid(refreshes: list[Refresh], first_idle_seconds: float) -> None:
    """A refresh succeeded when the session was surely older than the first refresh token's idle lifetime (given
    in whole seconds, so up to a second more): each refresh extended the session."""
    later = [refresh for refresh in refreshes if refresh.answer.status == 200 and refresh.sent > first_idle_seconds + 1]
    assert later, (
        f"Expected refreshing within each token's idle lifetime to keep the session going past the first "
        f"refresh token's {first_idle_seconds:g} s; the refreshes went: {describe_refreshes(refreshes)}"
    )


def expect_session_capped(refreshes: list[Refresh], lasts_seconds: float) -> None:
    """The session's refreshes worked until its absolute lifetime, and the first one after it was refused: no
    refresh sent when the session was surely older than that worked, and the refusal did not come when it was
    surely younger."""
    last = refreshes[-1] if refreshes else None
    outlived = [refresh for refresh in refreshes if refresh.answer.status == 200 and refresh.sent > lasts_seconds]
    assert last is not None and last.answer.status != 200 and not outlived and last.answered >= lasts_seconds, (
        f"Expected the session to refresh until it was {lasts_seconds:g} s old and then be refused; "
        f"the refreshes went: {describe_refreshes(refreshes)}"
    )
    expect_refresh_refused(last.answer, "a refresh after the session's absolute lifetime")


def describe_refreshes(refreshes: list[Refresh]) -> str:
    """Each refresh as the session's age when the platform took it (at least, at most) and its status."""
    return ", ".join(f"{r.sent:.1f}-{r.answered:.1f} s {r.answer.status}" for r in refreshes) or "none"


def expect_session_claims(tokens: list[str], account_id: str | None, client_id: str) -> None:
    """Every token names the account (sub), one session (sid) for all of them, the app (client_id), and an id of
    its own (jti)."""
    claims = [jwt.decode(token, options={"verify_signature": False}) for token in tokens]
    shown = [{name: claim.get(name) for name in ("sub", "sid", "client_id", "jti")} for claim in claims]
    sessions = {claim.get("sid") for claim in claims}
    ids = [claim.get("jti") for claim in claims]
    assert (
        len(claims) >= 2
        and all(claim.get("sub") == account_id and claim.get("client_id") == client_id for claim in claims)
        and len(sessions) == 1
        and None not in sessions
        and all(ids)
        and len(set(ids)) == len(ids)
    ), (
        f"Expected each access token to name her account {account_id} (sub), the one session of her login (sid), "
        f"the app {client_id!r} (client_id) and an id of its own (jti); they carry {shown}"
    )
