"""Signing in through an OpenID provider: the platform as its relying party.

Authorization code flow with PKCE (S256), `state` and `nonce`, all three bound to the browser's login
attempt by a cookie and kept a few minutes in PostgreSQL. authlib builds the request and exchanges
the code; PyJWT checks the ID token against the provider's JWKS by `kid`. The app receives the
platform's own tokens through a one-time login code it exchanges, never in a URL.

Account rules: a provider's subject always finds the same account; a verified email that matches a
password account links to it; an unverified email never links to an existing account.
"""

import asyncio
import secrets
import ssl
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, ClassVar
from urllib.parse import urlencode

import httpx2
import jwt
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from jwt.types import Options

from reference_platform.database import Database
from reference_platform.identity.accounts import UserStore, normalize_email
from reference_platform.identity.secrets import secret_digest
from reference_platform.identity.sessions import Sessions
from reference_platform.problems import Problem
from reference_platform.settings import OidcProviderSettings

SCOPE = "openid email profile"
ID_TOKEN_ALGORITHMS = ["RS256", "PS256", "ES256"]
MAX_ID_TOKEN_AGE_SECONDS = 600


def provider_unavailable(name: str, url: str, cause: BaseException) -> Problem:
    return Problem(
        503,
        "identity-provider-unavailable",
        "The identity provider is unreachable",
        f"Could not reach the identity provider {name!r} at {url}: {type(cause).__name__}.",
        headers={"Retry-After": "5"},
        dependency=f"identity provider {name}",
    )


def login_refused(slug: str, title: str, detail: str) -> Problem:
    return Problem(400, slug, title, detail + " Nobody was signed in and no account was changed.")


@cache
def tls() -> ssl.SSLContext:
    return ssl.create_default_context()


@dataclass
class OidcProvider:
    settings: OidcProviderSettings
    redirect_uri: str
    timeout: float = 10.0
    _metadata: dict[str, Any] = field(default_factory=dict)
    _keys: jwt.PyJWKClient | None = None
    id_token_checks: ClassVar[Options] = {"require": ["iss", "aud", "sub", "exp", "iat"]}

    @property
    def name(self) -> str:
        return self.settings.name

    async def metadata(self) -> dict[str, Any]:
        if not self._metadata:
            url = f"{self.settings.issuer.rstrip('/')}/.well-known/openid-configuration"
            try:
                async with httpx2.AsyncClient(timeout=self.timeout) as http:
                    response = await http.get(url)
                    response.raise_for_status()
            except httpx2.HTTPError as error:
                raise provider_unavailable(self.name, url, error) from error
            self._metadata = response.json()
            self._keys = jwt.PyJWKClient(self._metadata["jwks_uri"], timeout=int(self.timeout))
        return self._metadata

    def client(self) -> AsyncOAuth2Client:
        """A client per sign-in (it holds that sign-in's token), sharing one TLS context: building one costs
        about 45 ms of CPU, which at two per sign-in was most of a sign-in's cost."""
        return AsyncOAuth2Client(
            self.settings.client_id,
            self.settings.client_secret,
            scope=SCOPE,
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
            timeout=self.timeout,
            verify=tls(),
        )

    async def id_token_claims(self, id_token: str, nonce: str) -> dict[str, Any]:
        """The ID token's claims once its signature (by kid), iss, aud, exp, iat and nonce check out."""
        metadata = await self.metadata()
        assert self._keys is not None
        try:
            key = await asyncio.to_thread(self._keys.get_signing_key_from_jwt, id_token)
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key.key,
                algorithms=ID_TOKEN_ALGORITHMS,
                audience=self.settings.client_id,
                issuer=metadata["issuer"],
                options=self.id_token_checks,
            )
        except jwt.PyJWTError as error:
            raise login_refused(
                "invalid-id-token", "The identity provider's ID token is invalid", str(error)
            ) from error
        if time.time() - claims["iat"] > MAX_ID_TOKEN_AGE_SECONDS:
            raise login_refused("invalid-id-token", "The identity provider's ID token is stale", "iat is too old.")
        self.check_nonce(claims, nonce)
        return claims

    @staticmethod
    def check_nonce(claims: dict[str, Any], nonce: str) -> None:
        if not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
            raise login_refused(
                "nonce-mismatch", "The ID token was not issued for this login", "Its nonce is not this attempt's."
            )


