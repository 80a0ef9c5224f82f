"""The agent's runs as she receives them on her chat: collected, listened to after their end, resumed."""

import time

from support.abilities.chat import Chat
from support.abilities.persona import Persona
from support.abilities.run_log import RunLog
from support.checks.event_stream import NEXT_QUESTION, last_seq
from support.clients.chat_runs import collect_run, collect_runs, collect_until, listen
from support.clients.run_record import RunRecord

LATE_RUN_WATCH_SECONDS = 1.5


class Runs:
    def __init__(self, persona: Persona, chat: Chat, log: RunLog) -> None:
        self.persona = persona
        self.chat = chat
        self.log = log
        self.interrupted: RunRecord | None = None  # what she saw of a run before she lost it
        self.resumed: RunRecord | None = None  # what the run sent on the new connection when she resumed it

    @property
    def seen(self) -> list[RunRecord]:
        return self.log.seen

    @property
    def asked_at(self) -> float:
        return self.log.asked_at

    async def ask_again(self, question: str = NEXT_QUESTION) -> tuple[RunRecord, bool]:
        """Ask on the chat she already has open: the run that answers, and whether it came on that same chat."""
        connection = self.chat.connection
        await self.chat.ask(question)
        return await self.latest_run(), self.chat.connection is connection

    async def latest_run(self, within: float | None = None) -> RunRecord:
        """The run answering the latest question, collected from the socket the first time it is needed
        (waiting `within` seconds of the question, by default the event timeout)."""
        persona = self.persona
        if self.log.pending_question is not None:
            question = self.log.asked()
            run = await collect_run(self.chat.open_connection, question, within or persona.event_timeout,
                                    self.asked_at)  # fmt: skip
            self.log.record(self.log.timeline_title or f"Event timeline: {persona.name} asks {question!r}", run)
        assert self.seen, f"{persona.name} has not asked anything yet"
        return self.seen[-1]

    async def refused_run(self) -> RunRecord:
        """The answer to a message the platform should refuse, watched a moment longer: a run that starts a
        little later (a refused question queued and run anyway) shows in it too."""
        run = await self.latest_run()
        await listen(self.chat.open_connection, run, time.monotonic() + LATE_RUN_WATCH_SECONDS)
        self.persona.evidence.record_timeline(
            f"Event timeline: {self.persona.name}'s chat, {LATE_RUN_WATCH_SECONDS:g} s after the refusal", run.events
        )
        return run

    async def heard_meanwhile(self, until: float) -> RunRecord:
        """What her chat received since she last read it, up to the monotonic `until`, when she asked nothing."""
        heard = RunRecord("(nothing: she asked no question)")
        await listen(self.chat.open_connection, heard, until)
        self.persona.evidence.record_timeline(f"Event timeline: {self.persona.name}'s chat, unasked", heard.events)
        return heard

    async def collect_runs(self, count: int) -> RunRecord:
        """Everything her chat receives until `count` runs have ended, as one record."""
        persona, question = self.persona, self.log.asked()
        record = await collect_runs(self.chat.open_connection, question, count, persona.event_timeout * count,
                                    self.asked_at)  # fmt: skip
        return self.log.record(f"Event timeline: {persona.name}'s chat, {count} runs", record)

    async def follow_run_until(self, event_type: str) -> RunRecord:
        """Listen to the latest question's run until `event_type` arrives: the run is then in progress."""
        persona, question = self.persona, self.log.asked()
        run = await collect_until(self.chat.open_connection, question, event_type, persona.event_timeout,
                                  self.asked_at)  # fmt: skip
        return self.log.record(f"Event timeline: {persona.name}'s run until {event_type}", run)

    async def keep_listening(self, seconds: float) -> RunRecord:
        """Go on listening to her chat until `seconds` after the latest run's terminal event (or the question)."""
        run = await self.latest_run()
        index = run.terminal_index
        since = run.arrivals[index] if index is not None else time.monotonic()
        await listen(self.chat.open_connection, run, since + seconds)
        self.persona.evidence.record_timeline(
            f"Event timeline: {self.persona.name}'s chat, {seconds:g} s after the run", run.events
        )
        return run

    def seconds_since_question(self) -> float:
        return time.monotonic() - self.asked_at

    @property
    def latest_run_id(self) -> str:
        name = self.persona.name
        assert self.seen, f"{name} has no run"
        run_id = next((event.get("run_id") for event in self.seen[-1].events if event.get("run_id")), None)
        assert run_id, f"{name}'s run carried no run_id:\n{self.seen[-1].received()}"
        return str(run_id)

    async def send_resume(self, run_id: str, after_seq: int) -> None:
        asked_at = time.monotonic()
        await self.chat.open_connection.send({"type": "resume", "run_id": run_id, "after_seq": after_seq})
        title = f"Event timeline: {self.persona.name} resumes a run after seq {after_seq}"
        self.log.await_answer(f"(resume after seq {after_seq})", asked_at, title)

    async def resume_run(self) -> RunRecord:
        """Reconnect (with a new ticket) and resume the latest run after the last seq she saw. The resumed
        events are kept apart (`resumed`), and the whole run as she saw it becomes her latest run."""
        chat = self.chat
        interrupted, run_id = self.seen[-1], self.latest_run_id
        await chat.try_connect(ticket=await chat.chat_ticket())
        assert chat.connection is not None, f"{self.persona.name} could not reconnect: {chat.handshake_refusal}"
        await self.send_resume(run_id, last_seq(interrupted))
        self.resumed = await self.latest_run()
        self.interrupted = interrupted
        whole = RunRecord(interrupted.question, asked_at=interrupted.asked_at)
        whole.events = [*interrupted.events, *self.resumed.events]
        whole.arrivals = [*interrupted.arrivals, *self.resumed.arrivals]
        self.seen[-1] = whole
        return self.resumed

    async def resume_foreign_run(self, run: RunRecord) -> None:
        """Ask, on her own chat, for the events of someone else's run."""
        run_id = next(str(event["run_id"]) for event in run.events if event.get("run_id"))
        await self.send_resume(run_id, 0)
