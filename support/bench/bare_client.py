"""The simplest client that makes the load's calls: httpx2 and websockets, nothing else. No actors, no
evidence, no redaction, no checks beyond reading each run to its terminal event. The suite's throughput
is compared with this one's."""

import asyncio
import json
import time
from dataclasses import dataclass

import httpx2
from websockets.asyncio.client import ClientConnection, connect

TERMINAL = ("agent_completed", "agent_error")


@dataclass
class BareChat:
    thread_id: str
    socket: ClientConnection
    events: int = 0
    ended: str = ""


async def open_chat(http: httpx2.AsyncClient, base_url: str, token: str) -> BareChat:
    headers = {"Authorization": f"Bearer {token}"}
    thread = (await http.post(f"{base_url}/threads", headers=headers, json={"title": "Load"})).json()["id"]
    ticket = (await http.post(f"{base_url}/ws-tickets", headers=headers)).json()["ticket"]
    socket = await connect(f"{base_url.replace('http', 'ws', 1)}/chat?ticket={ticket}", max_size=2**20)
    return BareChat(thread, socket)


async def ask(chat: BareChat, question: str) -> None:
    await chat.socket.send(json.dumps({"type": "user_message", "thread_id": chat.thread_id, "content": question}))
    while not chat.ended:
        event = json.loads(await chat.socket.recv())
        chat.events += 1
        if event.get("type") in TERMINAL:
            chat.ended = event["type"]


async def chat_load(
    base_url: str, tokens: list[str], per_customer: int, question: str, within: float, at_once: int
) -> tuple[float, list[BareChat]]:
    """Open every chat (at most `at_once` requests in flight), ask in all at once; seconds it all took."""
    gate = asyncio.Semaphore(at_once)
    started = time.monotonic()
    async with httpx2.AsyncClient(timeout=within) as http:

        async def open_gated(token: str) -> BareChat:
            async with gate:
                return await open_chat(http, base_url, token)

        chats = await asyncio.gather(*(open_gated(token) for token in tokens for _ in range(per_customer)))
        await asyncio.wait_for(asyncio.gather(*(ask(chat, question) for chat in chats)), within)
        seconds = time.monotonic() - started
        await asyncio.gather(*(chat.socket.close() for chat in chats))
    return seconds, chats
