"""The platform when its database goes away and comes back: problems with Retry-After, then recovery."""

import json
import signal
import uuid
from collections.abc import Iterator

import httpx2
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from support.stack.embedded_stack import EmbeddedStack, stop_process


@pytest.fixture(scope="module")
def own_stack() -> Iterator[EmbeddedStack]:
    """A stack of its own: these tests stop its database."""
    stack = EmbeddedStack().start()
    yield stack
    stack.stop()


def test_a_lost_database_is_a_503_problem_then_the_platform_recovers_by_itself(own_stack: EmbeddedStack) -> None:
    postgres = own_stack.postgres
    assert postgres is not None
    client = httpx2.Client(base_url=own_stack.base_url, timeout=10)
    email, password = f"o-{uuid.uuid4().hex[:8]}@platform-test.test", "a long enough password 42"
    assert client.post("/auth/signup", json={"email": email, "password": password}).status_code == 201
    token = client.post("/auth/login", json={"email": email, "password": password}).json()["access_token"]
    thread = client.post("/threads", headers={"Authorization": f"Bearer {token}"}).json()
    chat_url = own_stack.base_url.replace("http", "ws") + "/chat"
    port = postgres.port
    with connect(chat_url, additional_headers={"Authorization": f"Bearer {token}"}, open_timeout=5) as socket:
        stop_process(postgres.process, signal.SIGKILL)
        try:
            lost_database_answers(client, email, password)
            socket.send(json.dumps({"type": "user_message", "thread_id": thread["id"], "content": "What is 6 * 7?"}))
            frame = json.loads(socket.recv(timeout=10))
            assert frame["type"] in ("error", "agent_error") and frame["code"] == "service_unavailable", frame
            with pytest.raises(ConnectionClosed):
                while True:
                    socket.recv(timeout=10)
            assert socket.protocol.close_rcvd is not None and socket.protocol.close_rcvd.code in (1011, 1013)
        finally:
            postgres.serve(port)

    assert client.get("/health/ready").status_code == 200
    assert client.post("/auth/login", json={"email": email, "password": password}).status_code == 200


def lost_database_answers(client: httpx2.Client, email: str, password: str) -> None:
    login = client.post("/auth/login", json={"email": email, "password": password})
    assert login.status_code == 503, login.text
    assert login.headers["content-type"] == "application/problem+json"
    assert login.json()["type"] == "/problems/database-unavailable" and login.json()["dependency"] == "database"
    assert int(login.headers["retry-after"]) > 0
    ready = client.get("/health/ready")
    assert ready.status_code == 503 and ready.json()["dependencies"] == {"database": "down"}
