"""Many customers at once: each opens chats and asks, all at the same time, and every run is checked against the
stream contract. How long each step took, for each chat, is kept for a latency summary."""

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from support.actors import Actor, Cast
from support.checks import event_stream as stream
from support.clients.chat_connection import ChatConnection
from support.clients.chat_runs import collect_run
from support.clients.http_client import PlatformApi, expect_status
from support.clients.run_record import RunRecord
from support.report.evidence import ScenarioEvidence

T = TypeVar("T")
SIGN_INS_AT_ONCE = 10
STEPS = ("auth", "thread", "ticket", "handshake", "first event", "terminal event")


async def all_or_none(actions: Iterable[Awaitable[T]]) -> list[T]:
    """Await them together; at the first failure, cancel the rest before raising it, so that a crowd that
    failed stops loading the platform (the outage check that follows must see it as it is)."""
    tasks = [asyncio.ensure_future(action) for action in actions]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


@dataclass
class Latencies:
    """Seconds each step took, per step, across the crowd."""

    samples: dict[str, list[float]] = field(default_factory=dict)

    def add(self, step: str, seconds: float) -> None:
        self.samples.setdefault(step, []).append(seconds)

    def percentile(self, step: str, share: float) -> float:
        ordered = sorted(self.samples.get(step, [0.0]))
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    def summary(self) -> dict[str, dict[str, float]]:
        shares = {"p50": 0.50, "p95": 0.95, "p99": 0.99}
        return {
            step: {"n": len(self.samples[step]), "max": max(self.samples[step])}
            | {name: self.percentile(step, share) for name, share in shares.items()}
            for step in STEPS
            if step in self.samples
        }

    def table(self) -> str:
        lines = [f"{'step':<15}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}"]
        for step, figures in self.summary().items():
            lines.append(
                f"{step:<15}{figures['n']:>6.0f}"
                + "".join(f"{figures[key] * 1000:>10.1f}" for key in ("p50", "p95", "p99", "max"))
            )
        return "\n".join(lines)


@dataclass
class CrowdChat:
    owner: Actor
    thread_id: str
    connection: ChatConnection
    run: RunRecord | None = None


class Crowd:
    """Customers acting together. Their frames go to an evidence of their own (`evidence`), which the caller
    attaches or not: a thousand transcripts help nobody, the failing ones and the summary do."""

    def __init__(self, customers: list[Actor], evidence: ScenarioEvidence, at_once: int = 50) -> None:
        self.customers = customers
        self.evidence = evidence
        self.latencies = Latencies()
        self.chats: list[CrowdChat] = []
        self.gate = asyncio.Semaphore(at_once)  # requests in flight at once while setting up; chats all stay open

    async def _timed(self, step: str, action: Awaitable[T]) -> T:
        started = time.monotonic()
        result = await action
        self.latencies.add(step, time.monotonic() - started)
        return result

    async def each(self, action: Callable[[Actor], Awaitable[None]], gate: asyncio.Semaphore | None = None) -> None:
        async def gated(actor: Actor) -> None:
            async with gate or self.gate:
                await action(actor)

        await all_or_none(gated(actor) for actor in self.customers)

    async def authenticate(self, how: Callable[[Actor], Awaitable[object]], at_once: int | None = None) -> None:
        async def timed(actor: Actor) -> None:
            await self._timed("auth", how(actor))

        await self.each(timed, asyncio.Semaphore(at_once) if at_once else None)

    async def sign_in_with_provider(self) -> None:
        """Every customer signs in through the identity provider, a few at a time, so that each sign-in's legs follow
        one another as closely as one person's would (its login code lives seconds on the embedded stack). One left
        without tokens fails the crowd there, saying where her sign-in stopped."""

        async def sign_in(actor: Actor) -> None:
            attempt = await actor.provider.sign_in_with_provider(actor.email)
            if actor.session.access_token is None:
                raise AssertionError(
                    f"{actor.name}'s sign-in through the identity provider ended without tokens, "
                    f"{attempt.where_it_stopped()}"
                )

        await self.authenticate(sign_in, at_once=SIGN_INS_AT_ONCE)

    async def open_chats(self, per_customer: int, timeout: float) -> None:
        """Each customer opens `per_customer` chats, each with its own thread, ticket and socket, all left open."""

        async def open_one(actor: Actor) -> CrowdChat:
            created = await self._timed("thread", actor.api.create_thread(actor.session.token, "Load"))
            expect_status(created, 201, f"{actor.name} opens a chat")
            ticket = await self._timed("ticket", actor.chat.chat_ticket())
            connection = await self._timed(
                "handshake",
                ChatConnection.open(actor.chat.chat_url, actor.name, self.evidence, ticket=ticket, timeout=timeout),
            )
            return CrowdChat(actor, created.body["id"], connection)

        async def open_all(actor: Actor) -> None:
            for _ in range(per_customer):
                self.chats.append(await open_one(actor))

        await self.each(open_all)

    async def ask_all(self, question: str, within: float) -> None:
        """Every chat asks at the same moment; each run is read to its end, within `within` seconds."""

        async def ask(chat: CrowdChat) -> None:
            asked = time.monotonic()
            payload = {"type": "user_message", "thread_id": chat.thread_id, "content": question}
            await chat.connection.send(payload)
            chat.run = await collect_run(chat.connection, question, within, asked)
            if chat.run.events:
                self.latencies.add("first event", chat.run.seconds_to(0))
            if chat.run.terminal_index is not None:
                self.latencies.add("terminal event", chat.run.seconds_to(chat.run.terminal_index))

        await all_or_none(ask(chat) for chat in self.chats)

    def failures(self, figure: str) -> list[str]:
        """What went wrong in each run that broke the stream contract or did not answer with `figure`."""
        problems = []
        for chat in self.chats:
            assert chat.run is not None, f"{chat.owner.name} asked nothing"
            try:
                stream.expect_complete_run(chat.run, chat.thread_id, [figure])
            except AssertionError as problem:
                problems.append(f"{chat.owner.name}: {problem}")
        return problems

    async def close(self) -> None:
        await asyncio.gather(*(chat.connection.close() for chat in self.chats), return_exceptions=True)


def gather_crowd(cast: Cast, count: int) -> Crowd:
    """`count` new customers in the cast (so they are cleaned up with it), recording into a crowd evidence."""
    evidence = ScenarioEvidence(cast.evidence.redactor)
    cast.crowd_evidence.append(evidence)
    api = PlatformApi(cast.api.http, evidence, cast.api.servers)
    customers = [cast.enlist(Actor(f"Customer{n:03d}", api, cast.target, evidence)) for n in range(1, count + 1)]
    return Crowd(customers, evidence)
