"""Defects in sign-in through an identity provider."""

import uuid
from typing import Any, ClassVar

import jwt
from jwt.types import Options

from reference_platform.faults.fault import Fault
from reference_platform.identity.accounts import normalize_email
from reference_platform.identity.oidc import Attempt, OidcLogins, OidcProvider, provider_unavailable
from reference_platform.identity.secrets import secret_digest
from reference_platform.identity.sessions import DEFAULT_CLIENT
from reference_platform.problems import Problem


class SkipsPkce(OidcProvider):
    def client(self) -> Any:
        client = super().client()
        client.code_challenge_method = None
        return client


class AttemptCookieForScripts(OidcLogins):
    def attempt_cookie(self) -> dict[str, Any]:
        return {**super().attempt_cookie(), "httponly": False}


class IgnoresState(OidcLogins):
    @staticmethod
    def check_state(params: dict[str, str], attempt: Attempt) -> None:
        return None


class IgnoresNonce(OidcProvider):
    @staticmethod
    def check_nonce(claims: dict[str, Any], nonce: str) -> None:
        return None


ALL_ID_TOKEN_CHECKS: Options = {"verify_signature": True, "verify_iss": True, "verify_aud": True, "verify_exp": True}


class TrustsForgedIdTokens(OidcProvider):
    id_token_checks: ClassVar[Options] = {**ALL_ID_TOKEN_CHECKS, "verify_signature": False}


class TrustsForeignIssuers(OidcProvider):
    id_token_checks: ClassVar[Options] = {**ALL_ID_TOKEN_CHECKS, "verify_iss": False}


class TrustsForeignAudiences(OidcProvider):
    id_token_checks: ClassVar[Options] = {**ALL_ID_TOKEN_CHECKS, "verify_aud": False}


class TrustsExpiredIdTokens(OidcProvider):
    id_token_checks: ClassVar[Options] = {**ALL_ID_TOKEN_CHECKS, "verify_exp": False}


class CallsRefusedCodesAnOutage(OidcLogins):
    async def finish(self, name: str, params: dict[str, str], cookie: str | None) -> uuid.UUID:
        try:
            return await super().finish(name, params, cookie)
        except Problem as refusal:
            if refusal.slug == "code-rejected":
                raise provider_unavailable(name, "its token endpoint", refusal) from refusal
            raise


class HidesWhichProviderFailed(OidcProvider):
    async def metadata(self) -> dict[str, Any]:
        try:
            return await super().metadata()
        except Problem as outage:
            raise Problem(503, outage.slug, outage.title) from outage


class TrustsUnverifiedEmails(OidcLogins):
    async def account_for(self, provider: str, claims: dict[str, Any]) -> uuid.UUID:
        return await super().account_for(provider, {**claims, "email_verified": True})


class FindsAccountsByEmail(OidcLogins):
    async def account_for(self, provider: str, claims: dict[str, Any]) -> uuid.UUID:
        return await super().account_for(provider, {**claims, "sub": claims.get("email")})


class PutsTokensInTheUrl(OidcLogins):
    async def landing(self, user_id: uuid.UUID, app_path: str) -> str:
        tokens = await self.sessions.start(user_id, DEFAULT_CLIENT)
        return f"{await super().landing(user_id, app_path)}#access_token={tokens.access_token}"


class ReusableLoginCodes(OidcLogins):
    async def redeem_login_code(self, code: str) -> uuid.UUID:
        user_id: uuid.UUID | None = await self.database.pool.fetchval(
            "SELECT user_id FROM login_codes WHERE code_hash = $1 AND expires_at > now()", secret_digest(code)
        )
        if user_id is None:
            raise Problem(400, "invalid-login-code", "The login code is unknown or expired")
        return user_id


class LoginCodesLiveADay(OidcLogins):
    async def issue_login_code(self, user_id: uuid.UUID) -> str:
        code = await super().issue_login_code(user_id)
        await self.database.pool.execute(
            "UPDATE login_codes SET expires_at = now() + interval '1 day' WHERE code_hash = $1", secret_digest(code)
        )
        return code


