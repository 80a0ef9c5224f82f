"""Defects in accounts: sign-up, login, the password policy and a new password."""

import asyncio
import uuid

import asyncpg

from reference_platform.faults.fault import Fault
from reference_platform.identity.accounts import Accounts, User, UserStore, normalize_email
from reference_platform.identity.passwords import PasswordPolicy
from reference_platform.identity.sessions import DEFAULT_CLIENT, TokenSet
from reference_platform.problems import Problem


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


class KeepsOtherSessions(Accounts):
    async def change_password(self, user_id: uuid.UUID, session_id: uuid.UUID, current: str, new: str) -> None:
        await self.users.set_password_hash(user_id, await self.hashing.hash(new))


class AcceptsShortPasswords(PasswordPolicy):
    def reasons_to_reject(self, password: str, email: str) -> list[str]:
        return [reason for reason in super().reasons_to_reject(password, email) if "characters long" not in reason]


class PasswordChangeEndsEverySession(Accounts):
    async def change_password(self, user_id: uuid.UUID, session_id: uuid.UUID, current: str, new: str) -> None:
        await super().change_password(user_id, session_id, current, new)
        await self.sessions.revoke(session_id, "password changed")


class PasswordChangeBurnsOwnRefreshToken(Accounts):
    """Changing the password uses up the refresh tokens of the session that changed it, which lives on."""

    async def change_password(self, user_id: uuid.UUID, session_id: uuid.UUID, current: str, new: str) -> None:
        await super().change_password(user_id, session_id, current, new)
        await self.sessions.database.pool.execute(
            "UPDATE refresh_tokens SET used_at = now() WHERE family_id = $1 AND used_at IS NULL", session_id
        )


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


FAULTS: dict[str, Fault] = {
    "password_change_ends_own_session": Fault(
        "changing the password also ends the session that changed it",
        {"accounts": PasswordChangeEndsEverySession},
    ),
    "password_change_burns_own_refresh_token": Fault(
        "changing the password uses up the refresh token of the session that changed it",
        {"accounts": PasswordChangeBurnsOwnRefreshToken},
    ),
    "email_registered_as_typed": Fault(
        "an email is kept as typed: other letter case registers a second account",
        {"users": RegistersEmailsAsTyped},
    ),
    "login_by_exact_email": Fault("login looks the email up exactly as typed", {"users": LogsInByExactEmail}),
    "password_change_unchecked": Fault(
        "a password change does not check the current password", {"accounts": ChangesWithoutChecking}
    ),
    "password_changed_then_refused": Fault(
        "a password change with a wrong current password is refused after the new one was set",
        {"accounts": ChangesBeforeChecking},
    ),
    "short_passwords_accepted": Fault(
        "passwords under the minimum length are accepted", {"password_policy": AcceptsShortPasswords}
    ),
    "duplicate_email_accepted": Fault(
        "a second account with a taken email is created", {"users": AllowsDuplicateEmails}
    ),
    "login_reveals_unknown_email": Fault(
        "a login with an unknown email says so",
        {"accounts": RevealsUnknownEmails},
    ),
    "login_refusal_header_differs": Fault(
        "a refused login for a known account carries Retry-After", {"accounts": HintsAtKnownAccounts}
    ),
    "login_fast_for_unknown_email": Fault(
        "a login with an unknown email is refused without hashing", {"accounts": AnswersUnknownEmailsAtOnce}
    ),
    "password_change_keeps_sessions": Fault(
        "changing the password leaves every other session signed in", {"accounts": KeepsOtherSessions}
    ),
    "common_passwords_accepted": Fault(
        "a common password is accepted at signup", {"password_policy": AcceptsCommonPasswords}
    ),
}
