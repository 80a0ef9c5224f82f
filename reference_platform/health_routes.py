"""What operators ask an instance over HTTP: is it alive, can it serve, what version is it, and what contract does it
keep (its OpenAPI document, docs/contract/openapi.yaml, as JSON)."""

import functools
from pathlib import Path
from typing import Any

import yaml
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from reference_platform.endpoints import Endpoints

OPENAPI = Path(__file__).resolve().parents[1] / "docs" / "contract" / "openapi.yaml"


@functools.cache
def openapi_document() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(OPENAPI.read_text())
    return document


class HealthEndpoints(Endpoints):
    def routes(self) -> list[BaseRoute]:
        return [
            Route("/health/live", self.live),
            Route("/health/ready", self.ready),
            Route("/version", self.version),
            Route("/openapi.json", self.openapi),
        ]

    async def live(self, request: Request) -> Response:
        return JSONResponse(await self.parts.health.live())

    async def ready(self, request: Request) -> Response:
        return JSONResponse(await self.parts.health.ready())

    async def version(self, request: Request) -> Response:
        return JSONResponse(self.parts.health.version())

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(openapi_document())
