"""What a person waiting on a run sees while it goes: each scenario as it ends, and how far the run has got.

The workers write an Allure result the moment a scenario ends; this watches the results folder. On a
terminal a rich progress bar shows scenarios done of the total, passed / failed / broken so far, the time
elapsed and an estimate from the recorded durations; without one (CI, a pipe) each finished scenario is one
plain line. Either way a failed or broken scenario is printed when it ends, with its failing step and the
first line of its message, so reading can start before the run is over.
"""

import json
import threading
import time
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from support.report.attempts import NOT_PASSED, feature_of, scenario_key
from support.report.junit import failing_step
from support.running.plan import Planned, typical_duration

POLL_SECONDS = 0.25


def finished_line(result: dict[str, Any]) -> str:
    feature = feature_of(result)
    seconds = max(0, result.get("stop", 0) - result.get("start", 0)) / 1000
    return f"{result.get('status', 'unknown').upper():<7} {feature} :: {result.get('name')} ({seconds:.1f} s)"


def why_line(result: dict[str, Any]) -> str:
    message = str((result.get("statusDetails") or {}).get("message") or "(no message)").strip()
    step = failing_step(result.get("steps", []))
    first = message.splitlines()[0] if message else "(no message)"
    return f"    at: {step}\n    {first}" if step else f"    {first}"


class RunProgress:
    """Watches `results_dir` from a thread of its own while the workers run (a context manager)."""

    def __init__(
        self,
        scenarios: list[Planned],
        results_dir: Path,
        durations: dict[str, float],
        processes: int,
        console: Console | None = None,
    ) -> None:
        self.results_dir = results_dir
        self.console = console or Console(highlight=False)
        typical = typical_duration(scenarios, durations, unknown=2.0)
        self.expected = {s.key: (durations.get(s.key, typical), s.serial) for s in scenarios}
        self.processes = max(1, processes)
        self.latest: dict[str, str] = {}  # each scenario's latest status
        self.seen: set[str] = set()  # result files shown
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="run-progress", daemon=True)
        self._bar: Progress | None = None
        if self.console.is_terminal:
            self._bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[tally]}"),
                TimeElapsedColumn(),
                TextColumn("about {task.fields[left]} left"),
                console=self.console,
            )
            self._task = self._bar.add_task("Scenarios", total=len(scenarios), tally="", left="?")

    def __enter__(self) -> "RunProgress":
        self._already = {path.name for path in self.results_dir.glob("*-result.json")}
        self.started = time.monotonic()
        if self._bar is not None:
            self._bar.start()
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(5)
        self._take_new()
        if self._bar is not None:
            self._bar.stop()

    def _watch(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            self._take_new()

    def _take_new(self) -> None:
        for path in sorted(self.results_dir.glob("*-result.json"), key=lambda p: p.stat().st_mtime):
            if path.name in self._already or path.name in self.seen:
                continue
            try:
                result = json.loads(path.read_text())
            except (OSError, ValueError):
                continue  # still being written: read it on the next poll
            self.seen.add(path.name)
            self._show(result)

    def seconds_left(self) -> float:
        """From the recorded durations of the scenarios not done yet: the workers share the others; the
        serial ones run alone, after them."""
        left = [(seconds, serial) for key, (seconds, serial) in self.expected.items() if key not in self.latest]
        return sum(s for s, serial in left if not serial) / self.processes + sum(s for s, serial in left if serial)

    def _show(self, result: dict[str, Any]) -> None:
        status = str(result.get("status", "unknown"))
        self.latest[scenario_key(feature_of(result), str(result.get("name")))] = status
        line, failed = finished_line(result), status in NOT_PASSED
        if self._bar is None:
            self.console.print(escape(line + ("\n" + why_line(result) if failed else "")), soft_wrap=True)
            return
        if failed:
            self.console.print(f"[red]{escape(line)}[/red]\n{escape(why_line(result))}", soft_wrap=True)
        counts = Counter(self.latest.values())
        tally = ", ".join(f"{counts[s]} {s}" for s in ("passed", "failed", "broken") if counts[s])
        left = f"{self.seconds_left():.0f} s"
        self._bar.update(self._task, completed=len(self.latest), tally=tally, left=left)
