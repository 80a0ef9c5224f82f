"""Defects in the platform's AG-UI endpoint: its encoder, its conversation agent and its runs."""

import json
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from reference_platform.chat.ag_ui import AgUiEncoder, AgUiRuns
from reference_platform.chat.agent import RunEvents
from reference_platform.chat.conversation import Answer, Conversation, ConversationAgent
from reference_platform.chat.streamed_runs import Wire
from reference_platform.faults.fault import Fault
from reference_platform.problems import Problem

Event = dict[str, Any]


class FinishesTwice(AgUiEncoder):
    def agent_completed(self, event: Event) -> list[Wire]:
        encoded = super().agent_completed(event)
        return [*encoded, encoded[-1]]


class ReplaysTheRun(AgUiEncoder):
    """After its end, the stream starts and ends the run once more (the protocol allows a new run there)."""

    def agent_completed(self, event: Event) -> list[Wire]:
        encoded = super().agent_completed(event)
        return [*encoded, *self.agent_started(event), encoded[-1]]


class LeavesTextOpen(AgUiEncoder):
    def agent_completed(self, event: Event) -> list[Wire]:
        return [wire for wire in super().agent_completed(event) if wire["type"] != "TEXT_MESSAGE_END"]


class StopsBeforeTheEnd(AgUiEncoder):
    """The stream closes after the answer's text, before RUN_FINISHED."""

    def agent_completed(self, event: Event) -> list[Wire]:
        return [wire for wire in super().agent_completed(event) if wire["type"] != "RUN_FINISHED"]


class SpellsIdsInSnakeCase(AgUiEncoder):
    def agent_started(self, event: Event) -> list[Wire]:
        return [{"type": "RUN_STARTED", "thread_id": self.thread_id, "run_id": self.run_id}]


class SendsNulls(AgUiEncoder):
    def tool_executing(self, event: Event) -> list[Wire]:
        encoded = super().tool_executing(event)
        encoded[0]["parentMessageId"] = None
        return encoded


class HidesErrorsAsSuccess(AgUiEncoder):
    def agent_error(self, event: Event) -> list[Wire]:
        return [{"type": "RUN_FINISHED", "threadId": self.thread_id, "runId": self.run_id,
                 "outcome": {"type": "success"}}]  # fmt: skip


class SaysNothingOnError(AgUiEncoder):
    def agent_error(self, event: Event) -> list[Wire]:
        return [{"type": "RUN_ERROR", "message": ""}]


class DropsToolResults(AgUiEncoder):
    def tool_completed(self, event: Event) -> list[Wire]:
        return []


class UsesTheThreadAsRunId(AgUiEncoder):
    def __init__(self, thread_id: str, run_id: str) -> None:
        super().__init__(thread_id, thread_id)


class DropsReasoning(AgUiEncoder):
    def agent_thinking(self, event: Event) -> list[Wire]:
        return []


class DropsTheAnswersText(AgUiEncoder):
    def agent_completed(self, event: Event) -> list[Wire]:
        return [wire for wire in super().agent_completed(event) if wire["type"] != "TEXT_MESSAGE_CONTENT"]


class AnswersTheAppsTools(AgUiEncoder):
    """A call of the app's own tool is answered by the server, as if it had run it."""

    def tool_executing(self, event: Event) -> list[Wire]:
        result = {"type": "TOOL_CALL_RESULT", "messageId": f"result-{event['tool_call_id']}",
                  "toolCallId": event["tool_call_id"], "content": "{}"}  # fmt: skip
        return [*super().tool_executing(event), result]


class ForgetsTheConversation(ConversationAgent):
    async def answer(self, question: str, events: RunEvents, conversation: Conversation) -> Answer:
        forgotten = Conversation([], conversation.app_tools, conversation.app_results)
        return await super().answer(question, events, forgotten)


class IgnoresTheAppsTools(ConversationAgent):
    async def answer(self, question: str, events: RunEvents, conversation: Conversation) -> Answer:
        return await super().answer(question, events, Conversation(conversation.earlier, frozenset(), []))


class IgnoresTheAppsResults(ConversationAgent):
    async def answer(self, question: str, events: RunEvents, conversation: Conversation) -> Answer:
        without = Conversation(conversation.earlier, conversation.app_tools, [])
        return await super().answer(question, events, without)


class RefusesInsideTheStream(AgUiRuns):
    """A caller the platform does not know gets 200 and a run that errors, instead of a 401."""

    async def handle(self, request: Request) -> Response:
        try:
            await self.bearer.caller(request.headers.get("authorization", ""))
        except Problem as refusal:
            started = {"type": "RUN_STARTED", "threadId": "none", "runId": "none"}
            error = {"type": "RUN_ERROR", "message": refusal.detail or "unauthorized", "code": "unauthorized"}
            events = [f"data: {json.dumps(event)}\n\n" for event in (started, error)]
            return StreamingResponse(iter(events), media_type="text/event-stream")
        return await super().handle(request)


