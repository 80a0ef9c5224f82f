"""Named defects for proving that the suite catches them.

Each fault replaces one part of the platform with a faulty subclass. Nothing here is imported
unless the platform is started with `--fault NAME`, which only the test harness does.
"""

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, NamedTuple

import jwt
from starlette.websockets import WebSocket

from reference_platform.app import Blueprint
from reference_platform.chat.agent import RunEvents
from reference_platform.chat.socket import HandshakeAuthenticator
from reference_platform.chat.threads import ChatStore, Message
from reference_platform.identity.accounts import Accounts, TokenSet, User, UserStore, normalize_email
from reference_platform.identity.tokens import AccessClaims, AccessTokens
from reference_platform.problems import Problem


class SkipsThinking(RunEvents):
    async def thinking(self, summary: str) -> None:
        return None


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


class LetsAnyoneIn(HandshakeAuthenticator):
    async def authenticate(self, websocket: WebSocket) -> uuid.UUID:
        if "ticket" in websocket.query_params or "authorization" in websocket.headers:
            return await super().authenticate(websocket)
        return uuid.UUID(int=0)


class AcceptsAlgNone(AccessTokens):
    def verify(self, token: str) -> AccessClaims:
        if token.count(".") == 2 and jwt.get_unverified_header(token).get("alg") == "none":
            claims = jwt.decode(token, options={"verify_signature": False})
            return AccessClaims(subject=claims["sub"], token_id=claims["jti"], expires_at=claims["exp"])
        return super().verify(token)


class ForgetsAnswers(ChatStore):
    async def add_message(self, thread_id: uuid.UUID, role: str, content: str, run_id: uuid.UUID | None) -> Message:
        if role != "assistant":
            return await super().add_message(thread_id, role, content, run_id)
        return Message(uuid.uuid4(), thread_id, role, content, run_id, created_at=datetime.now(UTC))


class MisfilesAnswers(ChatStore):
    async def add_message(self, thread_id: uuid.UUID, role: str, content: str, run_id: uuid.UUID | None) -> Message:
        if role != "assistant":
            return await super().add_message(thread_id, role, content, run_id)
        other_thread = uuid.uuid4()
        await self.database.pool.execute(
            "INSERT INTO threads (id, user_id, title) SELECT $1, user_id, 'misfiled' FROM threads WHERE id = $2",
            other_thread,
            thread_id,
        )
        return await super().add_message(other_thread, role, content, run_id)


class AllowsDuplicateEmails(UserStore):
    async def create(self, email: str, password_hash: str) -> User | None:
        user = await super().create(email, password_hash)
        if user is not None:
            return user
        return await self.insert(email, f"{normalize_email(email)}#{uuid.uuid4().hex[:6]}", password_hash)


class RevealsUnknownEmails(Accounts):
    async def log_in(self, email: str, password: str) -> TokenSet:
        if await self.users.find_with_hash(email) is None:
            raise Problem(404, "unknown-email", "No account uses this email address")
        return await super().log_in(email, password)


class Fault(NamedTuple):
    description: str
    parts: dict[str, Any]


FAULTS: dict[str, Fault] = {
    "drop_agent_thinking": Fault("agent_thinking is never sent", {"run_events": SkipsThinking}),
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
    "handshake_without_credentials": Fault("the chat handshake accepts no credentials", {"handshake": LetsAnyoneIn}),
    "alg_none_accepted": Fault("an access token with alg none is accepted", {"access_tokens": AcceptsAlgNone}),
    "answer_not_saved": Fault("the agent's answer is not saved", {"chats": ForgetsAnswers}),
    "answer_in_other_thread": Fault("the agent's answer is saved to another thread", {"chats": MisfilesAnswers}),
    "duplicate_email_accepted": Fault(
        "a second account with a taken email is created", {"users": AllowsDuplicateEmails}
    ),
    "login_reveals_unknown_email": Fault(
        "a login with an unknown email says so",
        {"accounts": RevealsUnknownEmails},
    ),
}


def with_faults(blueprint: Blueprint, names: list[str]) -> Blueprint:
    unknown = sorted(set(names) - FAULTS.keys())
    if unknown:
        known = "\n".join(f"  {name}: {fault.description}" for name, fault in sorted(FAULTS.items()))
        raise SystemExit(f"unknown fault(s) {unknown}; known faults:\n{known}")
    for name in names:
        blueprint = replace(blueprint, **FAULTS[name].parts)
    return blueprint
