"""What the platform's database holds of hers, read directly, each read attached to the evidence."""

from typing import Any

from support.abilities.chat import Chat
from support.abilities.persona import Persona
from support.abilities.runs import Runs
from support.clients.database_probe import DatabaseProbe


class Records:
    def __init__(self, persona: Persona, chat: Chat, runs: Runs) -> None:
        self.persona = persona
        self.chat = chat
        self.runs = runs
        self.thread_before: list[dict[str, Any]] = []  # her thread's rows before someone tried it

    def _rows(self, title: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Attach the rows to the evidence; `title` names her as {name}."""
        self.persona.evidence.record_rows(title.format(name=self.persona.name), rows)
        return rows

    @property
    def thread_id(self) -> str:
        thread_id = self.chat.thread_id
        assert thread_id, f"{self.persona.name} has no chat"
        return thread_id

    async def stored_history(self, database: DatabaseProbe) -> list[dict[str, Any]]:
        """Her thread's messages as the platform's database holds them."""
        return self._rows("Rows of {name}'s messages", await database.stored_messages(self.thread_id))

    async def stored_identities(self, database: DatabaseProbe) -> list[dict[str, Any]]:
        assert self.persona.user_id, f"{self.persona.name} has no account"
        return self._rows("Rows of {name}'s sign-in identities", await database.identities_of(self.persona.user_id))

    async def remember_thread(self, database: DatabaseProbe) -> None:
        self.thread_before = await database.thread_rows(self.thread_id)

    async def stored_thread(self, database: DatabaseProbe) -> list[dict[str, Any]]:
        return self._rows("Rows of {name}'s chat", await database.thread_rows(self.thread_id))

    async def stored_run(self, database: DatabaseProbe) -> dict[str, Any] | None:
        row = await database.run_row(self.runs.latest_run_id)
        self._rows("Row of {name}'s run", [row] if row else [])
        return row

    async def run_has_ended(self, database: DatabaseProbe) -> bool:
        row = await database.run_row(self.runs.latest_run_id)
        return row is not None and row["status"] != "running"

    async def runs_never_shown(self, database: DatabaseProbe) -> list[dict[str, Any]]:
        """The runs the database holds, in her chat and in the chat her last message named, that her chat never
        showed her as runs (an error frame naming a run does not count)."""
        shown = {str(event.get("run_id")) for run in self.runs.seen for event in run.events if event.get("seq")}
        rows = []
        for thread_id in dict.fromkeys([self.thread_id, self.chat.last_thread_asked or self.thread_id]):
            rows += await database.runs_in_thread(thread_id)
        self._rows("Rows of the runs in {name}'s chat and the chat she wrote to", rows)
        return [row for row in rows if row["run"] not in shown]

    async def chat_traces(self, database: DatabaseProbe) -> dict[str, int]:
        """What is left of her chat, found by the ids of the chat, of its answers and of its runs."""
        runs = self.runs.seen
        run_ids = sorted({str(event["run_id"]) for run in runs for event in run.events if event.get("run_id")})
        answers = sorted({str(event["message_id"]) for run in runs for event in run.events if event.get("message_id")})
        traces = await database.chat_traces(self.thread_id, answers, run_ids)
        self._rows("What is left of {name}'s chat, by ids", [traces])
        return traces

    async def run_ending(self, database: DatabaseProbe) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """Her latest run's row and the last event stored for it."""
        run_id = self.runs.latest_run_id
        row, last = await database.run_row(run_id), await database.last_event_of(run_id)
        self._rows("Row of {name}'s run, and its last stored event", [row or {}, last or {}])
        return row, last
