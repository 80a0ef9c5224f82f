"""Talking to the agent through the port: whichever protocol and target the run is configured for."""

import functools
import os
import secrets

from support.abilities.account import Account
from support.abilities.persona import Persona
from support.abilities.session import Session
from support.agents.ag_ui import AgUiConversation
from support.agents.chat_socket import ChatSocketConversation
from support.agents.port import AgentTarget, agent_target
from support.agents.profile import Ask
from support.agents.run import AgentRun, AppTool
from support.agents.vercel_ai import VercelAiConversation
from support.stack.config import TargetConfig

Conversation = AgUiConversation | ChatSocketConversation | VercelAiConversation
STREAMED: dict[str, type[AgUiConversation] | type[VercelAiConversation]] = {
    "ag-ui": AgUiConversation,
    "vercel-ai": VercelAiConversation,
}  # the protocols of one POST per run
NOBODY = object()  # a conversation opened with no credentials at all


@functools.cache
def configured_target(config: TargetConfig) -> AgentTarget:
    return agent_target(config)


class AgentTalk:
    def __init__(self, persona: Persona, session: Session, account: Account) -> None:
        self.persona = persona
        self.session = session
        self.account = account
        self.conversation: Conversation | None = None
        self.runs: list[AgentRun] = []
        self.others: list[Conversation] = []  # conversations opened with someone else's thread or credentials
        self.expected: dict[str, str] = {}  # what a fresh fact the scenario made up must come back as

    @property
    def target(self) -> AgentTarget:
        return configured_target(self.persona.target)

    @property
    def profile_asks(self) -> dict[str, Ask]:
        profile = self.target.profile
        return {
            "tool": profile.tool_question,
            "failing tool": profile.failing_tool_question,
            "plain": profile.plain_question,
            "code word": profile.code_word,
            "app tool": profile.app_tool,
        }

    @property
    def bearer(self) -> str | None:
        auth = self.target.profile.auth
        if auth == "account":
            return self.session.token
        if auth.startswith("env:"):
            token = os.environ.get(auth.removeprefix("env:"))
            assert token, f"the agent profile asks for a bearer token in ${auth.removeprefix('env:')}, which is unset"
            self.persona.evidence.redactor.remember(token)
            return token
        return None

    async def start(self) -> None:
        """Ready to talk: signed up if the target has accounts, with a conversation of her own."""
        if self.target.profile.auth == "account" and self.persona.user_id is None:
            await self.account.sign_up_and_log_in()
        self.conversation = await self.open(self.bearer)

    async def open(self, bearer: str | object | None, thread_id: str | None = None, new: bool = True) -> Conversation:
        persona, timeout = self.persona, self.persona.event_timeout
        token = None if bearer is NOBODY else bearer if isinstance(bearer, str) else None
        if self.target.protocol == "chat-socket":
            chat = ChatSocketConversation(persona.api, token, f"{persona.name}'s app", timeout)
            if thread_id is not None:
                chat.thread_id = thread_id
            elif new:
                await chat.start()
            return chat
        url = self.target.run_url(persona.target.base_url)
        streamed: type[AgUiConversation] | type[VercelAiConversation] = STREAMED[self.target.protocol]
        return streamed(persona.api.http, url, f"{persona.name}'s app", persona.evidence, token, timeout, thread_id)

    @property
    def current(self) -> Conversation:
        assert self.conversation is not None, f"{self.persona.name} is not talking to the agent"
        return self.conversation

    @property
    def last_run(self) -> AgentRun:
        assert self.runs, f"{self.persona.name} has asked the agent nothing"
        return self.runs[-1]

    def kept(self, run: AgentRun) -> AgentRun:
        """Every run is kept for the checks; a stream cut off before its end fails the step that received it."""
        self.runs.append(run)
        if run.cut_off:
            raise AssertionError(
                f"Expected {self.persona.name}'s run to end with its terminal event, but the stream was cut off "
                f"before it. Received:\n{run.received()}"
            )
        return run

    async def ask(self, kind: str) -> AgentRun:
        return self.kept(await self.current.ask(self.profile_asks[kind].question))

    async def ask_with(self, credentials: str | None, kind: str = "plain") -> AgentRun:
        """Ask in a conversation opened with these credentials (None: none at all) instead of her own."""
        conversation = await self.open(credentials if credentials is not None else NOBODY, new=False)
        self.others.append(conversation)
        return self.kept(await conversation.ask(self.profile_asks[kind].question))

    def fact(self, kind: str) -> str:
        """What the answer to this kind of question must state: made up for the scenario, or the profile's."""
        return self.expected.get(kind, self.profile_asks[kind].fact)

    async def ask_in(self, thread_id: str, kind: str = "plain") -> AgentRun:
        """Ask, with her own credentials, in a conversation named by its id: someone else's, perhaps."""
        conversation = await self.open(self.bearer, thread_id)
        self.others.append(conversation)
        return self.kept(await conversation.ask(self.profile_asks[kind].question))

    def recall_code_word(self) -> None:
        """Her app holds an earlier turn that told the agent a code word (one this server never saw), made up
        afresh for the scenario so that no agent can know it from anywhere else."""
        conversation, ask = self.current, self.profile_asks["code word"]
        assert not isinstance(conversation, ChatSocketConversation), "only an app that sends the chat can hold one"
        self.expected["code word"] = f"{ask.fact}{secrets.token_hex(3)}"
        conversation.recall(ask.told.replace(ask.fact, self.expected["code word"]), "Noted.")

    def offer_app_tool(self) -> None:
        conversation = self.current
        assert isinstance(conversation, AgUiConversation), "only an app that declares tools can offer one"
        tool = self.profile_asks["app tool"].tool
        conversation.tools.append(AppTool(tool, f"Ask the customer to {tool.replace('_', ' ')}"))

    async def send_app_result(self) -> AgentRun:
        conversation, ask = self.current, self.profile_asks["app tool"]
        assert isinstance(conversation, AgUiConversation), "only an app that declares tools can answer one"
        waiting = [call for call, tool in self.last_run.tool_calls.items() if tool == ask.tool]
        assert waiting, f"{self.persona.name}'s last run left no call to {ask.tool} for her app to answer"
        self.expected["app tool"] = f"{ask.fact}-{secrets.token_hex(3)}"  # made up afresh: only her app knows it
        return self.kept(await conversation.answer_tool(waiting[-1], self.expected["app tool"]))

    async def ask_until_refused(self, most: int = 30) -> AgentRun:
        """Plain questions, one after another, until one is refused; never refused after `most` fails here."""
        for _ in range(most):
            run = await self.ask("plain")
            if run.refused is not None:
                return run
        raise AssertionError(f"Expected {self.persona.name}'s plan to refuse a question; {most} in a row were answered")

    async def history(self) -> list[dict[str, object]]:
        """Her conversation as the platform keeps it."""
        persona = self.persona
        listed = await persona.api.list_messages(self.session.token, self.current.thread_id)
        assert listed.status == 200, f"Expected {persona.name}'s conversation history: {listed}"
        messages: list[dict[str, object]] = listed.body["messages"]
        return messages

    async def close(self) -> None:
        for conversation in [*self.others, *([self.conversation] if self.conversation else [])]:
            if isinstance(conversation, ChatSocketConversation):
                await conversation.close()
