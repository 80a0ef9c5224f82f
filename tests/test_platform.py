"""The reference platform's own contract, checked over real HTTP and WebSocket against the embedded stack."""

import asyncio
import json
import os
import secrets
import socket
import uuid
from typing import Any

import httpx2
import jwt
import pytest
import yaml
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from reference_platform.__main__ import inherited_socket
from reference_platform.database import Database
from reference_platform.identity.bearer import Caller
from reference_platform.identity.oidc import OidcProvider
from reference_platform.identity.tickets import TicketStore
from reference_platform.problems import Problem
from reference_platform.settings import OidcProviderSettings
from support.stack.embedded_stack import EmbeddedStack
from tests.behave_runs import ROOT


def new_account(client: httpx2.Client) -> dict[str, str]:
    email, password = f"t-{uuid.uuid4().hex[:8]}@platform-test.test", secrets.token_urlsafe(16)
    assert client.post("/auth/signup", json={"email": email, "password": password}).status_code == 201
    tokens = client.post("/auth/login", json={"email": email, "password": password}).json()
    return {"email": email, "password": password, **tokens}


@pytest.fixture
def client(stack: EmbeddedStack) -> httpx2.Client:
    return httpx2.Client(base_url=stack.base_url, timeout=10)


def bearer(account: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {account['access_token']}"}


def test_access_tokens_follow_the_jwt_profile_and_verify_against_the_jwks(client: httpx2.Client) -> None:
    account = new_account(client)
    token = account["access_token"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256" and header["typ"] == "at+jwt"
    [key] = client.get("/.well-known/jwks.json").json()["keys"]
    assert key["kid"] == header["kid"] and "d" not in key
    claims = jwt.decode(token, jwt.PyJWK(key).key, algorithms=["RS256"], audience="chat-api")
    assert {"iss", "aud", "sub", "exp", "iat", "jti", "client_id"} <= claims.keys()
    assert claims["iss"] == str(client.base_url).rstrip("/")
    assert account["refresh_token"] and account["token_type"] == "Bearer"


def test_requests_without_a_valid_token_get_a_problem_and_a_bearer_challenge(client: httpx2.Client) -> None:
    for headers in ({}, {"Authorization": "Bearer nonsense"}):
        response = client.get("/me", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
        assert response.json()["type"] == "/problems/unauthorized"


def test_a_weak_password_lists_every_reason(client: httpx2.Client) -> None:
    response = client.post("/auth/signup", json={"email": "weak@platform-test.test", "password": "weak"})
    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "/problems/weak-password"
    assert [error["reason"] for error in body["errors"]] == [
        "must be at least 12 characters long",
        "must not contain the email address",
    ]
    assert "at least 12 characters" in body["detail"]


def test_a_login_refusal_is_identical_for_unknown_and_known_emails(client: httpx2.Client) -> None:
    account = new_account(client)
    wrong = client.post("/auth/login", json={"email": account["email"], "password": "wrong-password-1"})
    unknown = client.post("/auth/login", json={"email": "ghost@platform-test.test", "password": "wrong-password-1"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_another_users_thread_is_not_found(client: httpx2.Client) -> None:
    owner, stranger = new_account(client), new_account(client)
    thread = client.post("/threads", headers=bearer(owner), json={"title": "mine"}).json()
    assert client.get(f"/threads/{thread['id']}/messages", headers=bearer(owner)).status_code == 200
    assert client.get(f"/threads/{thread['id']}/messages", headers=bearer(stranger)).status_code == 404
    assert client.get("/threads", headers=bearer(stranger)).json() == {"threads": []}


def test_every_http_response_carries_a_request_id(client: httpx2.Client) -> None:
    ids = {client.get(path).headers["x-request-id"] for path in ("/health/live", "/health/ready", "/me")}
    assert len(ids) == 3


@pytest.mark.parametrize(
    ("method", "path", "status", "problem"),
    [("GET", "/no-such-page", 404, "not-found"), ("PUT", "/threads", 405, "method-not-allowed")],
)
def test_the_frameworks_own_errors_are_problems(
    client: httpx2.Client, method: str, path: str, status: int, problem: str
) -> None:
    response = client.request(method, path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == f"/problems/{problem}" and response.json()["status"] == status
    assert response.headers["x-request-id"]
    if status == 405:
        assert "GET" in response.headers["allow"]


def test_the_platform_reports_its_version(client: httpx2.Client) -> None:
    version = client.get("/version").json()
    assert version["name"] == "chat-acceptance reference platform" and version["version"] and version["commit"]


def test_the_platform_serves_its_openapi_document(client: httpx2.Client) -> None:
    served = client.get("/openapi.json")
    assert served.status_code == 200 and served.headers["content-type"].startswith("application/json")
    assert served.json() == yaml.safe_load((ROOT / "docs" / "contract" / "openapi.yaml").read_text())


def test_the_request_id_is_on_the_servers_log_lines_for_http_and_for_a_run(
    client: httpx2.Client, stack: EmbeddedStack
) -> None:
    http_id = client.get("/no-such-page").headers["x-request-id"]
    account = new_account(client)
    thread = client.post("/threads", headers=bearer(account)).json()
    socket_id = uuid.uuid4().hex  # a client may bring its own id (a UUID4); the server then logs that one
    url = stack.base_url.replace("http", "ws") + "/chat"
    headers = {**bearer(account), "X-Request-Id": str(uuid.UUID(socket_id, version=4))}
    with connect(url, additional_headers=headers, open_timeout=5) as socket:
        socket.send(json.dumps({"type": "user_message", "thread_id": thread["id"], "content": "What is 6 * 7?"}))
        while json.loads(socket.recv(timeout=5))["type"] != "agent_completed":
            pass
    assert stack.platform is not None
    log = stack.platform.log.read_text()
    assert any(http_id in line and "/no-such-page" in line for line in log.splitlines()), log[-2000:]
    run_lines = [line for line in log.splitlines() if f"in thread {thread['id']} completed" in line]
    assert run_lines and str(uuid.UUID(socket_id)).replace("-", "") in run_lines[0].replace("-", ""), log[-2000:]


def test_a_tool_that_overflows_fails_as_the_tool_not_the_agent(client: httpx2.Client, stack: EmbeddedStack) -> None:
    account = new_account(client)
    thread = client.post("/threads", headers=bearer(account)).json()
    url = stack.base_url.replace("http", "ws") + "/chat"
    with connect(url, additional_headers=bearer(account), open_timeout=5) as socket:
        socket.send(
            json.dumps({"type": "user_message", "thread_id": thread["id"], "content": "What is (10**100)**100?"})
        )
        events = [json.loads(socket.recv(timeout=5)) for _ in range(4)]
    assert events[-1]["type"] == "agent_error" and events[-1]["code"] == "tool_failed", events


def test_a_ticket_opens_one_chat_and_only_one(client: httpx2.Client, stack: EmbeddedStack) -> None:
    account = new_account(client)
    thread = client.post("/threads", headers=bearer(account)).json()
    ticket = client.post("/ws-tickets", headers=bearer(account)).json()["ticket"]
    url = stack.base_url.replace("http", "ws") + "/chat?ticket=" + ticket
    with connect(url, open_timeout=5) as socket:
        socket.send(json.dumps({"type": "user_message", "thread_id": thread["id"], "content": "What is 6 * 7?"}))
        events = [json.loads(socket.recv(timeout=5)) for _ in range(5)]
    assert [event["type"] for event in events][-1] == "agent_completed"
    assert "42" in events[-1]["content"]
    with pytest.raises(InvalidStatus) as refused, connect(url, open_timeout=5):
        pass
    assert refused.value.response.status_code == 401


def test_a_message_to_someone_elses_thread_is_refused_on_the_socket(
    client: httpx2.Client, stack: EmbeddedStack
) -> None:
    owner, stranger = new_account(client), new_account(client)
    thread = client.post("/threads", headers=bearer(owner)).json()
    url = stack.base_url.replace("http", "ws") + "/chat"
    with connect(url, additional_headers=bearer(stranger), open_timeout=5) as socket:
        socket.send(json.dumps({"type": "user_message", "thread_id": thread["id"], "content": "hi"}))
        reply: dict[str, Any] = json.loads(socket.recv(timeout=5))
    assert reply == {"type": "error", "code": "thread_not_found", "detail": "No such thread."}


def test_a_deleted_account_loses_its_tokens_and_its_data(client: httpx2.Client) -> None:
    account = new_account(client)
    refused = client.request("DELETE", "/me", headers=bearer(account))
    assert refused.status_code == 403 and refused.json()["type"] == "/problems/reauthentication-required"
    erased = client.request("DELETE", "/me", headers=bearer(account), json={"password": account["password"]})
    assert erased.status_code == 204
    assert client.get("/me", headers=bearer(account)).status_code == 401
    relogin = client.post("/auth/login", json={"email": account["email"], "password": account["password"]})
    assert relogin.status_code == 401


def test_a_ticket_expires_after_its_time_to_live(client: httpx2.Client, stack: EmbeddedStack) -> None:
    claims = jwt.decode(new_account(client)["access_token"], options={"verify_signature": False})
    caller = Caller(uuid.UUID(claims["sub"]), uuid.UUID(claims["sid"]))

    async def issue_then_redeem_late() -> Caller | None:
        database = Database(stack.database_url)
        await database.open()
        try:
            tickets = TicketStore(database, ttl_seconds=1)
            ticket = await tickets.issue(caller)
            await asyncio.sleep(1.2)
            return await tickets.redeem(ticket)
        finally:
            await database.close()

    assert asyncio.run(issue_then_redeem_late()) is None


def test_an_unreachable_identity_provider_is_a_503_problem_naming_it() -> None:
    provider = OidcProvider(OidcProviderSettings("offline", "http://127.0.0.1:9", "client", "secret"), "http://x/cb")
    with pytest.raises(Problem) as refused:
        asyncio.run(provider.metadata())
    body = refused.value.body()
    assert refused.value.status == 503 and body["type"] == "/problems/identity-provider-unavailable"
    assert "offline" in body["detail"] and "http://127.0.0.1:9" in body["detail"]


def test_a_listening_socket_handed_down_keeps_its_family_so_responses_are_not_held_back() -> None:
    """uvicorn's own fd option takes the socket for AF_UNIX, and asyncio then sets no TCP_NODELAY: every
    response after the first on a kept-alive connection waited 40 ms for a delayed ACK."""
    with socket.create_server(("127.0.0.1", 0)) as listening:
        inherited = inherited_socket(os.dup(listening.fileno()))
        with inherited:
            assert inherited.family == socket.AF_INET and inherited.type == socket.SOCK_STREAM


def test_a_plan_change_carries_the_requests_used_over_as_a_count(client: httpx2.Client, stack: EmbeddedStack) -> None:
    """Ten writes on the free plan are ten of the pro plan's hundred: an upgrade lifts a reached limit at
    once (however soon the next write comes), and a downgrade does not reset a limit."""
    account = new_account(client)
    me = client.get("/me", headers=bearer(account)).json()
    admin = {"Authorization": f"Bearer {stack.admin_token}"}

    def write() -> httpx2.Response:
        return client.post("/threads", headers=bearer(account), json={"title": "A write"})

    while write().status_code != 429:
        pass
    assert client.put(f"/admin/users/{me['id']}/plan", headers=admin, json={"plan": "pro"}).status_code == 200
    after_upgrade = write()
    assert after_upgrade.status_code == 201, after_upgrade.text
    assert 80 <= int(after_upgrade.headers["RateLimit"].split("r=")[1].split(";")[0]) < 100, after_upgrade.headers
    assert client.put(f"/admin/users/{me['id']}/plan", headers=admin, json={"plan": "free"}).status_code == 200
    assert write().status_code == 429
