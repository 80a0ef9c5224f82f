"""Defects in identity: accounts, passwords and access tokens."""

import asyncio
import uuid

import jwt

from reference_platform.identity.accounts import Accounts, User, UserStore, normalize_email
from reference_platform.identity.passwords import PasswordPolicy
from reference_platform.identity.sessions import DEFAULT_CLIENT, TokenSet
from reference_platform.identity.tokens import AccessClaims, AccessTokens
from reference_platform.problems import Problem


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
