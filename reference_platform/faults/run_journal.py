"""Defects in the run journal: the events kept for resuming, across instances and after a crash."""

import uuid
from typing import Any

from reference_platform.chat.runs import InstanceLease, RunJournal, RunState
from reference_platform.faults.chat_outages import HeldOnce
from reference_platform.faults.fault import Fault


class ReplaysTheLastSeenEvent(RunJournal):
    async def events_after(self, run_id: uuid.UUID, seq: int) -> list[dict[str, Any]]:
        return await super().events_after(run_id, max(0, seq - 1))


class SkipsTheFirstMissedEvent(RunJournal):
    async def events_after(self, run_id: uuid.UUID, seq: int) -> list[dict[str, Any]]:
        return await super().events_after(run_id, seq + 1)


class ResumesAnyonesRun(RunJournal):
    async def run_of(self, user_id: uuid.UUID, run_id: uuid.UUID) -> RunState | None:
        owner = await self.database.pool.fetchval(
            "SELECT t.user_id FROM runs r JOIN threads t ON t.id = r.thread_id WHERE r.id = $1", run_id
        )
        return await super().run_of(owner, run_id) if owner else None


class ForgetsFinishedRuns(RunJournal):
    async def run_of(self, user_id: uuid.UUID, run_id: uuid.UUID) -> RunState | None:
        state = await super().run_of(user_id, run_id)
        return RunState(state.thread_id, state.status, state.status != "running") if state else None


class RemembersEventsInMemory(RunJournal):
    """Keeps each run's events in this instance's memory: another instance knows nothing of them."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.memory: dict[uuid.UUID, list[dict[str, Any]]] = {}

    async def record(self, run_id: uuid.UUID, event: dict[str, Any]) -> None:
        await super().record(run_id, event)
        self.memory.setdefault(run_id, []).append(event)

    async def events_after(self, run_id: uuid.UUID, seq: int) -> list[dict[str, Any]]:
        return [event for event in self.memory.get(run_id, []) if event.get("seq", 0) > seq]


class LeavesCutOffRunsRunning(RunJournal):
    async def interrupt_orphans(self, run_id: uuid.UUID | None = None) -> int:
        return 0


class LeaseTakenOnce(InstanceLease):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.connection.__class__ = HeldOnce


class KeepsRunsForever(RunJournal):
    """A run never passes its retention: it can be resumed whenever."""

    async def run_of(self, user_id: uuid.UUID, run_id: uuid.UUID) -> RunState | None:
        state = await super().run_of(user_id, run_id)
        return RunState(state.thread_id, state.status, expired=False) if state else None


class EndsDeadRunsOnlyWhenResumed(RunJournal):
    """The runs of a dead server are ended only when someone resumes one: never at start or by housekeeping."""

    async def interrupt_orphans(self, run_id: uuid.UUID | None = None) -> int:
        return 0 if run_id is None else await super().interrupt_orphans(run_id)


class LeavesUnstoredEndingsRunning(RunJournal):
    """Back from an outage, the runs whose ending could not be stored are left running in the journal."""

    async def end_unfinished(self) -> None:
        return None


FAULTS: dict[str, Fault] = {
    "lease_taken_once": Fault(
        "after a database outage, the instance never takes its lease again", {"lease": LeaseTakenOnce}
    ),
    "runs_kept_forever": Fault("a run can be resumed past its retention", {"journal": KeepsRunsForever}),
    "unstored_endings_left_running": Fault(
        "back from an outage, a run whose ending was not stored stays running",
        {"journal": LeavesUnstoredEndingsRunning},
    ),
    "dead_runs_ended_only_when_resumed": Fault(
        "a dead server's runs are ended only when someone resumes one",
        {"journal": EndsDeadRunsOnlyWhenResumed},
    ),
    "resume_repeats_event": Fault(
        "a resumed run sends the last event the client saw again", {"journal": ReplaysTheLastSeenEvent}
    ),
    "resume_skips_event": Fault(
        "a resumed run leaves out the first event the client missed", {"journal": SkipsTheFirstMissedEvent}
    ),
    "resume_ignores_owner": Fault("anyone can resume any run by its id", {"journal": ResumesAnyonesRun}),
    "events_forgotten_at_run_end": Fault(
        "a run can no longer be resumed once it has ended", {"journal": ForgetsFinishedRuns}
    ),
    "resume_only_on_same_instance": Fault(
        "run events are kept in the memory of the instance that ran them", {"journal": RemembersEventsInMemory}
    ),
    "cut_off_runs_left_running": Fault(
        "the runs of a killed instance are never ended", {"journal": LeavesCutOffRunsRunning}
    ),
}
