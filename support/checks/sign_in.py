"""What a Then verifies about a sign-in through the identity provider."""

import re
from http.cookies import SimpleCookie
from typing import Any

from support.checks.problems import expect_problem_document
from support.clients.http_client import ApiResponse
from support.clients.oidc_sign_in import SignIn
from support.clients.urls import query
from support.report.redaction import JWT_SHAPE

TOKEN_PARAMETERS = re.compile(r"(?i)[?&#](access_token|refresh_token|id_token|token)=")


def expect_authorization_request(sign_in: SignIn) -> None:
    """The platform sent the browser to the provider with PKCE (S256), a state and a nonce."""
    asked = query(sign_in.authorization_url)
    missing = [name for name in ("code_challenge", "state", "nonce") if not asked.get(name)]
    assert asked.get("code_challenge_method") == "S256" and not missing, (
        "Expected the authorization request to carry a S256 code_challenge, a state and a nonce; "
        f"it carries code_challenge_method={asked.get('code_challenge_method')!r}, and lacks {missing}:\n"
        f"{sign_in.authorization_url}"
    )


def expect_signed_in(sign_in: SignIn) -> ApiResponse:
    assert sign_in.callback is not None, "the browser never came back to the platform"
    assert sign_in.exchange is not None and sign_in.exchange.status == 200, (
        f"Expected the sign-in to give the app its tokens; the callback answered {sign_in.callback.describe()}"
        + (f"\nand the code exchange answered {sign_in.exchange.describe()}" if sign_in.exchange else "")
    )
    return sign_in.exchange


def expect_refused(sign_in: SignIn, problem: str) -> None:
    """The platform answered the provider's answer with the named problem, and signed nobody in."""
    answer = sign_in.callback
    assert answer is not None, "the browser never came back to the platform"
    assert 400 <= answer.status < 500 and answer.problem_type.endswith(f"/{problem}"), (
        f"Expected the sign-in to be refused with problem '{problem}'; the platform answered {answer.describe()}"
    )
    assert sign_in.login_code is None and sign_in.exchange is None, (
        f"Expected nobody to be signed in, but the platform handed out a login code: {sign_in.landing_url}"
    )


def expect_no_token_in_urls(sign_in: SignIn, tokens: list[str]) -> None:
    """No Location the browser was sent to carries a JWT, a token parameter or one of the tokens it got."""
    for url in sign_in.locations:
        leaked = JWT_SHAPE.search(url) or TOKEN_PARAMETERS.search(url) or any(token in url for token in tokens)
        assert not leaked, f"Expected no token in any URL of the sign-in; the browser was sent to:\n{url}"


def expect_single_use(first: ApiResponse, second: ApiResponse) -> None:
    assert first.status == 200 and "no-store" in first.headers.get("cache-control", ""), (
        f"Expected the login code to give the tokens, marked never to be cached; got {first.describe()}"
    )
    assert second.status == 400, f"Expected the login code to work only once; the second use got {second.describe()}"


def expect_same_account(now: str | None, before: str | None, what: str) -> None:
    assert now is not None and now == before, f"Expected to be signed in to {what} ({before}); got account {now}"


def expect_linked(identities: list[dict[str, Any]], provider: str, subject: str) -> None:
    assert any(row["provider"] == provider and row["subject"] == subject for row in identities), (
        f"Expected the account to be linked to {provider} subject {subject!r}; its identities are {identities}"
    )


def expect_no_identities(identities: list[dict[str, Any]]) -> None:
    assert not identities, f"Expected no identity linked to the account; it has {identities}"


def expect_no_account(accounts: list[dict[str, Any]], email: str) -> None:
    assert not accounts, f"Expected no account for {email}; the database holds {accounts}"


def expect_identity_email(identities: list[dict[str, Any]], email: str) -> None:
    """The provider did give the new email, so the account was found by the subject despite it."""
    assert any(row["email"] == email for row in identities), (
        f"Expected the identity to carry the provider's new email {email}; the identities are {identities}"
    )


def expect_provider_unavailable(answer: ApiResponse, provider: str) -> None:
    """A 503 problem identity-provider-unavailable that names the provider and says when to try again."""
    expect_problem_document(answer, 503, "identity-provider-unavailable")
    body = answer.body if isinstance(answer.body, dict) else {}
    assert provider in str(body.get("dependency", "")) and answer.headers.get("retry-after", "").isdigit(), (
        f"Expected the refusal to name the identity provider {provider!r} as the dependency that failed, and "
        f"to say in Retry-After when to try again; got {answer.describe()}"
    )


def expect_login_code_refused(answer: ApiResponse) -> None:
    body = answer.body if isinstance(answer.body, dict) else {}
    assert (
        answer.status == 400 and answer.problem_type.endswith("/invalid-login-code") and "access_token" not in body
    ), (
        f"Expected an expired login code to be refused with 400 problem 'invalid-login-code', and no tokens; "
        f"got {answer.describe()}"
    )


def expect_attempt_cookie(started: ApiResponse | None, longest_seconds: int) -> None:
    """The start's Set-Cookie for oidc_attempt: HttpOnly, Path=/auth/oidc, Max-Age within `longest_seconds`."""
    assert started is not None, "the sign-in never started"
    jar = SimpleCookie()
    for key, value in started.headers.multi_items():
        if key.lower() == "set-cookie":
            jar.load(value)
    cookie = jar.get("oidc_attempt")
    shown = {name: value for name, value in cookie.items() if value} if cookie else "no oidc_attempt cookie"
    max_age = str(cookie["max-age"]) if cookie else ""
    assert (
        cookie is not None
        and cookie["httponly"]
        and cookie["path"] == "/auth/oidc"
        and max_age.isdigit()
        and 0 < int(max_age) <= longest_seconds
    ), (
        "Expected the sign-in to set the cookie oidc_attempt with HttpOnly, Path=/auth/oidc and a Max-Age of at "
        f"most {longest_seconds} s; its attributes are {shown}"
    )