@dataclass(frozen=True)
class Attempt:
    state: str
    nonce: str
    code_verifier: str


class ProviderAccounts:
    """What a finished sign-in leads to: the account of the provider's subject (found, linked by a verified email,
    or made), and the one-time login code the app trades for tokens."""

    database: Database
    login_code_seconds: int

    async def account_for(self, provider: str, claims: dict[str, Any]) -> uuid.UUID:
        """The account of this provider subject: found, linked by a verified email, or made."""
        subject, email = str(claims["sub"]), str(claims.get("email") or "")
        verified = claims.get("email_verified") is True
        async with self.database.pool.acquire() as connection, connection.transaction():
            known: uuid.UUID | None = await connection.fetchval(
                "UPDATE identities SET email = $3, email_verified = $4 WHERE provider = $1 AND subject = $2"
                " RETURNING user_id",
                provider,
                subject,
                email,
                verified,
            )
            if known is not None:
                return known
            existing: uuid.UUID | None = await connection.fetchval(
                "SELECT id FROM users WHERE email_normalized = $1", normalize_email(email)
            )
            if existing is not None and not verified:
                raise Problem(
                    409,
                    "unverified-email",
                    "The identity provider has not verified this email address",
                    "An account with this email exists; it is linked only to a sign-in whose email the provider "
                    "verified. Nobody was signed in and no account was changed.",
                )
            if existing is None:
                if not email:
                    raise login_refused("email-missing", "The identity provider gave no email", "An email is needed.")
                existing = await connection.fetchval(
                    "INSERT INTO users (id, email, email_normalized) VALUES ($1, $2, $3) RETURNING id",
                    uuid.uuid4(),
                    email.strip(),
                    normalize_email(email),
                )
            await connection.execute(
                "INSERT INTO identities (provider, subject, user_id, email, email_verified)"
                " VALUES ($1, $2, $3, $4, $5)",
                provider,
                subject,
                existing,
                email,
                verified,
            )
            assert existing is not None
            return existing

    async def landing(self, user_id: uuid.UUID, app_path: str) -> str:
        """Where the signed-in browser goes: the app, with a one-time login code and no token."""
        return f"{app_path}?{urlencode({'login_code': await self.issue_login_code(user_id)})}"

    async def issue_login_code(self, user_id: uuid.UUID) -> str:
        code = secrets.token_urlsafe(32)
        await self.database.pool.execute(
            "INSERT INTO login_codes (code_hash, user_id, expires_at) VALUES ($1, $2, $3)",
            secret_digest(code),
            user_id,
            datetime.now(UTC) + timedelta(seconds=self.login_code_seconds),
        )
        return code

    async def redeem_login_code(self, code: str) -> uuid.UUID:
        user_id: uuid.UUID | None = await self.database.pool.fetchval(
            "UPDATE login_codes SET used_at = now() WHERE code_hash = $1 AND used_at IS NULL AND expires_at > now()"
            " RETURNING user_id",
            secret_digest(code),
        )
        if user_id is None:
            raise Problem(
                400, "invalid-login-code", "The login code is unknown, used or expired", error="invalid_grant"
            )
        return user_id


