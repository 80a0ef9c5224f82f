"""Personas: what a person has (credentials, tokens, an open chat, the runs seen), acting through clients."""

import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from support.checks.event_stream import RunRecord, collect_run, listen
from support.clients.chat_connection import ChatConnection, HandshakeRefused
from support.clients.database_probe import SUITE_EMAIL_DOMAIN, DatabaseProbe
from support.clients.http_client import ApiResponse, PlatformApi, expect_status
from support.report.evidence import ScenarioEvidence

PRONOUNS = frozenset({"she", "he", "they", "her", "his", "their", "him", "them"})


def suite_email(name: str) -> str:
    """A fresh address per actor and scenario, in a domain that marks it as the suite's own."""
    return f"{name.lower()}-{uuid.uuid4().hex[:10]}@{SUITE_EMAIL_DOMAIN}"


@dataclass
class Actor:
    name: str
    api: PlatformApi
    chat_url: str
    evidence: ScenarioEvidence
    event_timeout: float
    email: str = ""
    password: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    user_id: str | None = None
    access_token: str | None = None
    thread_id: str | None = None
    connection: ChatConnection | None = None
    runs: list[RunRecord] = field(default_factory=list)
    pending_question: str | None = None
    asked_at: float = 0.0
    last_response: ApiResponse | None = None
    refused_logins: dict[str, list[ApiResponse]] = field(default_factory=dict)
    handshake_refusal: HandshakeRefused | None = None

    def __post_init__(self) -> None:
        self.email = self.email or suite_email(self.name)
        self.evidence.redactor.remember(self.password)

    async def try_sign_up(self, email: str | None = None, password: str | None = None) -> ApiResponse:
        response = await self.api.sign_up(email or self.email, password or self.password)
        if response.status == 201:
            self.evidence.redactor.remember(password)
            self.email, self.password = email or self.email, password or self.password
            self.user_id = response.body["id"]
        self.last_response = response
        return response

    async def sign_up(self) -> None:
        expect_status(await self.try_sign_up(), 201, f"{self.name} signs up as {self.email}")

    async def sign_up_and_log_in(self) -> None:
        await self.sign_up()
        await self.log_in()

    async def try_log_in(self, email: str | None = None, password: str | None = None) -> ApiResponse:
        response = await self.api.log_in(email or self.email, password or self.password)
        if response.status == 200 and isinstance(response.body, dict):
            self.evidence.redactor.remember(
                password, response.body.get("access_token"), response.body.get("refresh_token")
            )
            if email is None and password is None:
                self.access_token = response.body.get("access_token")
        self.last_response = response
        return response

    async def try_log_in_repeatedly(self, kind: str, email: str, password: str, times: int) -> None:
        """Attempts that are expected to be refused, kept by kind so their answers can be compared."""
        for _ in range(times):
            self.refused_logins.setdefault(kind, []).append(await self.try_log_in(email, password))

    async def log_in(self) -> None:
        expect_status(await self.try_log_in(), 200, f"{self.name} logs in")
        assert self.access_token, f"{self.name} logged in but the response carries no access_token"

    @property
    def token(self) -> str:
        assert self.access_token, f"{self.name} has no access token: log in first"
        return self.access_token

    async def open_chat(self) -> None:
        created = expect_status(
            await self.api.create_thread(self.token, "First chat"), 201, f"{self.name} opens a chat"
        )
        self.thread_id = created.body["id"]
        await self.try_connect(ticket=await self.chat_ticket())
        assert self.connection is not None, f"{self.name} could not open her chat: {self.handshake_refusal}"

    async def try_connect(self, ticket: str | None = None, bearer: str | None = None) -> None:
        """Attempt a chat handshake; a refusal is kept for the steps to judge."""
        try:
            self.connection = await ChatConnection.open(
                self.chat_url, self.name, self.evidence, ticket=ticket, bearer=bearer, timeout=self.event_timeout
            )
        except HandshakeRefused as refusal:
            self.handshake_refusal = refusal

    async def chat_ticket(self) -> str:
        issued = expect_status(await self.api.issue_ticket(self.token), 201, f"{self.name} asks for a chat ticket")
        ticket: str = issued.body["ticket"]
        self.evidence.redactor.remember(ticket)
        return ticket

    async def ask(self, question: str, thread_id: str | None = None) -> None:
        """Send a question into her chat, or into the thread named."""
        assert self.connection is not None and self.thread_id, f"{self.name} has no open chat"
        self.asked_at = time.monotonic()
        await self.connection.send(
            {"type": "user_message", "thread_id": thread_id or self.thread_id, "content": question}
        )
        self.pending_question = question

    async def keep_listening(self, seconds: float) -> RunRecord:
        """Go on listening to her chat until `seconds` after the latest run's terminal event (or the question)."""
        run = await self.latest_run()
        assert self.connection is not None
        index = run.terminal_index
        since = run.arrivals[index] if index is not None else time.monotonic()
        await listen(self.connection, run, since + seconds)
        self.evidence.record_timeline(f"Event timeline: {self.name}'s chat, {seconds:g} s after the run", run.events)
        return run

    async def latest_run(self) -> RunRecord:
        """The run answering the latest question, collected from the socket the first time it is needed."""
        if self.pending_question is not None:
            assert self.connection is not None
            run = await collect_run(self.connection, self.pending_question, self.event_timeout, self.asked_at)
            self.evidence.record_timeline(f"Event timeline: {self.name} asks {self.pending_question!r}", run.events)
            self.runs.append(run)
            self.pending_question = None
        assert self.runs, f"{self.name} has not asked anything yet"
        return self.runs[-1]

    async def chat_history(self) -> list[dict[str, Any]]:
        assert self.thread_id, f"{self.name} has no chat"
        listed = expect_status(
            await self.api.list_messages(self.token, self.thread_id), 200, f"{self.name} reads her chat history"
        )
        messages: list[dict[str, Any]] = listed.body["messages"]
        return messages

    async def stored_history(self, database: DatabaseProbe) -> list[dict[str, Any]]:
        """Her thread's messages as the platform's database holds them."""
        assert self.thread_id, f"{self.name} has no chat"
        rows = await database.stored_messages(self.thread_id)
        self.evidence.record_rows(f"Rows of {self.name}'s messages", rows)
        return rows

    async def leave(self) -> None:
        """Close the chat and erase the account this scenario created, whatever happened before."""
        if self.connection is not None:
            await self.connection.close()
        if self.user_id is None:
            return
        if self.access_token is None:
            await self.log_in()
        expect_status(await self.api.delete_account(self.token), 204, f"clean-up: delete {self.name}'s account")
        self.user_id = None


