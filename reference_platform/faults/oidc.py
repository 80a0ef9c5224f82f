"""Defects in identity: accounts, passwords, tokens, sessions and sign-in through a provider."""

import asyncio
import contextvars
import uuid
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import asyncpg
import jwt
from asgi_correlation_id import CorrelationIdMiddleware
from jwt.types import Options
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reference_platform.chat.socket import ChatSessions
from reference_platform.identity.accounts import Accounts, User, UserStore, normalize_email
from reference_platform.identity.bearer import BearerAuth, Caller
from reference_platform.identity.oidc import Attempt, OidcLogins, OidcProvider, provider_unavailable
from reference_platform.identity.passwords import PasswordPolicy
from reference_platform.identity.secrets import secret_digest
from reference_platform.identity.sessions import DEFAULT_CLIENT, Sessions, TokenSet, invalid_grant
from reference_platform.identity.tickets import TicketStore
from reference_platform.identity.tokens import AccessClaims, AccessTokens, InvalidToken
from reference_platform.parts import REQUEST_ID_HEADER
from reference_platform.problems import Problem, http_error_handler, unauthorized


class AcceptsAlgNone(AccessTokens):
    def verify(self, token: str) -> AccessClaims:
        if token.count(".") == 2 and jwt.get_unverified_header(token).get("alg") == "none":
            claims = jwt.decode(token, options={"verify_signature": False})
            return AccessClaims(claims["sub"], claims["sid"], claims["jti"], claims["exp"])
        return super().verify(token)


class AllowsDuplicateEmails(UserStore):
    async def create(self, email: str, password_hash: str | None) -> User | None:
        user = await super().create(email, password_hash)
        if user is not None:
            return user
        return await self.insert(email, f"{normalize_email(email)}#{uuid.uuid4().hex[:6]}", password_hash)


class RevealsUnknownEmails(Accounts):
    async def log_in(self, email: str, password: str, client_id: str = DEFAULT_CLIENT) -> TokenSet:
        if await self.users.find_with_hash(email) is None:
            raise Problem(404, "unknown-email", "No account uses this email address")
        return await super().log_in(email, password, client_id)


class HintsAtKnownAccounts(Accounts):
    async def log_in(self, email: str, password: str, client_id: str = DEFAULT_CLIENT) -> TokenSet:
        try:
            return await super().log_in(email, password, client_id)
        except Problem as refusal:
            if await self.users.find_with_hash(email) is not None:
                refusal.headers["Retry-After"] = "1"
            raise


class AnswersUnknownEmailsAtOnce(Accounts):
    async def log_in(self, email: str, password: str, client_id: str = DEFAULT_CLIENT) -> TokenSet:
        if await self.users.find_with_hash(email) is None:
            await asyncio.sleep(0)
            raise self.invalid_credentials()
        return await super().log_in(email, password, client_id)


class AcceptsCommonPasswords(PasswordPolicy):
    def reasons_to_reject(self, password: str, email: str) -> list[str]:
        return [reason for reason in super().reasons_to_reject(password, email) if reason != "is too common"]


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


class TakesAnyAudience(AccessTokens):
    checks: ClassVar[Options] = {**AccessTokens.checks, "verify_aud": False}


class TakesAnyIssuer(AccessTokens):
    checks: ClassVar[Options] = {**AccessTokens.checks, "verify_iss": False}


class TakesAnyTokenType(AccessTokens):
    def of_our_type(self, header: dict[str, Any]) -> bool:
        return True


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


class KeepsRefreshTokens(Sessions):
    async def refresh(self, refresh_token: str) -> TokenSet:
        row = await self.database.pool.fetchrow(
            "SELECT r.user_id, r.family_id, s.client_id FROM refresh_tokens r JOIN sessions s ON s.id = r.family_id"
            " WHERE r.token_hash = $1 AND s.revoked_at IS NULL",
            secret_digest(refresh_token),
        )
        if row is None:
            raise invalid_grant("The refresh token is unknown.")
        policy = self.policy(row["client_id"])
        access = self.access_tokens.issue(
            str(row["user_id"]), str(row["family_id"]), row["client_id"], policy.access_seconds
        )
        return TokenSet(access, refresh_token, policy.access_seconds, policy.refresh_idle_seconds)


