"""The runs she has received, and the question whose run she awaits: what her chat writes and her runs read."""

from support.abilities.persona import Persona
from support.clients.run_record import RunRecord


class RunLog:
    def __init__(self, persona: Persona) -> None:
        self.persona = persona
        self.seen: list[RunRecord] = []
        self.pending_question: str | None = None
        self.asked_at = 0.0
        self.timeline_title: str | None = None  # how the evidence names what she awaits, when not a question

    def await_answer(self, question: str, asked_at: float, title: str | None = None) -> None:
        self.pending_question, self.asked_at, self.timeline_title = question, asked_at, title

    def record(self, title: str, run: RunRecord) -> RunRecord:
        self.persona.evidence.record_timeline(title, run.events)
        self.seen.append(run)
        self.pending_question, self.timeline_title = None, None
        return run

    def asked(self) -> str:
        assert self.pending_question is not None, f"{self.persona.name} asked nothing"
        return self.pending_question
