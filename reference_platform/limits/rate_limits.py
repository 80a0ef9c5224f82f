"""Rate limits per account (or client address) and route class, shared by every instance through PostgreSQL.

The limiter is GCRA (the generic cell rate algorithm) in one atomic SQL statement: each key keeps one
timestamp, its theoretical arrival time (TAT). A request at `now` is allowed when
max(TAT, now) + T - now <= window, where T = window / quota; it then moves TAT to max(TAT, now) + T.
No well-kept asyncio library keeps GCRA state in PostgreSQL, and one UPSERT is all it takes.

Answers follow draft-ietf-httpapi-ratelimit-headers-11: `RateLimit-Policy: "writes";q=10;w=10` and
`RateLimit: "writes";r=3;t=4`, plus `Retry-After` on a 429.
"""

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from reference_platform.database import Database
from reference_platform.identity.accounts import normalize_email
from reference_platform.problems import Problem

FREE, PRO = "free", "pro"
CHAT, WRITES, EXPORTS, LOGIN_ACCOUNT, LOGIN_ADDRESS = "chat", "writes", "exports", "login", "login-address"


@dataclass(frozen=True)
class Limit:
    quota: int
    window_seconds: int

    @property
    def interval(self) -> timedelta:
        return timedelta(seconds=self.window_seconds / self.quota)