class RefusesWithoutOAuthError(Sessions):
    """Refused refreshes are problems without OAuth's "error" member."""

    async def refresh(self, refresh_token: str) -> TokenSet:
        try:
            return await super().refresh(refresh_token)
        except Problem as refusal:
            raise Problem(refusal.status, refusal.slug, refusal.title, refusal.detail) from refusal


class FailsOnUnknownRefreshTokens(Sessions):
    async def refresh(self, refresh_token: str) -> TokenSet:
        known = await self.database.pool.fetchval(
            "SELECT true FROM refresh_tokens WHERE token_hash = $1", secret_digest(refresh_token)
        )
        if not known:
            raise LookupError("no such refresh token")  # an unhandled error: a 500
        return await super().refresh(refresh_token)


class ForgivesReuse(Sessions):
    async def reused(self, session_id: uuid.UUID) -> None:
        return None


class LogoutKeepsTheSession(Sessions):
    async def log_out(self, session_id: uuid.UUID) -> None:
        return None


class EndsSessionsQuietly(Sessions):
    async def announce_end(self, connection: Any, session_id: uuid.UUID) -> None:
        return None


class NeverIdles(Sessions):
    @staticmethod
    def unusable(revoked_at: datetime | None, session_ends: datetime, refresh_expires: datetime) -> str | None:
        return Sessions.unusable(revoked_at, session_ends, session_ends)


class RefreshLifetimeFixedAtLogin(Sessions):
    """Every refresh token of a session expires when the login's first one does: using it extends nothing."""

    async def _pair(self, user_id: uuid.UUID, session_id: uuid.UUID, client_id: str, ends: datetime) -> TokenSet:
        policy = self.policy(client_id)
        began = ends - timedelta(seconds=policy.session_seconds)
        first_expires = began + timedelta(seconds=policy.refresh_idle_seconds)
        pair = await super()._pair(user_id, session_id, client_id, ends)
        await self.database.pool.execute(
            "UPDATE refresh_tokens SET expires_at = $2 WHERE token_hash = $1",
            secret_digest(pair.refresh_token),
            first_expires,
        )
        left = max(0, int((first_expires - datetime.now(UTC)).total_seconds()))
        return TokenSet(pair.access_token, pair.refresh_token, pair.expires_in, left)


class SessionsWithoutEnd(Sessions):
    """A session's absolute lifetime is never reached: it lasts as long as it is used."""

    async def start(self, user_id: uuid.UUID, client_id: str) -> TokenSet:
        session_id = uuid.uuid4()
        ends = datetime.now(UTC) + timedelta(days=3650)
        await self.database.pool.execute(
            "INSERT INTO sessions (id, user_id, client_id, expires_at) VALUES ($1, $2, $3, $4)",
            session_id,
            user_id,
            client_id,
            ends,
        )
        return await self._pair(user_id, session_id, client_id, ends)


class AcceptsExpiredTokens(AccessTokens):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.leeway_seconds = 86400


class KeepsOtherSessions(Accounts):
    async def change_password(self, user_id: uuid.UUID, session_id: uuid.UUID, current: str, new: str) -> None:
        await self.users.set_password_hash(user_id, await self.hashing.hash(new))


class CachesTokens(Sessions):
    def response_headers(self) -> dict[str, str]:
        return {"Cache-Control": "private, max-age=300"}


class TokensShareAnId(AccessTokens):
    """Every access token carries the same jti."""

    def issue(self, subject: str, session_id: str, client_id: str, ttl_seconds: int) -> str:
        token = super().issue(subject, session_id, client_id, ttl_seconds)
        claims = {**jwt.decode(token, options={"verify_signature": False}), "jti": "0" * 32}
        headers = {"kid": self.kid, "typ": self.token_type}
        return jwt.encode(claims, self._private_key, "RS256", headers=headers)


class DayLongTickets(TicketStore):
    def __init__(self, database: Any, ttl_seconds: int) -> None:
        super().__init__(database, 86400)


class TicketsKeptAsIssued(TicketStore):
    async def issue(self, caller: Caller) -> str:
        ticket = await super().issue(caller)
        await self.database.pool.execute(
            "UPDATE ws_tickets SET ticket_hash = $1 WHERE ticket_hash = $2", ticket, secret_digest(ticket)
        )
        return ticket

    async def redeem(self, ticket: str) -> Caller | None:
        await self.database.pool.execute(
            "UPDATE ws_tickets SET ticket_hash = $2 WHERE ticket_hash = $1", ticket, secret_digest(ticket)
        )
        return await super().redeem(ticket)


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


