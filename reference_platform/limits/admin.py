"""The admin API's authentication: a deployment secret, never a customer's token (OWASP API5)."""

import secrets
from collections.abc import Mapping

from reference_platform.identity.bearer import BearerAuth
from reference_platform.problems import Problem, unauthorized


class AdminAuth:
    def __init__(self, token: str | None, bearer: BearerAuth) -> None:
        self.token = token
        self.bearer = bearer

    async def check(self, headers: Mapping[str, str]) -> None:
        """Pass an admin; refuse a customer with 403 and anyone else with 401. Only the Authorization header
        counts: nothing else a request says about where it comes from."""
        authorization = headers.get("authorization", "")
        scheme, _, presented = authorization.partition(" ")
        if self.token and scheme.lower() == "bearer" and secrets.compare_digest(presented, self.token):
            return
        try:
            await self.bearer.caller(authorization)
        except Problem as not_a_customer:
            raise unauthorized("The admin API needs an admin token.") from not_a_customer
        raise Problem(403, "forbidden", "Customers cannot use the admin API")
