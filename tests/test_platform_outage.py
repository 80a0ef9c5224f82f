"""The platform when its database goes away and comes back: problems with Retry-After, then recovery."""

import asyncio
import json
import signal
import time
import uuid
from collections.abc import Iterator

import asyncpg
import httpx2
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from reference_platform.chat.runs import RUN_EVENTS_CHANNEL, RunFeed
from support.stack.embedded_stack import EmbeddedStack
from support.stack.processes import stop_process


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

    assert ready_within(client, 5.0), "the platform did not hold its lease and listeners again within 5 s"
    assert client.post("/auth/login", json={"email": email, "password": password}).status_code == 200


def lost_database_answers(client: httpx2.Client, email: str, password: str) -> None:
    login = client.post("/auth/login", json={"email": email, "password": password})
    assert login.status_code == 503, login.text
    assert login.headers["content-type"] == "application/problem+json"
    assert login.json()["type"] == "/problems/database-unavailable" and login.json()["dependency"] == "database"
    assert int(login.headers["retry-after"]) > 0
    ready = client.get("/health/ready")
    assert ready.status_code == 503 and ready.json()["dependencies"] == {"database": "down"}


def ready_within(client: httpx2.Client, seconds: float) -> bool:
    """Ready again: the pool answers, and the lease and listeners are held again."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if client.get("/health/ready").status_code == 200:
            return True
        time.sleep(0.1)
    return False


def test_the_run_feed_hears_again_once_the_database_is_back(own_stack: EmbeddedStack) -> None:
    """Live events reach resumed runs after an outage: the feed's LISTEN is opened again, and every watcher is
    woken to read what it may have missed meanwhile."""
    postgres = own_stack.postgres
    assert postgres is not None

    async def outage_and_news() -> tuple[bool, bool]:
        feed, run_id = RunFeed(postgres.url), uuid.uuid4()
        await feed.start()
        try:
            async with feed.watching(run_id) as news:
                port = postgres.port
                stop_process(postgres.process, signal.SIGKILL)
                postgres.serve(port)
                woken = await wait_set(news, 5.0)
                news.clear()
                notifier = await asyncpg.connect(postgres.url)
                await notifier.execute("SELECT pg_notify($1, $2)", RUN_EVENTS_CHANNEL, str(run_id))
                await notifier.close()
                return woken, await wait_set(news, 5.0)
        finally:
            await feed.stop()

    woken, heard = asyncio.run(outage_and_news())
    assert woken, "Expected the feed to wake its watchers once it was back"
    assert heard, "Expected the feed to hear a run's news after the database came back"


async def wait_set(event: asyncio.Event, seconds: float) -> bool:
    try:
        await asyncio.wait_for(event.wait(), seconds)
    except TimeoutError:
        return False
    return True