class DayLongAccessTokens(AccessTokens):
    def issue(self, subject: str, session_id: str, client_id: str, ttl_seconds: int) -> str:
        return super().issue(subject, session_id, client_id, 86400)


class NeverLinks(OidcLogins):
    async def account_for(self, provider: str, claims: dict[str, Any]) -> uuid.UUID:
        return await super().account_for(provider, {**claims, "email_verified": False})


class AnnouncesOnlyHere(Sessions):
    """Ended sessions are announced on an in-process bus: only this instance's sockets hear of them."""

    async def announce_end(self, connection: Any, session_id: uuid.UUID) -> None:
        for end_session in LOCAL_LISTENERS:
            asyncio.get_running_loop().create_task(end_session(session_id))


class HearsOnlyHere(ChatSessions):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        LOCAL_LISTENERS.append(self.end_session)


LOCAL_LISTENERS: list[Callable[[uuid.UUID], Coroutine[Any, Any, None]]] = []


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


class AcceptsShortPasswords(PasswordPolicy):
    def reasons_to_reject(self, password: str, email: str) -> list[str]:
        return [reason for reason in super().reasons_to_reject(password, email) if "characters long" not in reason]


class OpensUnknownTicketsAsGuest(TicketStore):
    async def redeem(self, ticket: str) -> Caller | None:
        return await super().redeem(ticket) or Caller(uuid.UUID(int=0), uuid.UUID(int=0))


class TicketsOutliveTheirLifetime(TicketStore):
    """A ticket works for a day, whatever its expires_in says (and housekeeping leaves it, unexpired)."""

    async def issue(self, caller: Caller) -> str:
        ticket = await super().issue(caller)
        await self.database.pool.execute(
            "UPDATE ws_tickets SET expires_at = now() + interval '1 day' WHERE ticket_hash = $1", secret_digest(ticket)
        )
        return ticket


class ReusableTickets(TicketStore):
    async def redeem(self, ticket: str) -> Caller | None:
        row = await self.database.pool.fetchrow(
            "SELECT user_id, session_id FROM ws_tickets WHERE ticket_hash = $1 AND expires_at > now()",
            secret_digest(ticket),
        )
        return Caller(row["user_id"], row["session_id"]) if row else None


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


class HonoursUsedRefreshTokens(Sessions):
    """A used refresh token is made usable again before it is checked: no rotation, no reuse detection."""

    async def refresh(self, refresh_token: str) -> TokenSet:
        await self.database.pool.execute(
            "UPDATE refresh_tokens SET used_at = NULL WHERE token_hash = $1", secret_digest(refresh_token)
        )
        return await super().refresh(refresh_token)


class RefreshesIntoExpiredTokens(Sessions):
    """A refresh hands out an access token that carries the expiry of the one it replaces."""

    async def refresh(self, refresh_token: str) -> TokenSet:
        pair = await super().refresh(refresh_token)
        claims = jwt.decode(pair.access_token, options={"verify_signature": False})
        stale = self.access_tokens.issue(claims["sub"], claims["sid"], claims["client_id"], ttl_seconds=-60)
        return TokenSet(stale, pair.refresh_token, pair.expires_in, pair.refresh_expires_in)


class LogoutOnlyClosesChats(Sessions):
    """Logging out announces the end of the session (so its chats close) but never revokes it."""

    async def log_out(self, session_id: uuid.UUID) -> None:
        async with self.database.pool.acquire() as connection:
            await self.announce_end(connection, session_id)


class PasswordChangeEndsEverySession(Accounts):
    async def change_password(self, user_id: uuid.UUID, session_id: uuid.UUID, current: str, new: str) -> None:
        await super().change_password(user_id, session_id, current, new)
        await self.sessions.revoke(session_id, "password changed")


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


class PasswordChangeBurnsOwnRefreshToken(Accounts):
    """Changing the password uses up the refresh tokens of the session that changed it, which lives on."""

    async def change_password(self, user_id: uuid.UUID, session_id: uuid.UUID, current: str, new: str) -> None:
        await super().change_password(user_id, session_id, current, new)
        await self.sessions.database.pool.execute(
            "UPDATE refresh_tokens SET used_at = now() WHERE family_id = $1 AND used_at IS NULL", session_id
        )


