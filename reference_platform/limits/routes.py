"""The limits part's endpoints: an operator puts a customer on a plan."""

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from reference_platform.endpoints import Endpoints, json_body, path_id
from reference_platform.problems import Problem


class LimitsEndpoints(Endpoints):
    def routes(self) -> list[BaseRoute]:
        return [Route("/admin/users/{user_id}/plan", self.set_plan, methods=["PUT"])]

    async def set_plan(self, request: Request) -> Response:
        await self.parts.admin.check(request.headers)
        body = await json_body(request, "plan")
        user_id = path_id(request, "user_id", Problem(404, "user-not-found", "No such user"))
        limits = await self.parts.quotas.set_plan(user_id, body["plan"])
        return JSONResponse({"id": str(user_id), "plan": body["plan"], "limits": limits})
