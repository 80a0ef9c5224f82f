"""Personas: what a person has (credentials, tokens, an open chat, the runs seen), acting through clients."""

import asyncio
import contextlib
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from support.checks.event_stream import RunRecord, collect_run, collect_runs, collect_until, last_seq, listen
from support.clients.browser import Browser
from support.clients.chat_connection import ChatConnection, Closed, HandshakeRefused
from support.clients.database_probe import SUITE_EMAIL_DOMAIN, DatabaseProbe
from support.clients.http_client import ApiResponse, PlatformApi, expect_status
from support.clients.oidc_sign_in import ProviderSignIn, SignIn
from support.clients.provider_login import load_provider_login
from support.clients.servers import chat_url
from support.clients.silent_chat import SilentChat
from support.clients.urls import query_secrets
from support.report.evidence import ScenarioEvidence
from support.stack.config import TargetConfig

PRONOUNS = frozenset({"she", "he", "they", "her", "his", "their", "him", "them"})


def suite_email(name: str) -> str:
    """A fresh address per actor and scenario, in a domain that marks it as the suite's own."""
    return f"{name.lower()}-{uuid.uuid4().hex[:10]}@{SUITE_EMAIL_DOMAIN}"


@dataclass
class Actor:
    name: str
    api: PlatformApi
    target: TargetConfig
    evidence: ScenarioEvidence
    email: str = ""
    password: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    user_id: str | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    token_responses: list[ApiResponse] = field(default_factory=list)
    previous_user_id: str | None = None
    presented: str | None = None  # a token an attacker presents
    export_location: str | None = None
    export_status: dict[str, Any] = field(default_factory=dict)
    download: ApiResponse | None = None
    writes: list[ApiResponse] = field(default_factory=list)
    erased: dict[str, Any] = field(default_factory=dict)  # what the database held for her just before erasure
    thread_before: list[dict[str, Any]] = field(default_factory=list)  # her thread's rows before someone tried it
    used_refresh_tokens: list[str] = field(default_factory=list)
    browser: Browser | None = None
    sign_ins: list[SignIn] = field(default_factory=list)
    thread_id: str | None = None
    connection: ChatConnection | None = None
    runs: list[RunRecord] = field(default_factory=list)
    pending_question: str | None = None
    asked_at: float = 0.0
    last_response: ApiResponse | None = None
    refused_logins: dict[str, list[ApiResponse]] = field(default_factory=dict)
    handshake_refusal: HandshakeRefused | None = None
    interrupted: RunRecord | None = None  # what she saw of a run before she lost it
    resumed: RunRecord | None = None  # what the run sent on the new connection when she resumed it
    silent_chat: SilentChat | None = None
    timeline_title: str | None = None  # how the evidence names what she is waiting for, when not a question

    def __post_init__(self) -> None:
        self.email = self.email or suite_email(self.name)
        self.evidence.redactor.remember(self.password)

    @property
    def chat_url(self) -> str:
        """A chat socket opens on the instance whose turn it is, as behind a load balancer."""
        return chat_url(self.api.servers.next())

    @contextlib.contextmanager
    def on_server(self, base_url: str) -> Iterator[None]:
        """Her requests and sockets go to this instance only, for as long as the block lasts."""
        spread, self.api = self.api, self.api.on(base_url)
        try:
            yield
        finally:
            self.api = spread

    @property
    def event_timeout(self) -> float:
        return self.target.event_timeout

    def take_tokens(self, response: ApiResponse) -> None:
        """Keep the token pair of a successful login, refresh or code exchange."""
        body = response.body if isinstance(response.body, dict) else {}
        self.evidence.redactor.remember(body.get("access_token"), body.get("refresh_token"))
        self.access_token, self.refresh_token = body.get("access_token"), body.get("refresh_token")
        self.token_responses.append(response)

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

    async def try_log_in(
        self, email: str | None = None, password: str | None = None, client_id: str | None = None
    ) -> ApiResponse:
        response = await self.api.log_in(email or self.email, password or self.password, client_id)
        self.evidence.redactor.remember(password)
        if response.status == 200 and email is None and password is None:
            self.take_tokens(response)
        elif response.status == 200 and isinstance(response.body, dict):
            self.evidence.redactor.remember(response.body.get("access_token"), response.body.get("refresh_token"))
        self.last_response = response
        return response

    async def try_log_in_repeatedly(self, kind: str, email: str, password: str, times: int) -> None:
        """Attempts that are expected to be refused, kept by kind so their answers can be compared."""
        for _ in range(times):
            self.refused_logins.setdefault(kind, []).append(await self.try_log_in(email, password))

    async def log_in(self, client_id: str | None = None) -> None:
        expect_status(await self.try_log_in(client_id=client_id), 200, f"{self.name} logs in")
        assert self.access_token, f"{self.name} logged in but the response carries no access_token"

    async def try_refresh(self, refresh_token: str | None = None) -> ApiResponse:
        """Present a refresh token (hers by default); a new pair replaces hers, the old one is kept as used."""
        presented = refresh_token or self.refresh_token
        assert presented, f"{self.name} has no refresh token"
        response = await self.api.refresh(presented)
        if response.status == 200:
            self.used_refresh_tokens.append(presented)
            self.take_tokens(response)
        self.last_response = response
        return response

    async def log_out(self) -> None:
        expect_status(await self.api.log_out(self.token), 204, f"{self.name} logs out")

    async def change_password(self) -> None:
        new = secrets.token_urlsafe(18)
        self.evidence.redactor.remember(new)
        changed = await self.api.change_password(self.token, self.password, new)
        expect_status(changed, 204, f"{self.name} changes her password")
        self.password = new

    async def fresh_browser(self) -> Browser:
        """A browser with an empty cookie jar, so the provider's own session cannot sign in someone else."""
        if self.browser is not None:
            await self.browser.close()
        self.browser = Browser(self.name, self.evidence, self.target.request_timeout)
        return self.browser

    async def provider_sign_in(self) -> ProviderSignIn:
        assert self.target.base_url is not None
        login = load_provider_login(self.target.provider_login)
        browser = await self.fresh_browser()
        return ProviderSignIn(browser, self.api, self.target.base_url, self.target.identity_provider, login)

    async def start_sign_in(self, login_name: str) -> tuple[ProviderSignIn, SignIn]:
        """A new sign-in in a fresh browser, sent on its way to the provider; the steps take it from there."""
        flow, sign_in = await self.provider_sign_in(), SignIn(login_name)
        self.sign_ins.append(sign_in)
        await flow.begin(sign_in)
        return flow, sign_in

    async def sign_in_with_provider(self, login_name: str) -> SignIn:
        """The whole sign-in, as her browser and app do it; a refusal at any leg is kept for the steps."""
        self.previous_user_id = self.user_id
        flow, sign_in = await self.start_sign_in(login_name)
        await flow.at_provider(sign_in)
        await flow.come_back(sign_in)
        if sign_in.login_code:
            exchanged = await flow.exchange(sign_in)
            if exchanged.status == 200:
                self.take_tokens(exchanged)
                me = expect_status(await self.api.me(self.token), 200, f"{self.name} reads her profile")
                self.user_id, self.email = me.body["id"], me.body["email"]
        return sign_in

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

    async def collect_runs(self, count: int) -> RunRecord:
        """Everything her chat receives until `count` runs have ended, as one record."""
        assert self.connection is not None and self.pending_question is not None, f"{self.name} asked nothing"
        record = await collect_runs(
            self.connection, self.pending_question, count, self.event_timeout * count, self.asked_at
        )
        self.evidence.record_timeline(f"Event timeline: {self.name}'s chat, {count} runs", record.events)
        self.pending_question = None
        self.runs.append(record)
        return record

    async def send_raw(self, text: str, what: str) -> None:
        """Send the chat a frame as it is, not a question: `what` names it in the evidence."""
        assert self.connection is not None, f"{self.name} has no open chat"
        self.asked_at = time.monotonic()
        await self.connection.send_text(text)
        self.pending_question = what

    async def keep_listening(self, seconds: float) -> RunRecord:
        """Go on listening to her chat until `seconds` after the latest run's terminal event (or the question)."""
        run = await self.latest_run()
        assert self.connection is not None
        index = run.terminal_index
        since = run.arrivals[index] if index is not None else time.monotonic()
        await listen(self.connection, run, since + seconds)
        self.evidence.record_timeline(f"Event timeline: {self.name}'s chat, {seconds:g} s after the run", run.events)
        return run

    async def latest_run(self, within: float | None = None) -> RunRecord:
        """The run answering the latest question, collected from the socket the first time it is needed
        (waiting `within` seconds of the question, by default the event timeout)."""
        if self.pending_question is not None:
            assert self.connection is not None
            timeout = within or self.event_timeout
            run = await collect_run(self.connection, self.pending_question, timeout, self.asked_at)
            title = self.timeline_title or f"Event timeline: {self.name} asks {self.pending_question!r}"
            self.evidence.record_timeline(title, run.events)
            self.timeline_title = None
            self.runs.append(run)
            self.pending_question = None
        assert self.runs, f"{self.name} has not asked anything yet"
        return self.runs[-1]

    async def follow_run_until(self, event_type: str) -> RunRecord:
        """Listen to the latest question's run until `event_type` arrives: the run is then in progress."""
        assert self.connection is not None and self.pending_question is not None, f"{self.name} asked nothing"
        run = await collect_until(self.connection, self.pending_question, event_type, self.event_timeout, self.asked_at)
        self.evidence.record_timeline(f"Event timeline: {self.name}'s run until {event_type}", run.events)
        self.runs.append(run)
        self.pending_question = None
        return run

    async def drop_connection(self) -> None:
        """Her connection is lost mid-run, without a close handshake (a phone leaving Wi-Fi)."""
        assert self.connection is not None, f"{self.name} has no open chat"
        await self.connection.drop()

    async def close_app(self) -> None:
        assert self.connection is not None, f"{self.name} has no open chat"
        await self.connection.close()

    async def follow_until_closed(self, seconds: float) -> Closed | None:
        """Listen to her chat until it closes (within `seconds`); events on the way join the latest run."""
        assert self.connection is not None, f"{self.name} has no open chat"
        run = self.runs[-1] if self.runs else RunRecord("(no question)")
        deadline = time.monotonic() + seconds
        while (arrival := await self.connection.next_frame(deadline)) is not None:
            if isinstance(arrival.frame, Closed):
                return arrival.frame
            run.events.append(arrival.frame)
            run.arrivals.append(arrival.at)
        return None

    def seconds_since_question(self) -> float:
        return time.monotonic() - self.asked_at

    @property
    def latest_run_id(self) -> str:
        assert self.runs, f"{self.name} has no run"
        run_id = next((event.get("run_id") for event in self.runs[-1].events if event.get("run_id")), None)
        assert run_id, f"{self.name}'s run carried no run_id:\n{self.runs[-1].received()}"
        return str(run_id)

    async def send_resume(self, run_id: str, after_seq: int) -> None:
        assert self.connection is not None, f"{self.name} has no open chat"
        self.asked_at = time.monotonic()
        await self.connection.send({"type": "resume", "run_id": run_id, "after_seq": after_seq})
        self.pending_question = f"(resume after seq {after_seq})"
        self.timeline_title = f"Event timeline: {self.name} resumes a run after seq {after_seq}"

    async def resume_run(self) -> RunRecord:
        """Reconnect (with a new ticket) and resume the latest run after the last seq she saw. The resumed
        events are kept apart (`resumed`), and the whole run as she saw it becomes her latest run."""
        interrupted, run_id = self.runs[-1], self.latest_run_id
        await self.try_connect(ticket=await self.chat_ticket())
        assert self.connection is not None, f"{self.name} could not reconnect: {self.handshake_refusal}"
        await self.send_resume(run_id, last_seq(interrupted))
        self.resumed = await self.latest_run()
        self.interrupted = interrupted
        whole = RunRecord(interrupted.question, asked_at=interrupted.asked_at)
        whole.events = [*interrupted.events, *self.resumed.events]
        whole.arrivals = [*interrupted.arrivals, *self.resumed.arrivals]
        self.runs[-1] = whole
        return self.resumed

    async def resume_foreign_run(self, run: RunRecord) -> None:
        """Ask, on her own chat, for the events of someone else's run."""
        run_id = next(str(event["run_id"]) for event in run.events if event.get("run_id"))
        await self.send_resume(run_id, 0)

    async def run_has_ended(self, database: DatabaseProbe) -> bool:
        row = await database.run_row(self.latest_run_id)
        return row is not None and row["status"] != "running"

    async def stored_run(self, database: DatabaseProbe) -> dict[str, Any] | None:
        row = await database.run_row(self.latest_run_id)
        self.evidence.record_rows(f"Row of {self.name}'s run", [row] if row else [])
        return row

    async def open_silent_chat(self) -> SilentChat:
        """Open a chat from an app that then answers nothing, not even pings."""
        self.silent_chat = await SilentChat.open(
            self.chat_url, await self.chat_ticket(), f"{self.name}'s silent app", self.evidence, self.event_timeout
        )
        return self.silent_chat

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

    async def stored_identities(self, database: DatabaseProbe) -> list[dict[str, Any]]:
        assert self.user_id, f"{self.name} has no account"
        rows = await database.identities_of(self.user_id)
        self.evidence.record_rows(f"Rows of {self.name}'s sign-in identities", rows)
        return rows

    async def wait_for_close(self, seconds: float) -> Closed | None:
        """How the platform closed her chat, if it did within `seconds`; events on the way are ignored."""
        assert self.connection is not None, f"{self.name} has no open chat"
        deadline = time.monotonic() + seconds
        while (arrival := await self.connection.next_frame(deadline)) is not None:
            if isinstance(arrival.frame, Closed):
                return arrival.frame
        return None

    async def request_export(self) -> None:
        requested = expect_status(await self.api.request_export(self.token), 202, f"{self.name} asks for an export")
        self.export_location = requested.headers.get("location")
        assert self.export_location, f"Expected a Location header on the 202; got {requested.describe()}"

    async def wait_for_export(self, timeout: float) -> dict[str, Any]:
        """Read the export's status until it is ready (or failed), within `timeout` seconds."""
        assert self.export_location, f"{self.name} has asked for no export"
        deadline = time.monotonic() + timeout
        while True:
            status = expect_status(
                await self.api.export_status(self.token, self.export_location), 200, f"{self.name} reads her export"
            )
            self.export_status = status.body
            self.evidence.redactor.remember(*query_secrets(status.body.get("download_url")))
            if status.body.get("status") in ("ready", "failed") or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        assert self.export_status.get("status") == "ready", (
            f"Expected her export to be ready within {timeout:g} s; its status is {self.export_status}"
        )
        return self.export_status

    async def download_export(self, url: str | None = None) -> ApiResponse:
        link = url or self.export_status.get("download_url")
        assert link, f"{self.name} has no download link"
        self.download = await self.api.download(self.token, link)
        return self.download

    async def open_thread(self) -> ApiResponse:
        """One write: open a chat thread (no socket)."""
        response = await self.api.create_thread(self.token, "Another chat")
        self.writes.append(response)
        return response

    async def write_until_refused(self, most: int = 300) -> ApiResponse:
        for _ in range(most):
            if (await self.open_thread()).status == 429:
                return self.writes[-1]
        raise AssertionError(f"{self.name} opened {most} chats and was never refused")

    async def remember_thread(self, database: DatabaseProbe) -> None:
        assert self.thread_id, f"{self.name} has no chat"
        self.thread_before = await database.thread_rows(self.thread_id)

    async def stored_thread(self, database: DatabaseProbe) -> list[dict[str, Any]]:
        assert self.thread_id, f"{self.name} has no chat"
        rows = await database.thread_rows(self.thread_id)
        self.evidence.record_rows(f"Rows of {self.name}'s chat", rows)
        return rows

    async def erase_account(self) -> None:
        expect_status(await self.api.delete_account(self.token, self.password), 204, f"{self.name} erases her account")
        self.user_id = None

    async def leave(self) -> None:
        """Close the chat and erase the account this scenario created, whatever happened before."""
        if self.connection is not None:
            await self.connection.close()
        if self.silent_chat is not None:
            self.silent_chat.close()
        if self.browser is not None:
            await self.browser.close()
        if self.user_id is None:
            return
        if self.access_token is None:
            await self.log_in()
        erased = await self.api.delete_account(self.token, self.password)
        if erased.status == 401:  # her session ended or expired in the scenario
            await self.log_in()
            erased = await self.api.delete_account(self.token, self.password)
        expect_status(erased, 204, f"clean-up: delete {self.name}'s account")
        self.user_id = None


