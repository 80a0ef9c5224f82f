"""The data part's endpoints: a customer's export of her data (erasure is `DELETE /me`, with her account)."""

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from reference_platform.data.exports import export_not_found
from reference_platform.endpoints import Endpoints, path_id
from reference_platform.limits.rate_limits import EXPORTS


class DataEndpoints(Endpoints):
    def routes(self) -> list[BaseRoute]:
        return [
            Route("/me/exports", self.request_export, methods=["POST"]),
            Route("/me/exports/{export_id}", self.export_status),
            Route("/me/exports/{export_id}/download", self.download_export),
        ]

    async def request_export(self, request: Request) -> Response:
        user_id = await self.user(request)
        verdict = await self.parts.quotas.enforce(user_id, EXPORTS)
        created = await self.parts.exports.request(user_id)
        status = await self.parts.exports.status(user_id, created)
        return JSONResponse(
            status.public(), status_code=202, headers={"Location": f"/me/exports/{created}", **verdict.headers()}
        )

    async def export_status(self, request: Request) -> Response:
        user_id, wanted = await self.user(request), path_id(request, "export_id", export_not_found())
        status = await self.parts.exports.status(user_id, wanted)
        link = None
        if status.status == "ready":
            key = await self.parts.exports.new_link(user_id, wanted)
            link = f"/me/exports/{wanted}/download?{urlencode({'key': key})}"
            status = await self.parts.exports.status(user_id, wanted)
        return JSONResponse(status.public(link), headers={"Cache-Control": "no-store"})

    async def download_export(self, request: Request) -> Response:
        user_id, wanted = await self.user(request), path_id(request, "export_id", export_not_found())
        path = await self.parts.exports.file_for(user_id, wanted, request.query_params.get("key", ""))
        return FileResponse(path, media_type="application/json", headers=self.parts.exports.download_headers())
