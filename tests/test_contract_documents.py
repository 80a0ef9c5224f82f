"""The contract as documents a machine checks (docs/contract/): OpenAPI 3.1 for every HTTP route and AsyncAPI 3 for
the chat socket, both valid by their own validators, and the OpenAPI document naming exactly the routes the
platform's Starlette table has."""

import subprocess
from pathlib import Path
from typing import Any

import yaml
from openapi_spec_validator import validate
from starlette.routing import Route, WebSocketRoute

from reference_platform.app import application
from reference_platform.parts import assemble
from reference_platform.settings import Settings
from support.agents.ai_sdk import node
from tests.behave_runs import ROOT

CONTRACT = ROOT / "docs" / "contract"
OPENAPI, ASYNCAPI = CONTRACT / "openapi.yaml", CONTRACT / "asyncapi.yaml"
OPERATIONS = {"get", "put", "post", "delete", "patch", "options", "trace"}  # HEAD is GET's, and not listed


def document(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


def starlette_table() -> tuple[set[tuple[str, str]], set[str]]:
    """(path, method) of every HTTP route, and the path of every socket, from the app the platform serves."""
    app = application(assemble(Settings(database_url="postgresql://nobody@127.0.0.1:9/none", issuer="http://x")))
    http = {(route.path, method.lower()) for route in app.routes if isinstance(route, Route)
            for method in route.methods or () if method != "HEAD"}  # fmt: skip
    sockets = {route.path for route in app.routes if isinstance(route, WebSocketRoute)}
    return http, sockets


def test_the_openapi_document_is_valid_openapi_3_1() -> None:
    spec = document(OPENAPI)
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_the_asyncapi_document_is_valid_by_the_asyncapi_parser() -> None:
    checked = subprocess.run([node(), str(ROOT / "tests" / "asyncapi_check.mjs"), str(ASYNCAPI)],
                             cwd=ROOT, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert document(ASYNCAPI)["asyncapi"].startswith("3.")


def test_every_route_is_documented_and_every_documented_route_exists() -> None:
    http, sockets = starlette_table()
    documented = {(path, method) for path, item in document(OPENAPI)["paths"].items() for method in item
                  if method in OPERATIONS}  # fmt: skip
    assert http - documented == set(), "routes the platform has and openapi.yaml does not"
    assert documented - http == set(), "routes openapi.yaml has and the platform does not"
    addresses = {channel["address"] for channel in document(ASYNCAPI)["channels"].values()}
    assert sockets == addresses, f"sockets {sorted(sockets)} against AsyncAPI channels {sorted(addresses)}"
