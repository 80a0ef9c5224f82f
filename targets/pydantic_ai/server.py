"""pydantic-ai's servers under uvicorn: `python -m targets.pydantic_ai.server --port N [--fault NAME]`.

AG-UI at / goes to pydantic-ai's own `AGUIAdapter`, the Vercel AI stream at /vercel-ai to its
`VercelAIAdapter`, both serving one scripted agent; a named stream fault (the kill matrix's) rewrites what it
sends, between it and the suite.
"""

import argparse

import uvicorn
from pydantic_ai.ui.ag_ui import AGUIAdapter
from pydantic_ai.ui.vercel_ai import VercelAIAdapter
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from targets.pydantic_ai.script import scripted_agent
from targets.pydantic_ai.stream_faults import STREAM_FAULTS, RewrittenStream

AGENT = scripted_agent()


async def run_agent(request: Request) -> Response:
    return await AGUIAdapter.dispatch_request(request, agent=AGENT)


async def run_agent_vercel(request: Request) -> Response:
    return await VercelAIAdapter.dispatch_request(request, agent=AGENT)


async def health(request: Request) -> Response:
    return Response("ok")


def create_app() -> Starlette:
    return Starlette(
        routes=[
            Route("/", run_agent, methods=["POST"]),
            Route("/vercel-ai", run_agent_vercel, methods=["POST"]),
            Route("/health", health),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--fault", default="", choices=["", *STREAM_FAULTS], help="a rewrite of the stream")
    args = parser.parse_args()
    app: ASGIApp = create_app()
    if args.fault:
        app = RewrittenStream(app, STREAM_FAULTS[args.fault][1])
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