class OidcLogins(ProviderAccounts):
    def __init__(
        self,
        database: Database,
        users: UserStore,
        sessions: Sessions,
        providers: dict[str, OidcProvider],
        attempt_seconds: int,
        login_code_seconds: int,
    ) -> None:
        self.database = database
        self.users = users
        self.sessions = sessions
        self.providers = providers
        self.attempt_seconds = attempt_seconds
        self.login_code_seconds = login_code_seconds

    def attempt_cookie(self) -> dict[str, Any]:
        """How the browser keeps the attempt: out of scripts' reach, sent only to sign-in, for the attempt's life.
        SameSite=Lax, so it comes back with the provider's top-level redirect."""
        return {"max_age": self.attempt_seconds, "path": "/auth/oidc", "httponly": True, "samesite": "lax"}

    def provider(self, name: str) -> OidcProvider:
        if name not in self.providers:
            raise Problem(
                404, "unknown-identity-provider", "No such identity provider", f"Known: {sorted(self.providers)}"
            )
        return self.providers[name]

    async def start(self, name: str) -> tuple[str, str]:
        """The provider's authorization URL, and the cookie that binds this attempt to the browser."""
        provider = self.provider(name)
        metadata = await provider.metadata()
        attempt = Attempt(secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48))
        url, _ = provider.client().create_authorization_url(
            metadata["authorization_endpoint"],
            state=attempt.state,
            nonce=attempt.nonce,
            code_verifier=attempt.code_verifier,
        )
        cookie = secrets.token_urlsafe(32)
        await self.database.pool.execute(
            "INSERT INTO oidc_attempts (cookie_hash, provider, state, nonce, code_verifier, expires_at)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            secret_digest(cookie),
            name,
            attempt.state,
            attempt.nonce,
            attempt.code_verifier,
            datetime.now(UTC) + timedelta(seconds=self.attempt_seconds),
        )
        return str(url), cookie

    async def take_attempt(self, name: str, cookie: str | None) -> Attempt:
        row = await self.database.pool.fetchrow(
            "UPDATE oidc_attempts SET used_at = now()"
            " WHERE cookie_hash = $1 AND provider = $2 AND used_at IS NULL AND expires_at > now()"
            " RETURNING state, nonce, code_verifier",
            secret_digest(cookie or ""),
            name,
        )
        if row is None:
            raise login_refused(
                "login-attempt-unknown",
                "This browser has no login attempt waiting",
                "The login attempt is unknown, used or expired; start the login again.",
            )
        return Attempt(row["state"], row["nonce"], row["code_verifier"])

    async def finish(self, name: str, params: dict[str, str], cookie: str | None) -> uuid.UUID:
        """Check the callback against the browser's attempt, redeem the code, and find or make the account."""
        provider = self.provider(name)
        if "error" in params:
            if params["error"] == "access_denied":
                raise Problem(401, "login-cancelled", "The login was cancelled at the identity provider",
                              "Nobody was signed in and no account was changed.")  # fmt: skip
            raise login_refused("identity-provider-error", "The identity provider refused the login", params["error"])
        attempt = await self.take_attempt(name, cookie)
        self.check_state(params, attempt)
        metadata = await provider.metadata()
        if "iss" in params and params["iss"] != metadata["issuer"]:
            raise login_refused("issuer-mismatch", "The answer came from another issuer", f"iss={params['iss']}")
        try:
            async with provider.client() as client:
                token = await client.fetch_token(
                    metadata["token_endpoint"], code=params.get("code", ""), code_verifier=attempt.code_verifier
                )
        except OAuthError as error:
            raise login_refused("code-rejected", "The identity provider refused the code", str(error)) from error
        except httpx2.HTTPError as error:
            raise provider_unavailable(name, metadata["token_endpoint"], error) from error
        claims = await provider.id_token_claims(str(token.get("id_token", "")), attempt.nonce)
        return await self.account_for(name, claims)

    @staticmethod
    def check_state(params: dict[str, str], attempt: Attempt) -> None:
        if not secrets.compare_digest(params.get("state", ""), attempt.state):
            raise login_refused(
                "state-mismatch", "The login answer does not match this browser's attempt", "Its state is not ours."
            )
