"""Defects in rate limits, quotas and plans."""

import uuid
from collections.abc import Mapping

from reference_platform.database import Database
from reference_platform.faults.fault import Fault
from reference_platform.limits.admin import AdminAuth
from reference_platform.limits.rate_limits import (
    CHAT,
    EXPORTS,
    FREE,
    LOGIN_ADDRESS,
    PRO,
    WRITES,
    Limit,
    Quotas,
    RateLimiter,
    Verdict,
)
from reference_platform.problems import Problem


class NoRetryAfter(RateLimiter):
    async def enforce(self, subject: str, plan: str, route_class: str) -> Verdict:
        try:
            return await super().enforce(subject, plan, route_class)
        except Problem as refusal:
            refusal.headers.pop("Retry-After", None)
            raise


class ReportsFullQuota(RateLimiter):
    async def check(self, subject: str, plan: str, route_class: str) -> Verdict:
        verdict = await super().check(subject, plan, route_class)
        return Verdict(verdict.route_class, verdict.limit, verdict.allowed, verdict.limit.quota,
                       verdict.reset_seconds, verdict.retry_after)  # fmt: skip


class OneLimitForEveryone(RateLimiter):
    def key(self, subject: str, route_class: str) -> str:
        return f"{route_class}:everyone" if route_class in ("writes", "chat") else super().key(subject, route_class)


class NeverLimitsAnAddress(RateLimiter):
    async def enforce(self, subject: str, plan: str, route_class: str) -> Verdict:
        if route_class == LOGIN_ADDRESS:
            return await self.check(subject, plan, route_class)
        return await super().enforce(subject, plan, route_class)


class OneAddressLimitForAll(RateLimiter):
    def key(self, subject: str, route_class: str) -> str:
        return f"{route_class}:everywhere" if route_class == LOGIN_ADDRESS else super().key(subject, route_class)


class ThrottlesOnlyKnownAccounts(RateLimiter):
    async def enforce(self, subject: str, plan: str, route_class: str) -> Verdict:
        if route_class == "login" and not await self.database.pool.fetchval(
            "SELECT true FROM users WHERE email_normalized = $1", subject
        ):
            return await super().check(f"unknown:{uuid.uuid4()}", plan, route_class)
        return await super().enforce(subject, plan, route_class)


class PlanCached(Quotas):
    """Reads each account's plan once and keeps it: an upgrade does not apply at once."""

    def __init__(self, limiter: RateLimiter, database: Database) -> None:
        super().__init__(limiter, database)
        self.plans: dict[uuid.UUID, str] = {}

    async def plan_of(self, user_id: uuid.UUID) -> str:
        if user_id not in self.plans:
            self.plans[user_id] = await super().plan_of(user_id)
        return self.plans[user_id]


class AdminForAnyCustomer(AdminAuth):
    async def check(self, headers: Mapping[str, str]) -> None:
        try:
            await super().check(headers)
        except Problem as refusal:
            if refusal.status != 403:
                raise


class RefusalsExtendTheWait(RateLimiter):
    """Each refused request pushes the window further, so waiting as told is never enough."""

    async def check(self, subject: str, plan: str, route_class: str) -> Verdict:
        verdict = await super().check(subject, plan, route_class)
        if not verdict.allowed:
            await self.database.pool.execute(
                "UPDATE rate_limits SET tat = tat + make_interval(secs => $2) WHERE key = $1",
                self.key(subject, route_class),
                verdict.limit.window_seconds,
            )
        return verdict


class CountsPerInstance(RateLimiter):
    """Each instance keeps its own count, so a customer's requests spread over two get twice the limit."""

    def __init__(self, database: Database, limits: dict[str, dict[str, Limit]]) -> None:
        super().__init__(database, limits)
        self.instance = uuid.uuid4().hex[:8]  # made when the instance starts, so no two instances share it

    def key(self, subject: str, route_class: str) -> str:
        return f"{route_class}@{self.instance}:{subject}"


class ThrottleNamesKnownAccounts(RateLimiter):
    """A throttled login says, for a known account only, that the account is locked."""

    async def enforce(self, subject: str, plan: str, route_class: str) -> Verdict:
        try:
            return await super().enforce(subject, plan, route_class)
        except Problem as refusal:
            if route_class == "login" and await self.database.pool.fetchval(
                "SELECT true FROM users WHERE email_normalized = $1", subject
            ):
                refusal.detail += " This account is locked for a while."
            raise


class RefusalNamesAnotherLimit(RateLimiter):
    """A refusal's RateLimit fields name a limit other than the one that was used up."""

    async def enforce(self, subject: str, plan: str, route_class: str) -> Verdict:
        try:
            return await super().enforce(subject, plan, route_class)
        except Problem as refusal:
            for field in ("RateLimit-Policy", "RateLimit"):
                refusal.headers[field] = refusal.headers[field].replace(f'"{route_class}"', '"requests"')
            raise