class LoginCodesKeptAsIssued(OidcLogins):
    async def issue_login_code(self, user_id: uuid.UUID) -> str:
        code = await super().issue_login_code(user_id)
        await self.database.pool.execute(
            "UPDATE login_codes SET code_hash = $1 WHERE code_hash = $2", code, secret_digest(code)
        )
        return code

    async def redeem_login_code(self, code: str) -> uuid.UUID:
        user_id: uuid.UUID | None = await self.database.pool.fetchval(
            "UPDATE login_codes SET used_at = now() WHERE code_hash = $1 AND used_at IS NULL AND expires_at > now()"
            " RETURNING user_id",
            code,
        )
        if user_id is None:
            raise Problem(400, "invalid-login-code", "The login code is unknown, used or expired")
        return user_id


class NeverLinks(OidcLogins):
    async def account_for(self, provider: str, claims: dict[str, Any]) -> uuid.UUID:
        return await super().account_for(provider, {**claims, "email_verified": False})


class FindsAttemptsByState(OidcLogins):
    """Looks the login attempt up by the answer's state instead of by this browser's cookie."""

    async def finish(self, name: str, params: dict[str, str], cookie: str | None) -> uuid.UUID:
        self.state = params.get("state", "")
        return await super().finish(name, params, cookie)

    async def take_attempt(self, name: str, cookie: str | None) -> Attempt:
        row = await self.database.pool.fetchrow(
            "UPDATE oidc_attempts SET used_at = now() WHERE state = $1 AND provider = $2 AND used_at IS NULL"
            " RETURNING state, nonce, code_verifier",
            self.state,
            name,
        )
        return (
            Attempt(row["state"], row["nonce"], row["code_verifier"])
            if row
            else await super().take_attempt(name, cookie)
        )


class IgnoresCancellation(OidcLogins):
    """Reads a cancelled login's answer as if it carried a code."""

    async def finish(self, name: str, params: dict[str, str], cookie: str | None) -> uuid.UUID:
        return await super().finish(name, {key: value for key, value in params.items() if key != "error"}, cookie)


class LinksThenRefuses(OidcLogins):
    """Links the identity to the account that has its email, then refuses the unverified email."""

    async def account_for(self, provider: str, claims: dict[str, Any]) -> uuid.UUID:
        try:
            return await super().account_for(provider, claims)
        except Problem as refusal:
            if refusal.slug == "unverified-email":
                await self.database.pool.execute(
                    "INSERT INTO identities (provider, subject, user_id, email, email_verified)"
                    " SELECT $1, $2, id, $3, false FROM users WHERE email_normalized = $4",
                    provider,
                    str(claims["sub"]),
                    str(claims["email"]),
                    normalize_email(str(claims["email"])),
                )
            raise


class ForgetsIdentities(OidcLogins):
    """Makes the account but keeps no link to the identity that signed in."""

    async def account_for(self, provider: str, claims: dict[str, Any]) -> uuid.UUID:
        user_id = await super().account_for(provider, claims)
        await self.database.pool.execute(
            "DELETE FROM identities WHERE provider = $1 AND subject = $2", provider, str(claims["sub"])
        )
        return user_id


class NamesAccountsBySubject(OidcLogins):
    """Gives a new account the provider's subject as its email, not the email the provider gave."""

    async def account_for(self, provider: str, claims: dict[str, Any]) -> uuid.UUID:
        return await super().account_for(provider, {**claims, "email": f"{claims['sub']}@{provider}.invalid"})


class KeepsTheLastClaims(OidcProvider):
    """Keeps the claims of the last ID token it read, even one refused for its nonce."""

    async def id_token_claims(self, id_token: str, nonce: str) -> dict[str, Any]:
        self.last_claims = jwt.decode(id_token, options={"verify_signature": False})
        return await super().id_token_claims(id_token, nonce)


