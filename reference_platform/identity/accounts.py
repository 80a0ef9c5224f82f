"""Accounts: signup, login, password changes."""

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from reference_platform.database import Database
from reference_platform.identity.passwords import PasswordHashing, PasswordPolicy
from reference_platform.identity.sessions import DEFAULT_CLIENT, Sessions, TokenSet
from reference_platform.problems import Problem

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class User:
    id: uuid.UUID
    email: str
    created_at: datetime

    def public(self) -> dict[str, str]:
        return {"id": str(self.id), "email": self.email, "created_at": self.created_at.isoformat()}


def normalize_email(email: str) -> str:
    return email.strip().lower()


class UserStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def create(self, email: str, password_hash: str | None) -> User | None:
        """Insert a user; None when the email is already registered."""
        try:
            return await self.insert(email.strip(), normalize_email(email), password_hash)
        except asyncpg.UniqueViolationError:
            return None

    async def insert(self, email: str, email_normalized: str, password_hash: str | None) -> User:
        row = await self.database.pool.fetchrow(
            "INSERT INTO users (id, email, email_normalized, password_hash) VALUES ($1, $2, $3, $4)"
            " RETURNING id, email, created_at",
            uuid.uuid4(),
            email,
            email_normalized,
            password_hash,
        )
        assert row is not None, "INSERT ... RETURNING returned no row"
        return User(**dict(row))

    async def find_with_hash(self, email: str) -> tuple[User, str | None] | None:
        row = await self.database.pool.fetchrow(
            "SELECT id, email, created_at, password_hash FROM users WHERE email_normalized = $1", normalize_email(email)
        )
        if row is None:
            return None
        return User(row["id"], row["email"], row["created_at"]), row["password_hash"]

    async def get(self, user_id: uuid.UUID) -> User | None:
        row = await self.database.pool.fetchrow("SELECT id, email, created_at FROM users WHERE id = $1", user_id)
        return User(**dict(row)) if row else None

    async def password_hash_of(self, user_id: uuid.UUID) -> str | None:
        hashed: str | None = await self.database.pool.fetchval("SELECT password_hash FROM users WHERE id = $1", user_id)
        return hashed

    async def set_password_hash(self, user_id: uuid.UUID, password_hash: str) -> None:
        await self.database.pool.execute("UPDATE users SET password_hash = $2 WHERE id = $1", user_id, password_hash)

    async def delete(self, user_id: uuid.UUID) -> None:
        await self.database.pool.execute("DELETE FROM users WHERE id = $1", user_id)


class Accounts:
    def __init__(self, users: UserStore, sessions: Sessions, hashing: PasswordHashing, policy: PasswordPolicy) -> None:
        self.users = users
        self.sessions = sessions
        self.hashing = hashing
        self.policy = policy

    def check_strength(self, password: str, email: str) -> None:
        reasons = self.policy.reasons_to_reject(password, email)
        if reasons:
            raise Problem(
                422,
                "weak-password",
                "The password is too weak",
                "The password " + " and ".join(reasons) + ".",
                errors=[{"field": "password", "reason": reason} for reason in reasons],
            )

    async def sign_up(self, email: str, password: str) -> User:
        if not EMAIL_PATTERN.match(email.strip()):
            raise Problem(422, "invalid-email", "The email address is not valid", f"'{email}' is not an email address")
        self.check_strength(password, email)
        user = await self.users.create(email, await self.hashing.hash(password))
        if user is None:
            raise self.email_taken()
        return user

    @staticmethod
    def email_taken() -> Problem:
        return Problem(409, "email-taken", "The email address is already registered")

    async def log_in(self, email: str, password: str, client_id: str = DEFAULT_CLIENT) -> TokenSet:
        self.sessions.policy(client_id)
        found = await self.users.find_with_hash(email)
        user, password_hash = found if found else (None, None)
        if not await self.hashing.verify(password_hash, password) or user is None:
            raise self.invalid_credentials()
        return await self.sessions.start(user.id, client_id)

    async def change_password(self, user_id: uuid.UUID, session_id: uuid.UUID, current: str, new: str) -> None:
        """Check the current password, set the new one, and sign out every other session."""
        user = await self.users.get(user_id)
        assert user is not None
        if not await self.hashing.verify(await self.users.password_hash_of(user_id), current):
            raise Problem(403, "wrong-password", "The current password is wrong")
        self.check_strength(new, user.email)
        await self.users.set_password_hash(user_id, await self.hashing.hash(new))
        await self.sessions.revoke_others(user_id, session_id, "password changed")

    @staticmethod
    def invalid_credentials() -> Problem:
        return Problem(401, "invalid-credentials", "Invalid email or password")
