"""Defects in access tokens and in how a request's bearer token is read."""

import uuid
from typing import Any, ClassVar

import jwt
from jwt.types import Options

from reference_platform.faults.fault import Fault
from reference_platform.identity.bearer import BearerAuth, Caller
from reference_platform.identity.secrets import secret_digest
from reference_platform.identity.tokens import AccessClaims, AccessTokens, InvalidToken
from reference_platform.problems import Problem, unauthorized


class AcceptsAlgNone(AccessTokens):
    def verify(self, token: str) -> AccessClaims:
        if token.count(".") == 2 and jwt.get_unverified_header(token).get("alg") == "none":
            claims = jwt.decode(token, options={"verify_signature": False})
            return AccessClaims(claims["sub"], claims["sid"], claims["jti"], claims["exp"])
        return super().verify(token)


class TakesAnyAudience(AccessTokens):
    checks: ClassVar[Options] = {**AccessTokens.checks, "verify_aud": False}


class TakesAnyIssuer(AccessTokens):
    checks: ClassVar[Options] = {**AccessTokens.checks, "verify_iss": False}


class TakesAnyTokenType(AccessTokens):
    def of_our_type(self, header: dict[str, Any]) -> bool:
        return True


class AcceptsExpiredTokens(AccessTokens):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.leeway_seconds = 86400


class TokensShareAnId(AccessTokens):
    """Every access token carries the same jti."""

    def issue(self, subject: str, session_id: str, client_id: str, ttl_seconds: int) -> str:
        token = super().issue(subject, session_id, client_id, ttl_seconds)
        claims = {**jwt.decode(token, options={"verify_signature": False}), "jti": "0" * 32}
        headers = {"kid": self.kid, "typ": self.token_type}
        return jwt.encode(claims, self._private_key, "RS256", headers=headers)


class DayLongAccessTokens(AccessTokens):
    def issue(self, subject: str, session_id: str, client_id: str, ttl_seconds: int) -> str:
        return super().issue(subject, session_id, client_id, 86400)


class TrustsAnySignature(AccessTokens):
    def verify(self, token: str) -> AccessClaims:
        try:
            claims = jwt.decode(token, options={"verify_signature": False, "require": ["sub", "sid", "jti", "exp"]})
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from error
        return AccessClaims(claims["sub"], claims["sid"], claims["jti"], claims["exp"])


class TrustsTokensAlone(BearerAuth):
    """Checks the token and its account, but never whether its session ended."""

    async def caller(self, authorization: str) -> Caller:
        try:
            claims = self.access_tokens.verify(authorization.partition(" ")[2])
        except InvalidToken as error:
            raise unauthorized(f"The access token is invalid: {error}") from error
        caller = Caller(uuid.UUID(claims.subject), uuid.UUID(claims.session_id))
        if await self.users.get(caller.user_id) is None:
            raise unauthorized("The account no longer exists.")
        return caller


class TakesRefreshTokensAsBearer(BearerAuth):
    async def caller(self, authorization: str) -> Caller:
        token = authorization.partition(" ")[2]
        row = await self.sessions.database.pool.fetchrow(
            "SELECT user_id, family_id FROM refresh_tokens WHERE token_hash = $1 AND used_at IS NULL",
            secret_digest(token),
        )
        if row is not None:
            return Caller(row["user_id"], row["family_id"])
        return await super().caller(authorization)


class WrapsTheOutage(BearerAuth):
    """A lost database, met while checking a token, is answered as an internal error: a 500, not a 503."""

    async def caller(self, authorization: str) -> Caller:
        try:
            return await super().caller(authorization)
        except Problem:
            raise
        except Exception as error:
            raise Problem(500, "internal-error", "Internal error", f"cannot check the token: {error!r}") from error


class TypesTokensAsPlainJwt(AccessTokens):
    """Access tokens say typ JWT, not at+jwt: nothing tells them from an ID token (RFC 9068 §2.1)."""

    def issue(self, subject: str, session_id: str, client_id: str, ttl_seconds: int) -> str:
        claims = jwt.decode(
            super().issue(subject, session_id, client_id, ttl_seconds), options={"verify_signature": False}
        )
        return jwt.encode(claims, self._private_key, "RS256", headers={"kid": self.kid, "typ": "JWT"})


class MintsForEveryAudience(AccessTokens):
    """Access tokens name no audience of ours: any API that trusts the issuer takes them."""

    def issue(self, subject: str, session_id: str, client_id: str, ttl_seconds: int) -> str:
        claims = jwt.decode(
            super().issue(subject, session_id, client_id, ttl_seconds), options={"verify_signature": False}
        )
        claims["aud"] = "any-api"
        return jwt.encode(claims, self._private_key, "RS256", headers={"kid": self.kid, "typ": "at+jwt"})

    def verify(self, token: str) -> AccessClaims:
        claims = jwt.decode(token, self._private_key.public_key(), algorithms=["RS256"], audience="any-api")
        return AccessClaims(claims["sub"], claims["sid"], claims["jti"], claims["exp"])


class ChallengesNothing(BearerAuth):
    """A refused token gets a bare 401, without WWW-Authenticate."""

    async def caller(self, authorization: str) -> Caller:
        try:
            return await super().caller(authorization)
        except Problem as refusal:
            refusal.headers.pop("WWW-Authenticate", None)
            raise


FAULTS: dict[str, Fault] = {
    "alg_none_accepted": Fault("an access token with alg none is accepted", {"access_tokens": AcceptsAlgNone}),
    "signature_not_checked": Fault(
        "access tokens are read without checking their signature", {"access_tokens": TrustsAnySignature}
    ),
    "outage_is_a_bare_500": Fault(
        "a lost database met while checking a token answers a bare 500", {"bearer": WrapsTheOutage}
    ),
    "access_token_typed_jwt": Fault("access tokens say typ JWT, not at+jwt", {"access_tokens": TypesTokensAsPlainJwt}),
    "access_token_for_any_audience": Fault(
        "access tokens are minted for another audience", {"access_tokens": MintsForEveryAudience}
    ),
    "refusal_without_challenge": Fault(
        "a refused token gets a 401 without WWW-Authenticate", {"bearer": ChallengesNothing}
    ),
    "access_token_audience_unchecked": Fault(
        "an access token meant for another audience is accepted", {"access_tokens": TakesAnyAudience}
    ),
    "access_token_issuer_unchecked": Fault(
        "an access token naming another issuer is accepted", {"access_tokens": TakesAnyIssuer}
    ),
    "access_token_type_unchecked": Fault(
        "a token of another type than at+jwt is accepted as an access token",
        {"access_tokens": TakesAnyTokenType},
    ),
    "access_tokens_share_an_id": Fault("every access token carries the same jti", {"access_tokens": TokensShareAnId}),
    "tokens_trusted_alone": Fault(
        "a validly signed access token is trusted without its session or account",
        {"bearer": TrustsTokensAlone},
    ),
    "refresh_token_as_bearer": Fault(
        "an unused refresh token is taken as a bearer access token", {"bearer": TakesRefreshTokensAsBearer}
    ),
    "expired_access_token_accepted": Fault(
        "access tokens are accepted for a day after they expire", {"access_tokens": AcceptsExpiredTokens}
    ),
    "day_long_access_tokens": Fault("access tokens live a day", {"access_tokens": DayLongAccessTokens}),
}
