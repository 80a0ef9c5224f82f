"""Account erasure (GDPR Article 17): after re-authentication, the customer leaves every store.

Re-authentication: an account with a password must send it; an account that signs in only through a
provider must have logged in within the last few minutes. Then the sessions end first (so every
instance closes the customer's chat sockets and refuses their tokens at once), the account row goes
with everything that hangs off it (threads, messages, sessions, refresh tokens, tickets, identities,
login codes, export rows), the export files are deleted, and the rate-limit state is forgotten.
"""

import uuid
from pathlib import Path

from reference_platform.data.exports import Exports
from reference_platform.database import Database
from reference_platform.identity.accounts import UserStore
from reference_platform.identity.bearer import Caller
from reference_platform.identity.passwords import PasswordHashing
from reference_platform.identity.sessions import Sessions
from reference_platform.limits.rate_limits import RateLimiter
from reference_platform.problems import Problem


def reauthentication_required(detail: str) -> Problem:
    return Problem(403, "reauthentication-required", "Erasing the account needs you to prove it is you", detail)


class Erasure:
    def __init__(
        self,
        database: Database,
        users: UserStore,
        sessions: Sessions,
        hashing: PasswordHashing,
        exports: Exports,
        limiter: RateLimiter,
        recent_login_seconds: int,
    ) -> None:
        self.database = database
        self.users = users
        self.sessions = sessions
        self.hashing = hashing
        self.exports = exports
        self.limiter = limiter
        self.recent_login_seconds = recent_login_seconds

    async def reauthenticate(self, caller: Caller, password: str | None) -> None:
        password_hash = await self.users.password_hash_of(caller.user_id)
        if password_hash is not None:
            if not password or not await self.hashing.verify(password_hash, password):
                raise reauthentication_required("Send your current password as `password`.")
            return
        recent = await self.database.pool.fetchval(
            "SELECT created_at > now() - make_interval(secs => $2) FROM sessions WHERE id = $1",
            caller.session_id,
            self.recent_login_seconds,
        )
        if not recent:
            raise reauthentication_required(
                f"Sign in again: the login must be less than {self.recent_login_seconds} s old."
            )

    async def erase(self, caller: Caller, password: str | None) -> None:
        await self.reauthenticate(caller, password)
        user = await self.users.get(caller.user_id)
        await self.end_sessions(caller.user_id)
        files = await self.exports.forget_all(caller.user_id)
        await self.users.delete(caller.user_id)
        self.delete_files(files)
        await self.forget_limits(caller.user_id, user.email if user else None)

    async def end_sessions(self, user_id: uuid.UUID) -> None:
        """First, so that her chats close and her tokens die at once (every instance hears of it)."""
        await self.sessions.revoke_others(user_id, None, "account erased")

    @staticmethod
    def delete_files(files: list[Path]) -> None:
        for path in files:
            Path(path).unlink(missing_ok=True)

    async def forget_limits(self, user_id: uuid.UUID, email: str | None) -> None:
        """Her limit state, by account, and her login throttling, which is kept by email."""
        await self.limiter.forget(str(user_id))
        if email is not None:
            await self.limiter.forget_logins_of(email)