class JoinsAnyThread(AgUiRuns):
    async def thread_for(self, user_id: uuid.UUID, thread: str) -> uuid.UUID:
        thread_id = uuid.UUID(thread)
        await self.chats.claim_thread(user_id, thread_id, "Agent conversation")
        return thread_id


class SkipsTheQuota(AgUiRuns):
    async def count_against_limit(self, user_id: uuid.UUID) -> None:
        return None


class RefusesWithoutSayingWhen(AgUiRuns):
    """Over the limit: a 429 with no Retry-After."""

    async def count_against_limit(self, user_id: uuid.UUID) -> None:
        try:
            await super().count_against_limit(user_id)
        except Problem as refusal:
            raise Problem(refusal.status, refusal.slug, refusal.title, refusal.detail) from None


class KeepsNoAnswers(AgUiRuns):
    async def keep_answer(self, thread_id: uuid.UUID, text: str, run_id: uuid.UUID) -> str:
        return str(uuid.uuid4())


def encoder(description: str, part: type[AgUiEncoder]) -> Fault:
    return Fault(description, {"ag_ui_encoder": part})


AG_UI_FAULTS: dict[str, Fault] = {
    "ag_ui_run_finished_twice": encoder("AG-UI: RUN_FINISHED is sent twice", FinishesTwice),
    "ag_ui_run_replayed_in_stream": encoder(
        "AG-UI: after RUN_FINISHED the stream starts and finishes the same run again", ReplaysTheRun
    ),
    "ag_ui_text_message_left_open": encoder("AG-UI: the answer's TEXT_MESSAGE_END is never sent", LeavesTextOpen),
    "ag_ui_stream_ends_before_run_finished": encoder(
        "AG-UI: the stream ends after the answer, with no RUN_FINISHED", StopsBeforeTheEnd
    ),
    "ag_ui_ids_in_snake_case": encoder("AG-UI: RUN_STARTED spells thread_id and run_id", SpellsIdsInSnakeCase),
    "ag_ui_explicit_nulls": encoder("AG-UI: TOOL_CALL_START sends parentMessageId: null", SendsNulls),
    "ag_ui_error_sent_as_success": encoder("AG-UI: a failed run ends with RUN_FINISHED success", HidesErrorsAsSuccess),
    "ag_ui_error_says_nothing": encoder("AG-UI: RUN_ERROR has an empty message and no code", SaysNothingOnError),
    "ag_ui_tool_result_dropped": encoder("AG-UI: TOOL_CALL_RESULT is never sent", DropsToolResults),
    "ag_ui_run_id_is_the_thread_id": encoder(
        "AG-UI: runs are announced under the thread's id, not the run id the app gave", UsesTheThreadAsRunId
    ),
    "ag_ui_reasoning_dropped": encoder("AG-UI: the agent's thinking is never sent", DropsReasoning),
    "ag_ui_answer_text_dropped": encoder(
        "AG-UI: the answer's TEXT_MESSAGE_CONTENT is never sent (its start and end are)", DropsTheAnswersText
    ),
    "ag_ui_app_tool_answered_by_server": encoder(
        "AG-UI: a call of the app's own tool is answered by a TOOL_CALL_RESULT from the server", AnswersTheAppsTools
    ),
    "ag_ui_history_ignored": Fault(
        "AG-UI: the agent answers from the last message only, not the conversation the app sent",
        {"conversation_agent": ForgetsTheConversation},
    ),
    "ag_ui_app_tools_ignored": Fault(
        "AG-UI: the tools the app declares are never offered to the agent", {"conversation_agent": IgnoresTheAppsTools}
    ),
    "ag_ui_app_results_ignored": Fault(
        "AG-UI: the app's tool results are dropped from the next run", {"conversation_agent": IgnoresTheAppsResults}
    ),
    "ag_ui_refusal_inside_the_stream": Fault(
        "AG-UI: a caller without valid credentials gets 200 and a RUN_ERROR instead of a 401",
        {"ag_ui_runs": RefusesInsideTheStream},
    ),
    "ag_ui_any_thread_joined": Fault(
        "AG-UI: a run may name another customer's thread and write into it", {"ag_ui_runs": JoinsAnyThread}
    ),
    "ag_ui_quota_not_checked": Fault(
        "AG-UI: runs are not counted against the chat limit", {"ag_ui_runs": SkipsTheQuota}
    ),
    "ag_ui_limit_refusal_says_not_when": Fault(
        "AG-UI: a run over the chat limit is refused with a 429 that has no Retry-After",
        {"ag_ui_runs": RefusesWithoutSayingWhen},
    ),
    "ag_ui_answers_not_kept": Fault(
        "AG-UI: the agent's answers are not kept in the conversation's history", {"ag_ui_runs": KeepsNoAnswers}
    ),
}