class Cast:
    """The actors of one scenario. A pronoun means the actor last named."""

    def __init__(
        self, api: PlatformApi, target: TargetConfig, evidence: ScenarioEvidence, database: DatabaseProbe
    ) -> None:
        self.api = api
        self.database = database
        self.target = target
        self.evidence = evidence
        self.actors: dict[str, Actor] = {}
        self.crowd_evidence: list[ScenarioEvidence] = []  # a crowd's, attached whole at the end, not step by step
        self.devices: dict[tuple[str, str], Actor] = {}
        self.last_named: Actor | None = None

    async def device(self, owner: Actor, device: str) -> Actor:
        """The same customer, logged in again on another device: a session of her own."""
        if (owner.name, device) not in self.devices:
            other = Actor(f"{owner.name}'s {device}", self.api, self.target, self.evidence, owner.email, owner.password)
            await other.log_in()
            self.devices[(owner.name, device)] = other
        return self.devices[(owner.name, device)]

    @property
    def current(self) -> Actor:
        assert self.last_named is not None, "no actor has been named yet"
        return self.last_named

    def enlist(self, actor: Actor) -> Actor:
        """An actor made elsewhere (a crowd's) joins the cast, so that it is cleaned up with the rest."""
        self.actors[actor.name] = actor
        return actor

    def actor(self, reference: str) -> Actor:
        if reference.lower() in PRONOUNS:
            assert self.last_named is not None, f"'{reference}' refers to nobody: no actor has been named yet"
            return self.last_named
        if reference not in self.actors:
            self.actors[reference] = Actor(reference, self.api, self.target, self.evidence)
        self.last_named = self.actors[reference]
        return self.last_named

    async def dismiss(self) -> None:
        errors = []
        for actor in [*self.devices.values(), *self.actors.values()]:
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