class MakesTheAccountBeforeTheNonce(OidcLogins):
    """Makes the account from the ID token's claims before refusing its nonce."""

    async def finish(self, name: str, params: dict[str, str], cookie: str | None) -> uuid.UUID:
        try:
            return await super().finish(name, params, cookie)
        except Problem as refusal:
            provider = self.provider(name)
            if refusal.slug == "nonce-mismatch" and isinstance(provider, KeepsTheLastClaims):
                await self.account_for(name, provider.last_claims)
            raise


FAULTS: dict[str, Fault] = {
    "attempt_found_by_state": Fault(
        "a sign-in answer is matched to its attempt by its state, not by the browser that started it",
        {"oidc": FindsAttemptsByState},
    ),
    "cancellation_ignored": Fault(
        "a login cancelled at the provider is read as if it carried a code", {"oidc": IgnoresCancellation}
    ),
    "unverified_identity_linked_then_refused": Fault(
        "an unverified email's identity is linked to the account that has it, then the sign-in is refused",
        {"oidc": LinksThenRefuses},
    ),
    "identity_not_linked": Fault(
        "a first sign-in makes the account but keeps no link to the identity", {"oidc": ForgetsIdentities}
    ),
    "account_named_by_subject": Fault(
        "a first sign-in names the account by the provider's subject, not its email",
        {"oidc": NamesAccountsBySubject},
    ),
    "account_made_before_nonce_check": Fault(
        "a sign-in makes the account from the ID token, then refuses its nonce",
        {"oidc": MakesTheAccountBeforeTheNonce, "oidc_provider": KeepsTheLastClaims},
    ),
    "attempt_cookie_readable_by_scripts": Fault(
        "the sign-in attempt's cookie is not HttpOnly", {"oidc": AttemptCookieForScripts}
    ),
    "login_codes_kept_as_issued": Fault(
        "login codes are stored as issued, not as digests", {"oidc": LoginCodesKeptAsIssued}
    ),
    "pkce_not_sent": Fault("the authorization request carries no PKCE challenge", {"oidc_provider": SkipsPkce}),
    "state_not_checked": Fault("the callback's state is not compared", {"oidc": IgnoresState}),
    "id_token_signature_unchecked": Fault(
        "the ID token's signature is not checked", {"oidc_provider": TrustsForgedIdTokens}
    ),
    "id_token_issuer_unchecked": Fault("the ID token's issuer is not checked", {"oidc_provider": TrustsForeignIssuers}),
    "id_token_audience_unchecked": Fault(
        "the ID token's audience is not checked", {"oidc_provider": TrustsForeignAudiences}
    ),
    "id_token_expiry_unchecked": Fault("an expired ID token is accepted", {"oidc_provider": TrustsExpiredIdTokens}),
    "refused_code_called_outage": Fault(
        "a code the provider refuses is reported as the provider being unavailable",
        {"oidc": CallsRefusedCodesAnOutage},
    ),
    "provider_outage_unnamed": Fault(
        "a provider that does not answer gets a 503 that names no provider and no Retry-After",
        {"oidc_provider": HidesWhichProviderFailed},
    ),
    "nonce_not_checked": Fault("the ID token's nonce is not compared", {"oidc_provider": IgnoresNonce}),
    "unverified_email_linked": Fault(
        "an unverified email links to the account that has it", {"oidc": TrustsUnverifiedEmails}
    ),
    "identity_found_by_email": Fault(
        "a provider identity is looked up by its email, not its subject", {"oidc": FindsAccountsByEmail}
    ),
    "token_in_redirect_url": Fault(
        "the signed-in browser is sent on with an access token in the URL", {"oidc": PutsTokensInTheUrl}
    ),
    "login_codes_live_a_day": Fault("a login code works for a day", {"oidc": LoginCodesLiveADay}),
    "login_code_reusable": Fault("a login code works more than once", {"oidc": ReusableLoginCodes}),
    "verified_email_not_linked": Fault(
        "a verified email is treated as unverified, so it never joins its account", {"oidc": NeverLinks}
    ),
}