class ShortchangesThePro(RateLimiter):
    """The pro plan's write limit is half what the plan promises."""

    def limit(self, plan: str, route_class: str) -> Limit:
        limit = super().limit(plan, route_class)
        return Limit(limit.quota // 2, limit.window_seconds) if (plan, route_class) == (PRO, WRITES) else limit


class PlanChangesResetUsage(Quotas):
    """A plan change starts the account's limits afresh: a downgrade hands back what was used."""

    async def set_plan(self, user_id: uuid.UUID, plan: str) -> dict[str, dict[str, int]]:
        limits = await super().set_plan(user_id, plan)
        await self.limiter.forget(str(user_id))
        return limits


class ChatLimitIgnoresThePlan(Quotas):
    """Chat messages are always counted against the free plan's chat limit."""

    async def check(self, user_id: uuid.UUID, route_class: str) -> Verdict:
        if route_class != CHAT:
            return await super().check(user_id, route_class)
        return await self.limiter.check(str(user_id), FREE, route_class)


class ExportsLimitIgnoresThePlan(Quotas):
    """Exports are always counted against the free plan's exports limit."""

    async def enforce(self, user_id: uuid.UUID, route_class: str) -> Verdict:
        if route_class != EXPORTS:
            return await super().enforce(user_id, route_class)
        return await self.limiter.enforce(str(user_id), FREE, route_class)


class DowngradesIgnored(Quotas):
    """A downgrade is answered with the free plan's limits but never stored: the account keeps the pro plan's."""

    async def set_plan(self, user_id: uuid.UUID, plan: str) -> dict[str, dict[str, int]]:
        if plan == FREE and await self.plan_of(user_id) == PRO:
            return self.plan_limits(plan)
        return await super().set_plan(user_id, plan)


class ExportsCountAsWrites(Quotas):
    """Asking for an export counts against the write limit, not the exports limit."""

    async def enforce(self, user_id: uuid.UUID, route_class: str) -> Verdict:
        return await super().enforce(user_id, WRITES if route_class == EXPORTS else route_class)


class ForbidsEveryone(AdminAuth):
    """The admin API answers 403 to anyone who is not an admin, with a token or without."""

    async def check(self, headers: Mapping[str, str]) -> None:
        try:
            await super().check(headers)
        except Problem as refusal:
            raise Problem(403, "forbidden", "Only admins may use the admin API") from refusal


FAULTS: dict[str, Fault] = {
    "throttle_names_known_accounts": Fault(
        "a throttled login says the account is locked, for known accounts only",
        {"limiter": ThrottleNamesKnownAccounts},
    ),
    "refusal_names_another_limit": Fault(
        "a refusal's RateLimit fields name another limit than the one used up",
        {"limiter": RefusalNamesAnotherLimit},
    ),
    "pro_plan_shortchanged": Fault(
        "the pro plan's write limit is half the figure the admin API gives", {"limiter": ShortchangesThePro}
    ),
    "chat_limit_ignores_plan": Fault(
        "chat messages always count against the free plan's chat limit", {"quotas": ChatLimitIgnoresThePlan}
    ),
    "exports_count_as_writes": Fault(
        "asking for an export counts against the write limit, not the exports limit",
        {"quotas": ExportsCountAsWrites},
    ),
    "exports_limit_ignores_plan": Fault(
        "exports always count against the free plan's exports limit", {"quotas": ExportsLimitIgnoresThePlan}
    ),
    "downgrade_not_applied": Fault(
        "a move to the free plan is answered but not stored: the account keeps the pro plan's limits",
        {"quotas": DowngradesIgnored},
    ),
    "admin_forbids_everyone": Fault(
        "the admin API answers 403 to a request without a token", {"admin": ForbidsEveryone}
    ),
    "login_address_not_limited": Fault(
        "logins are never limited per client address", {"limiter": NeverLimitsAnAddress}
    ),
    "login_address_limit_shared": Fault(
        "every client address shares one login limit", {"limiter": OneAddressLimitForAll}
    ),
    "plan_change_resets_usage": Fault(
        "a plan change starts the limits afresh, so a downgrade hands back what was used",
        {"quotas": PlanChangesResetUsage},
    ),
    "limit_without_retry_after": Fault("a 429 carries no Retry-After", {"limiter": NoRetryAfter}),
    "limit_reports_full_quota": Fault(
        "the RateLimit field always reports the whole quota left", {"limiter": ReportsFullQuota}
    ),
    "limit_shared_by_everyone": Fault(
        "chat and write limits count every customer together", {"limiter": OneLimitForEveryone}
    ),
    "login_throttle_only_known_accounts": Fault(
        "failed logins are throttled only for emails that have an account",
        {"limiter": ThrottlesOnlyKnownAccounts},
    ),
    "upgrade_not_at_once": Fault("each account's plan is read once and cached", {"quotas": PlanCached}),
    "admin_accepts_customers": Fault("the admin API accepts a customer's token", {"admin": AdminForAnyCustomer}),
    "limit_never_recovers": Fault(
        "a refused request pushes the limit's window further", {"limiter": RefusalsExtendTheWait}
    ),
    "limits_per_instance": Fault(
        "each instance counts a customer's requests on its own", {"limiter": CountsPerInstance}
    ),
}
