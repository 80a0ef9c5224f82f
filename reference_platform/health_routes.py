"""What operators ask an instance over HTTP: is it alive, can it serve, and what version is it."""

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from reference_platform.endpoints import Endpoints


class HealthEndpoints(Endpoints):
    def routes(self) -> list[BaseRoute]:
        return [
            Route("/health/live", self.live),
            Route("/health/ready", self.ready),
            Route("/version", self.version),
        ]

    async def live(self, request: Request) -> Response:
        return JSONResponse(await self.parts.health.live())

    async def ready(self, request: Request) -> Response:
        return JSONResponse(await self.parts.health.ready())

    async def version(self, request: Request) -> Response:
        return JSONResponse(self.parts.health.version())
