"""The agent: plans an answer, calls tools, and reports every step as a run event.

A real LLM can stand behind the same `Agent` interface: it receives the question and
a `RunEvents` to report progress on, and returns the answer text.
"""

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from reference_platform.chat.tools import Tool, ToolTimedOut

Send = Callable[[dict[str, Any]], Awaitable[None]]
Close = Callable[[int, str], Awaitable[None]]


class RunEvents:
    """Stamps every event of one run with run_id, thread_id and a seq rising by one."""

    def __init__(self, send: Send, close: Close, run_id: uuid.UUID, thread_id: uuid.UUID) -> None:
        self._send = send
        self._close = close
        self.run_id = run_id
        self.thread_id = thread_id
        self.seq = 0

    async def emit(self, event_type: str, **payload: Any) -> None:
        self.seq += 1
        await self._send(
            {
                "type": event_type,
                "run_id": str(self.run_id),
                "thread_id": str(self.thread_id),
                "seq": self.seq,
                **payload,
            }
        )

    async def started(self) -> None:
        await self.emit("agent_started")

    async def thinking(self, summary: str) -> None:
        await self.emit("agent_thinking", summary=summary)

    async def tool_executing(self, call_id: str, tool: str, arguments: dict[str, Any]) -> None:
        await self.emit("tool_executing", tool_call_id=call_id, tool=tool, arguments=arguments)

    async def tool_completed(self, call_id: str, tool: str, result: dict[str, Any]) -> None:
        await self.emit("tool_completed", tool_call_id=call_id, tool=tool, result=result)

    async def completed(self, message_id: uuid.UUID, content: str) -> None:
        await self.emit("agent_completed", message_id=str(message_id), content=content)

    async def failed(self, code: str, message: str) -> None:
        await self.emit("agent_error", code=code, message=message)


RunEventsFactory = Callable[[Send, Close, uuid.UUID, uuid.UUID], RunEvents]


class Agent(Protocol):
    async def answer(self, question: str, events: RunEvents) -> str: ...


@dataclass(frozen=True)
class ToolCall:
    tool: str
    arguments: dict[str, Any]
    id: str = field(default_factory=lambda: f"call_{uuid.uuid4().hex[:12]}")


MAGNITUDES = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}
COST_QUESTION = re.compile(r"(\d+(?:\.\d+)?)\s*([kmb]?)\b[^?]*?tokens?\s+(?:a|per)\s+day", re.IGNORECASE)
ARITHMETIC = re.compile(r"[-+*/().\d\s]*\d\s*[-+*/]\s*[-+*/().\d\s]*\d[)\s]*")
WAIT = re.compile(r"\bwait\s+(\d+(?:\.\d+)?)\s*(?:s|secs?|seconds?)\b(?:\s+(\d+)\s+times\b)?", re.IGNORECASE)
MOST_WAITS = 10


class Planner:
    """Decides which tool calls answer a question. Deterministic, so runs are repeatable."""

    def plan(self, question: str, tools: frozenset[str]) -> list[ToolCall]:
        wait = WAIT.search(question)
        if wait and "wait" in tools:
            times = min(int(wait.group(2) or 1), MOST_WAITS)
            return [ToolCall("wait", {"seconds": float(wait.group(1))}) for _ in range(times)]
        cost = COST_QUESTION.search(question)
        if cost:
            tokens_per_day = float(cost.group(1)) * MAGNITUDES[cost.group(2).lower()]
            days = 7 if re.search(r"\bweek\b", question, re.IGNORECASE) else 30
            return [ToolCall("cost_estimator", {"tokens_per_day": tokens_per_day, "days": days})]
        arithmetic = ARITHMETIC.search(question)
        if arithmetic:
            return [ToolCall("calculator", {"expression": arithmetic.group(0).strip()})]
        return []


def phrase_answer(results: list[tuple[ToolCall, dict[str, Any]]]) -> str:
    if not results:
        return "I can estimate token costs and do arithmetic. Try asking what a daily token volume costs per month."
    sentences = []
    for call, result in results:
        if call.tool == "cost_estimator":
            sentences.append(
                f"At ${result['price_per_million_tokens_usd']:.2f} per million tokens, "
                f"{result['tokens_per_day']:,.0f} tokens a day cost about ${result['cost_usd']:,.2f} "
                f"over {result['days']} days."
            )
        elif call.tool == "wait":
            sentences.append(f"Waited {result['waited_seconds']:g} seconds.")
        else:
            sentences.append(f"{result['expression']} = {result['value']:g}.")
    return " ".join(sentences)


class PlannerAgent:
    def __init__(self, planner: Planner, tools: list[Tool], tool_timeout_seconds: float) -> None:
        self.planner = planner
        self.tools = {tool.name: tool for tool in tools}
        self.tool_timeout_seconds = tool_timeout_seconds

    async def answer(self, question: str, events: RunEvents) -> str:
        calls = self.planner.plan(question, frozenset(self.tools))
        await events.thinking(f"Planned {len(calls)} tool call(s)")
        results = []
        for call in calls:
            await events.tool_executing(call.id, call.tool, call.arguments)
            result = await self.call(call)
            await events.tool_completed(call.id, call.tool, result)
            results.append((call, result))
        return phrase_answer(results)

    async def call(self, call: ToolCall) -> dict[str, Any]:
        try:
            return await asyncio.wait_for(self.tools[call.tool].run(call.arguments), self.tool_timeout_seconds)
        except TimeoutError:
            raise ToolTimedOut(f"{call.tool} did not answer within {self.tool_timeout_seconds:g} s") from None