@dataclass(frozen=True)
class Verdict:
    route_class: str
    limit: Limit
    allowed: bool
    remaining: int
    reset_seconds: int
    retry_after: int

    def headers(self) -> dict[str, str]:
        headers = {
            "RateLimit-Policy": f'"{self.route_class}";q={self.limit.quota};w={self.limit.window_seconds}',
            "RateLimit": f'"{self.route_class}";r={self.remaining};t={self.reset_seconds}',
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers

    def refusal(self) -> Problem:
        return Problem(
            429,
            "rate-limited",
            "Too many requests",
            f"The {self.route_class} limit of {self.limit.quota} per {self.limit.window_seconds} s is used up; "
            f"try again in {self.retry_after} s.",
            headers=self.headers(),
            route_class=self.route_class,
            retry_after=self.retry_after,
        )


# Limits by plan and route class. Login limits do not depend on a plan (nobody is known yet).
PRODUCTION: dict[str, dict[str, Limit]] = {
    FREE: {CHAT: Limit(20, 60), WRITES: Limit(60, 60), EXPORTS: Limit(3, 3600)},
    PRO: {CHAT: Limit(200, 60), WRITES: Limit(600, 60), EXPORTS: Limit(30, 3600)},
    "*": {LOGIN_ACCOUNT: Limit(10, 300), LOGIN_ADDRESS: Limit(100, 60)},
}
# The embedded stack's limits: short windows, so the journeys wait seconds, not minutes. Its customers come
# from 127.0.0.1, which it exempts from the address limit (--login-limit-exempt). The limits whose journeys
# must use one up before it gives a request back refill slowly enough for a busy machine: the free chat limit
# one question every 5 s (its flood takes about one), the account's logins one every 30 s (its 12 logins take
# 1-6 s), the address's one every 30 s (its 21 logins take 2-10 s).
SHORT: dict[str, dict[str, Limit]] = {
    FREE: {CHAT: Limit(3, 15), WRITES: Limit(10, 10), EXPORTS: Limit(3, 60)},
    PRO: {CHAT: Limit(30, 6), WRITES: Limit(100, 10), EXPORTS: Limit(30, 60)},
    "*": {LOGIN_ACCOUNT: Limit(5, 150), LOGIN_ADDRESS: Limit(20, 600)},
}
PRESETS = {"production": PRODUCTION, "short": SHORT}


class RateLimiter:
    def __init__(self, database: Database, limits: dict[str, dict[str, Limit]]) -> None:
        self.database = database
        self.limits = limits

    def limit(self, plan: str, route_class: str) -> Limit:
        return self.limits.get(plan, self.limits[FREE]).get(route_class) or self.limits["*"][route_class]

    def key(self, subject: str, route_class: str) -> str:
        return f"{route_class}:{subject}"

    async def check(self, subject: str, plan: str, route_class: str) -> Verdict:
        """Count one request of `subject` (an account id or an address) against its limit."""
        limit = self.limit(plan, route_class)
        key = self.key(subject, route_class)
        window = timedelta(seconds=limit.window_seconds)
        async with self.database.pool.acquire() as connection:
            now: datetime = await connection.fetchval("SELECT clock_timestamp()")
            tat: datetime | None = await connection.fetchval(
                "INSERT INTO rate_limits (key, tat) VALUES ($1, $2::timestamptz + $3::interval)"
                " ON CONFLICT (key) DO UPDATE SET tat = greatest(rate_limits.tat, $2::timestamptz) + $3::interval"
                " WHERE greatest(rate_limits.tat, $2::timestamptz) + $3::interval - $2::timestamptz <= $4::interval"
                " RETURNING tat",
                key,
                now,
                limit.interval,
                window,
            )
            allowed = tat is not None
            if tat is None:
                tat = await connection.fetchval("SELECT tat FROM rate_limits WHERE key = $1", key)
        assert tat is not None
        ahead = max(tat, now) - now  # how far the key's TAT runs ahead of now
        remaining = max(0, math.floor((window - ahead) / limit.interval))
        retry_after = max(1, math.ceil((ahead + limit.interval - window).total_seconds())) if not allowed else 0
        return Verdict(route_class, limit, allowed, remaining, math.ceil(ahead.total_seconds()), retry_after)

    async def enforce(self, subject: str, plan: str, route_class: str) -> Verdict:
        verdict = await self.check(subject, plan, route_class)
        if not verdict.allowed:
            raise verdict.refusal()
        return verdict

    async def forget(self, subject: str) -> None:
        """An erased account leaves no limit state behind."""
        await self.database.pool.execute("DELETE FROM rate_limits WHERE key LIKE '%:' || $1", subject)

    async def forget_logins_of(self, email: str) -> None:
        """Failed and successful logins are throttled by email, not by account: that state goes with it too."""
        await self.database.pool.execute(
            "DELETE FROM rate_limits WHERE key = $1", self.key(normalize_email(email), LOGIN_ACCOUNT)
        )


class Quotas:
    """The limits of an account's plan, read at every request, so a plan change applies at once."""

    def __init__(self, limiter: RateLimiter, database: Database) -> None:
        self.limiter = limiter
        self.database = database

    async def plan_of(self, user_id: uuid.UUID) -> str:
        plan: str | None = await self.database.pool.fetchval("SELECT plan FROM users WHERE id = $1", user_id)
        return plan or FREE

    async def check(self, user_id: uuid.UUID, route_class: str) -> Verdict:
        return await self.limiter.check(str(user_id), await self.plan_of(user_id), route_class)

    async def enforce(self, user_id: uuid.UUID, route_class: str) -> Verdict:
        return await self.limiter.enforce(str(user_id), await self.plan_of(user_id), route_class)

    async def set_plan(self, user_id: uuid.UUID, plan: str) -> dict[str, dict[str, int]]:
        """Move the account to `plan` at once. What it has used of each limit carries over as a count of
        requests: ten writes on the free plan are ten of the pro plan's hundred (so an upgrade lifts a limit
        that was reached, and a downgrade cannot reset one)."""
        if plan not in self.limiter.limits or plan == "*":
            raise Problem(422, "unknown-plan", "No such plan", f"Plans: {sorted(set(self.limiter.limits) - {'*'})}")
        async with self.database.pool.acquire() as connection, connection.transaction():
            before = await connection.fetchval("SELECT plan FROM users WHERE id = $1 FOR UPDATE", user_id)
            if before is None:
                raise Problem(404, "user-not-found", "No such user")
            await connection.execute("UPDATE users SET plan = $2 WHERE id = $1", user_id, plan)
            for route_class in (CHAT, WRITES, EXPORTS):
                ratio = (
                    self.limiter.limit(plan, route_class).interval / self.limiter.limit(before, route_class).interval
                )
                await connection.execute(
                    "UPDATE rate_limits SET tat = clock_timestamp() + (tat - clock_timestamp()) * $2::float8"
                    " WHERE key = $1 AND tat > clock_timestamp()",
                    self.limiter.key(str(user_id), route_class),
                    ratio,
                )
        return self.plan_limits(plan)

    def plan_limits(self, plan: str) -> dict[str, dict[str, int]]:
        """What a plan allows, per kind of request, as its table says: the admin API tells it."""
        return {
            route_class: {"quota": limit.quota, "window_seconds": limit.window_seconds}
            for route_class, limit in self.limiter.limits[plan].items()
        }