class Cast:
    """The actors of one scenario. A pronoun means the actor last named."""

    def __init__(
        self,
        api: PlatformApi,
        chat_url: str,
        evidence: ScenarioEvidence,
        event_timeout: float,
        database: DatabaseProbe,
    ) -> None:
        self.api = api
        self.database = database
        self.chat_url = chat_url
        self.evidence = evidence
        self.event_timeout = event_timeout
        self.actors: dict[str, Actor] = {}
        self.last_named: Actor | None = None

    @property
    def current(self) -> Actor:
        assert self.last_named is not None, "no actor has been named yet"
        return self.last_named

    def actor(self, reference: str) -> Actor:
        if reference.lower() in PRONOUNS:
            assert self.last_named is not None, f"'{reference}' refers to nobody: no actor has been named yet"
            return self.last_named
        if reference not in self.actors:
            self.actors[reference] = Actor(reference, self.api, self.chat_url, self.evidence, self.event_timeout)
        self.last_named = self.actors[reference]
        return self.last_named

    async def dismiss(self) -> None:
        errors = []
        for actor in self.actors.values():
            try:
                await actor.leave()
            except Exception as error:
                if actor.user_id is None or self.database.url is None:
                    errors.append(f"{actor.name}: {error}")
                    continue
                # The product would not let the account go (it may be the defect under test);
                # remove the suite's own user directly so no scenario leaves data behind.
                try:
                    await self.database.purge_suite_user(actor.user_id)
                except Exception as purge_error:
                    errors.append(f"{actor.name}: {error}; direct removal failed too: {purge_error}")
        if errors:
            raise RuntimeError("clean-up failed: " + "; ".join(errors))
