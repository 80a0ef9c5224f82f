"""Defects in who may call the admin API, and in which fields of a customer's request the platform obeys
(OWASP API5 and API3)."""

import contextlib
import ipaddress
import json
import uuid
from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from reference_platform.chat.routes import ChatEndpoints
from reference_platform.faults.fault import Fault
from reference_platform.identity.routes import IdentityEndpoints
from reference_platform.limits.admin import AdminAuth


class AdminTokenPrefix(AdminAuth):
    """Takes any beginning of the admin token for the whole of it: an empty one passes."""

    async def check(self, headers: Mapping[str, str]) -> None:
        scheme, _, presented = headers.get("authorization", "").partition(" ")
        if self.token and scheme.lower() == "bearer" and self.token.startswith(presented.strip()):
            return
        await super().check(headers)


class TrustsTheOperatorsNetwork(AdminAuth):
    """Lets in a request that says it was forwarded from a private address, taken for the operator's network."""

    async def check(self, headers: Mapping[str, str]) -> None:
        forwarded = headers.get("x-forwarded-for", "").split(",")[0].strip()
        with contextlib.suppress(ValueError):
            if ipaddress.ip_address(forwarded).is_private:
                return
        await super().check(headers)


class SignUpTakesThePlan(IdentityEndpoints):
    """Signing up puts the new account on the plan the request names, if it names one."""

    async def sign_up(self, request: Request) -> Response:
        answer = await super().sign_up(request)
        plan = (await request.json()).get("plan")
        if answer.status_code == 201 and isinstance(plan, str):
            await self.parts.quotas.set_plan(uuid.UUID(json.loads(bytes(answer.body))["id"]), plan)
        return answer


class ThreadOwnerFromTheRequest(ChatEndpoints):
    """Opening a chat files it under the account the request names as its owner, if it names one."""

    async def user(self, request: Request) -> uuid.UUID:
        caller = await super().user(request)
        body = await request.json() if request.method == "POST" and await request.body() else {}
        named = body.get("user_id") if isinstance(body, dict) else None
        try:
            return uuid.UUID(named) if isinstance(named, str) else caller
        except ValueError:
            return caller


FAULTS: dict[str, Fault] = {
    "admin_token_prefix_accepted": Fault(
        "the admin API takes any beginning of its token, an empty one included", {"admin": AdminTokenPrefix}
    ),
    "admin_trusts_forwarded_address": Fault(
        "the admin API lets in a request that says it was forwarded from a private address",
        {"admin": TrustsTheOperatorsNetwork},
    ),
    "signup_takes_plan": Fault(
        "signing up puts the account on the plan the request names", {}, endpoints=(SignUpTakesThePlan,)
    ),
    "thread_owner_from_request": Fault(
        "a new chat is filed under the account the request names as its owner",
        {},
        endpoints=(ThreadOwnerFromTheRequest,),
    ),
}
