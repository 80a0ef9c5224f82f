"""Accounts: signup, login and the tokens a login hands out."""

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from reference_platform.database import Database
from reference_platform.identity.passwords import PasswordHashing, PasswordPolicy
from reference_platform.identity.tokens import AccessTokens
from reference_platform.problems import Problem

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class User:
    id: uuid.UUID
    email: str
    created_at: datetime

    def public(self) -> dict[str, str]:
        return {"id": str(self.id), "email": self.email, "created_at": self.created_at.isoformat()}


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_in: int

    def public(self) -> dict[str, str | int]:
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
        }


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normalize_email(email: str) -> str:
    return email.strip().lower()


class UserStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def create(self, email: str, password_hash: str) -> User | None:
        """Insert a user; None when the email is already registered."""
        try:
            return await self.insert(email.strip(), normalize_email(email), password_hash)
        except asyncpg.UniqueViolationError:
            return None

    async def insert(self, email: str, email_normalized: str, password_hash: str) -> User:
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

    async def find_with_hash(self, email: str) -> tuple[User, str] | None:
        row = await self.database.pool.fetchrow(
            "SELECT id, email, created_at, password_hash FROM users WHERE email_normalized = $1", normalize_email(email)
        )
        if row is None:
            return None
        return User(row["id"], row["email"], row["created_at"]), row["password_hash"]

    async def get(self, user_id: uuid.UUID) -> User | None:
        row = await self.database.pool.fetchrow("SELECT id, email, created_at FROM users WHERE id = $1", user_id)
        return User(**dict(row)) if row else None

    async def delete(self, user_id: uuid.UUID) -> None:
        await self.database.pool.execute("DELETE FROM users WHERE id = $1", user_id)


class RefreshTokenStore:
    def __init__(self, database: Database, ttl_seconds: int) -> None:
        self.database = database
        self.ttl_seconds = ttl_seconds

    async def issue(self, user_id: uuid.UUID) -> str:
        token = secrets.token_urlsafe(32)
        await self.database.pool.execute(
            "INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at) VALUES ($1, $2, $3, $4, $5)",
            uuid.uuid4(),
            user_id,
            uuid.uuid4(),
            secret_digest(token),
            datetime.now(UTC) + timedelta(seconds=self.ttl_seconds),
        )
        return token


class Accounts:
    def __init__(
        self,
        users: UserStore,
        refresh_tokens: RefreshTokenStore,
        hashing: PasswordHashing,
        policy: PasswordPolicy,
        access_tokens: AccessTokens,
    ) -> None:
        self.users = users
        self.refresh_tokens = refresh_tokens
        self.hashing = hashing
        self.policy = policy
        self.access_tokens = access_tokens

    async def sign_up(self, email: str, password: str) -> User:
        if not EMAIL_PATTERN.match(email.strip()):
            raise Problem(422, "invalid-email", "The email address is not valid", f"'{email}' is not an email address")
        reasons = self.policy.reasons_to_reject(password, email)
        if reasons:
            raise Problem(
                422,
                "weak-password",
                "The password is too weak",
                "The password " + " and ".join(reasons) + ".",
                errors=[{"field": "password", "reason": reason} for reason in reasons],
            )
        user = await self.users.create(email, await self.hashing.hash(password))
        if user is None:
            raise self.email_taken()
        return user

    @staticmethod
    def email_taken() -> Problem:
        return Problem(409, "email-taken", "The email address is already registered")

    async def log_in(self, email: str, password: str) -> TokenSet:
        found = await self.users.find_with_hash(email)
        user, password_hash = found if found else (None, None)
        if not await self.hashing.verify(password_hash, password) or user is None:
            raise self.invalid_credentials()
        return await self.tokens_for(user)

    @staticmethod
    def invalid_credentials() -> Problem:
        return Problem(401, "invalid-credentials", "Invalid email or password")

    async def tokens_for(self, user: User) -> TokenSet:
        return TokenSet(
            access_token=self.access_tokens.issue(str(user.id)),
            refresh_token=await self.refresh_tokens.issue(user.id),
            expires_in=self.access_tokens.ttl_seconds,
        )