class WrapsTheOutage(BearerAuth):
    """A lost database, met while checking a token, is answered as an internal error: a 500, not a 503."""

    async def caller(self, authorization: str) -> Caller:
        try:
            return await super().caller(authorization)
        except Problem:
            raise
        except Exception as error:
            raise Problem(500, "internal-error", "Internal error", f"cannot check the token: {error!r}") from error


class RegistersEmailsAsTyped(UserStore):
    """An email is kept as typed, so the same address in other letter case registers a second account."""

    async def create(self, email: str, password_hash: str | None) -> User | None:
        try:
            return await self.insert(email.strip(), email.strip(), password_hash)
        except asyncpg.UniqueViolationError:
            return None


class LogsInByExactEmail(UserStore):
    """Login looks the email up exactly as typed."""

    async def find_with_hash(self, email: str) -> tuple[User, str | None] | None:
        row = await self.database.pool.fetchrow(
            "SELECT id, email, created_at, password_hash FROM users WHERE email = $1", email.strip()
        )
        return (User(row["id"], row["email"], row["created_at"]), row["password_hash"]) if row else None


QUIET: contextvars.ContextVar[bool] = contextvars.ContextVar("quiet_revocation", default=False)


class QuietRevocations(Sessions):
    """Revokes as the platform does, but tells no instance while QUIET is set: the session's chats stay open."""

    async def announce_end(self, connection: Any, session_id: uuid.UUID) -> None:
        if not QUIET.get():
            await super().announce_end(connection, session_id)


class RevokesReusedSessionsQuietly(QuietRevocations):
    async def reused(self, session_id: uuid.UUID) -> None:
        QUIET.set(True)  # this request's task only
        await super().reused(session_id)


class RevokesOtherSessionsQuietly(QuietRevocations):
    async def revoke_others(self, user_id: uuid.UUID, keep: uuid.UUID | None, reason: str) -> None:
        QUIET.set(True)  # this request's task only
        await super().revoke_others(user_id, keep, reason)


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


class ChangesWithoutChecking(Accounts):
    """A password change does not check the current password."""

    async def change_password(self, user_id: uuid.UUID, session_id: uuid.UUID, current: str, new: str) -> None:
        await self.users.set_password_hash(user_id, await self.hashing.hash(new))
        await self.sessions.revoke_others(user_id, session_id, "password changed")


class ChangesBeforeChecking(Accounts):
    """A password change sets the new password, then refuses the wrong current one."""

    async def change_password(self, user_id: uuid.UUID, session_id: uuid.UUID, current: str, new: str) -> None:
        right = await self.hashing.verify(await self.users.password_hash_of(user_id), current)
        await self.users.set_password_hash(user_id, await self.hashing.hash(new))
        if not right:
            raise Problem(403, "wrong-password", "The current password is wrong")


async def plain_framework_errors(request: Request, exc: Exception) -> Response:
    """The framework's 404, 405 and the like as it writes them: plain text, not problems."""
    assert isinstance(exc, HTTPException)
    return PlainTextResponse(str(exc.detail), status_code=exc.status_code, headers=dict(exc.headers or {}))


async def problems_without_allow(request: Request, exc: Exception) -> Response:
    """The framework's errors as problems, but without their headers: a 405 says no Allow."""
    assert isinstance(exc, HTTPException)
    return await http_error_handler(request, HTTPException(exc.status_code, exc.detail))


def request_ids_of_its_own(app: ASGIApp) -> ASGIApp:
    """Every request gets a new id: the client's own X-Request-Id is never taken up."""
    return CorrelationIdMiddleware(app, header_name=REQUEST_ID_HEADER, validator=lambda _: False)


def request_ids_not_logged(app: ASGIApp) -> ASGIApp:
    """The answer carries the request's id, but the log lines written while serving it do not."""
    return echoed_request_ids(app, make_new=True)


def request_ids_only_when_sent(app: ASGIApp) -> ASGIApp:
    """A request that comes without an id gets an answer without one."""
    return echoed_request_ids(app, make_new=False)


def echoed_request_ids(app: ASGIApp, make_new: bool) -> ASGIApp:
    """Puts the client's X-Request-Id (or, with `make_new`, a new one) on the answer, and nowhere else."""

    async def with_request_id(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        asked = Headers(scope=scope).get(REQUEST_ID_HEADER) or (str(uuid.uuid4()) if make_new else None)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start" and asked:
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, asked)
            await send(message)

        await app(scope, receive, send_with_id)

    return with_request_id
