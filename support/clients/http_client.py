"""The platform's REST API, one method per operation, every exchange recorded as evidence."""

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx2
from werkzeug.datastructures import Headers

from support.checks.conformance import Answered, Asked
from support.clients.servers import Servers
from support.report.evidence import HttpExchange, ScenarioEvidence
from support.stack.service_errors import ServiceUnavailable, describe

PLATFORM_API = "platform API"  # the service whose answers are held to docs/contract/openapi.yaml


@dataclass(frozen=True)
class ApiResponse:
    method: str
    url: str
    status: int
    body: Any
    headers: httpx2.Headers
    elapsed_ms: float = 0.0

    @property
    def problem_type(self) -> str:
        return str(self.body.get("type", "")) if isinstance(self.body, dict) else ""

    def describe(self) -> str:
        return f"{self.method} {self.url} -> {self.status} {json.dumps(self.body)[:500]}"

    def __str__(self) -> str:  # what a failure message shows: the exchange, not every header
        return self.describe()


async def send_recorded(
    http: httpx2.AsyncClient, evidence: ScenarioEvidence, request: httpx2.Request, service: str
) -> ApiResponse:
    """Send one request and record the exchange as evidence; a transport failure names the service."""
    started = time.monotonic()
    try:
        response = await http.send(request)
    except httpx2.TransportError as error:
        evidence.record_http(
            HttpExchange(request.method, str(request.url), dict(request.headers), request.content.decode(), None,
                         {}, "", (time.monotonic() - started) * 1000, describe(error))
        )  # fmt: skip
        raise ServiceUnavailable(service, str(request.url), describe(error)) from error
    elapsed_ms = (time.monotonic() - started) * 1000
    evidence.record_http(
        HttpExchange(request.method, str(request.url), dict(request.headers), request.content.decode(),
                     response.status_code, dict(response.headers), response.text, elapsed_ms)
    )  # fmt: skip
    if service == PLATFORM_API:
        answered = Answered(response.status_code, Headers(list(response.headers.multi_items())), response.content)
        evidence.conformance.check_answer(Asked(request.method, str(request.url), dict(request.headers)), answered)
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    return ApiResponse(request.method, str(request.url), response.status_code, body, response.headers, elapsed_ms)


class PlatformApi:
    """Each request goes to the instance whose turn it is, unless the API is pinned to one (`on`)."""

    def __init__(self, http: httpx2.AsyncClient, evidence: ScenarioEvidence, servers: Servers) -> None:
        self.http = http
        self.evidence = evidence
        self.servers = servers

    def on(self, base_url: str) -> "PlatformApi":
        return PlatformApi(self.http, self.evidence, self.servers.only(base_url))

    def from_address(self, address: str) -> "PlatformApi":
        """The API over connections from `address`, a local one (on Linux, any of 127.0.0.0/8); close its `http`."""
        transport = httpx2.AsyncHTTPTransport(local_address=address)
        http = httpx2.AsyncClient(transport=transport, timeout=self.http.timeout)
        return PlatformApi(http, self.evidence, self.servers)

    async def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json_body: Any = None,
        request_id: str | None = None,
        forwarded_for: str | None = None,
    ) -> ApiResponse:
        # An empty token goes as the bare scheme: HTTP allows no space at the end of a field.
        headers = {"Authorization": f"Bearer {token}".rstrip()} if token is not None else {}
        if request_id is not None:
            headers["X-Request-Id"] = request_id
        if forwarded_for is not None:  # every way a proxy says where a request came from, all the same
            first = forwarded_for.split(",")[0].strip()
            headers |= {"X-Forwarded-For": forwarded_for, "X-Real-IP": first, "Forwarded": f"for={first}"}
        url = path if path.startswith(("http://", "https://")) else self.servers.next() + path
        request = self.http.build_request(method, url, headers=headers, json=json_body)
        return await send_recorded(self.http, self.evidence, request, PLATFORM_API)

    async def sign_up(self, email: str, password: str, asking: Mapping[str, str] | None = None) -> ApiResponse:
        """`asking`: fields beyond the documented ones, which the platform must not obey."""
        body = {"email": email, "password": password} | dict(asking or {})
        return await self.request("POST", "/auth/signup", json_body=body)

    async def log_in(self, email: str, password: str, client_id: str | None = None) -> ApiResponse:
        body = {"email": email, "password": password} | ({"client_id": client_id} if client_id else {})
        return await self.request("POST", "/auth/login", json_body=body)

    async def refresh(self, refresh_token: str) -> ApiResponse:
        return await self.request("POST", "/auth/refresh", json_body={"refresh_token": refresh_token})

    async def log_out(self, token: str) -> ApiResponse:
        return await self.request("POST", "/auth/logout", token=token)

    async def change_password(self, token: str, current: str, new: str) -> ApiResponse:
        body = {"current_password": current, "new_password": new}
        return await self.request("POST", "/me/password", token=token, json_body=body)

    async def exchange_login_code(self, login_code: str) -> ApiResponse:
        return await self.request("POST", "/auth/oidc/exchange", json_body={"login_code": login_code})

    async def chat_policy(self) -> ApiResponse:
        return await self.request("GET", "/chat/policy")

    async def jwks(self) -> ApiResponse:
        return await self.request("GET", "/.well-known/jwks.json")

    async def me(self, token: str) -> ApiResponse:
        return await self.request("GET", "/me", token=token)

    async def delete_account(self, token: str, password: str | None) -> ApiResponse:
        """Erasure re-authenticates: the password, for an account that has one."""
        return await self.request("DELETE", "/me", token=token, json_body={"password": password} if password else None)

    async def request_export(self, token: str) -> ApiResponse:
        return await self.request("POST", "/me/exports", token=token)

    async def export_status(self, token: str, location: str) -> ApiResponse:
        return await self.request("GET", location, token=token)

    async def download(self, token: str, url: str) -> ApiResponse:
        return await self.request("GET", url, token=token)

    async def set_plan(
        self, token: str | None, user_id: str, plan: str, forwarded_from: str | None = None
    ) -> ApiResponse:
        """`forwarded_from`: the address the request says a proxy forwarded it from."""
        path, body = f"/admin/users/{user_id}/plan", {"plan": plan}
        return await self.request("PUT", path, token=token, json_body=body, forwarded_for=forwarded_from)

    async def issue_ticket(self, token: str) -> ApiResponse:
        return await self.request("POST", "/ws-tickets", token=token)

    async def create_thread(self, token: str, title: str, asking: Mapping[str, str] | None = None) -> ApiResponse:
        """`asking`: fields beyond the documented ones, which the platform must not obey."""
        return await self.request("POST", "/threads", token=token, json_body={"title": title} | dict(asking or {}))

    async def list_threads(self, token: str) -> ApiResponse:
        return await self.request("GET", "/threads", token=token)

    async def delete_thread(self, token: str, thread_id: str) -> ApiResponse:
        return await self.request("DELETE", f"/threads/{thread_id}", token=token)

    async def list_messages(self, token: str, thread_id: str) -> ApiResponse:
        return await self.request("GET", f"/threads/{thread_id}/messages", token=token)


def expect_status(response: ApiResponse, status: int, intent: str) -> ApiResponse:
    assert response.status == status, f"{intent}: expected HTTP {status}, got {response.describe()}"
    return response
