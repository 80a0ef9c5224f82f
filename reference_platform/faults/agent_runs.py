"""Defects in the agent and in the events of its runs."""

import asyncio
import uuid
from typing import Any

from reference_platform.chat.agent import PlannerAgent, RunEvents, ToolCall, phrase_answer
from reference_platform.faults.fault import Fault


class SkipsThinking(RunEvents):
    async def thinking(self, summary: str) -> None:
        return None


class ThinksTwice(RunEvents):
    async def thinking(self, summary: str) -> None:
        await super().thinking(summary)
        await super().thinking(summary)


class CompletesToolsBeforeStarting(RunEvents):
    async def tool_executing(self, call_id: str, tool: str, arguments: dict[str, Any]) -> None:
        self._held = (call_id, tool, arguments)

    async def tool_completed(self, call_id: str, tool: str, result: dict[str, Any]) -> None:
        await super().tool_completed(call_id, tool, result)
        await super().tool_executing(*self._held)


class TalksAfterTheEnd(RunEvents):
    async def completed(self, message_id: uuid.UUID, content: str) -> None:
        await super().completed(message_id, content)
        await self.thinking("one more thought")


class SkipsASeq(RunEvents):
    async def tool_completed(self, call_id: str, tool: str, result: dict[str, Any]) -> None:
        self.seq += 1
        await super().tool_completed(call_id, tool, result)


class ForgetsRunIdOnThinking(RunEvents):
    async def thinking(self, summary: str) -> None:
        self.seq += 1
        await self._send({"type": "agent_thinking", "thread_id": str(self.thread_id), "seq": self.seq})


class ClosesSilentlyOnFailure(RunEvents):
    async def failed(self, code: str, message: str) -> None:
        await self._close(1000, "")


class TalksAMomentAfterTheEnd(RunEvents):
    async def completed(self, message_id: uuid.UUID, content: str) -> None:
        await super().completed(message_id, content)
        self._late = asyncio.create_task(self._late_thought())

    async def _late_thought(self) -> None:
        await asyncio.sleep(1.0)
        try:
            await self.thinking("an afterthought")
        except Exception:
            return  # the socket may be gone by now


class ErrorsWithoutCode(RunEvents):
    async def failed(self, code: str, message: str) -> None:
        await self.emit("agent_error", message=message)


class IgnoresTheQuestion(PlannerAgent):
    async def answer(self, question: str, events: RunEvents) -> str:
        await super().answer(question, events)
        return phrase_answer([])


class AnswersSlowly(PlannerAgent):
    async def answer(self, question: str, events: RunEvents) -> str:
        answer = await super().answer(question, events)
        await asyncio.sleep(2.5)
        return answer


class NamesAnUnknownMessage(RunEvents):
    async def completed(self, message_id: uuid.UUID, content: str) -> None:
        await super().completed(uuid.uuid4(), content)


class WaitsForSlowTools(PlannerAgent):
    async def call(self, call: ToolCall) -> dict[str, Any]:
        return await self.tools[call.tool].run(call.arguments)


class StampsTheLatestRun(RunEvents):
    """Keeps "the current run" in one place for the whole process: right while runs take turns, wrong when
    two overlap, as on a busy day."""

    current: tuple[uuid.UUID, uuid.UUID] | None = None

    async def emit(self, event_type: str, **payload: Any) -> None:
        if event_type == "agent_started":
            StampsTheLatestRun.current = (self.run_id, self.thread_id)
        await asyncio.sleep(0.05)  # the agent's work between events, as long as a model call's first token
        if StampsTheLatestRun.current is not None:
            self.run_id, self.thread_id = StampsTheLatestRun.current
        await super().emit(event_type, **payload)


FAULTS: dict[str, Fault] = {
    "drop_agent_thinking": Fault("agent_thinking is never sent", {"run_events": SkipsThinking}),
    "thinking_sent_twice": Fault("every agent_thinking is sent twice", {"run_events": ThinksTwice}),
    "tool_completed_before_executing": Fault(
        "tool_completed is sent before its tool_executing",
        {"run_events": CompletesToolsBeforeStarting},
    ),
    "event_after_terminal": Fault("an event follows agent_completed", {"run_events": TalksAfterTheEnd}),
    "seq_gap": Fault("seq skips a number before tool_completed", {"run_events": SkipsASeq}),
    "missing_run_id": Fault("agent_thinking carries no run_id", {"run_events": ForgetsRunIdOnThinking}),
    "silent_close_on_tool_failure": Fault(
        "a tool failure closes the socket instead of sending agent_error",
        {"run_events": ClosesSilentlyOnFailure},
    ),
    "late_event_after_terminal": Fault(
        "an event follows agent_completed one second later", {"run_events": TalksAMomentAfterTheEnd}
    ),
    "agent_error_without_code": Fault("agent_error carries no code", {"run_events": ErrorsWithoutCode}),
    "answer_ignores_question": Fault(
        "the agent uses its tools, then answers with its generic help text", {"agent": IgnoresTheQuestion}
    ),
    "slow_answer": Fault("the agent takes 2.5 s more to answer", {"agent": AnswersSlowly}),
    "completed_names_unknown_message": Fault(
        "agent_completed names a message id that was never stored", {"run_events": NamesAnUnknownMessage}
    ),
    "tool_timeout_not_enforced": Fault("a tool may take as long as it likes", {"agent": WaitsForSlowTools}),
    "runs_share_state_under_load": Fault(
        "runs in progress at the same time stamp their events with the latest run's ids",
        {"run_events": StampsTheLatestRun},
    ),
}
