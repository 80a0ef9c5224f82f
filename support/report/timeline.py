"""A run's events as lines a person reads: when each came, its seq, its run and its type. Pure: no I/O, no allure,
so Locust's users can share it with the suite."""

import json
from typing import Any

from support.report.redaction import Redactor


def format_timeline(
    events: list[dict[str, Any]], redactor: Redactor | None = None, offsets: list[float] | None = None
) -> str:
    """One line per event: when it came (seconds after the question), seq, type, and the fields that identify it."""
    if not events:
        return "(no events)"
    lines = []
    for index, event in enumerate(events):
        details = {key: value for key, value in event.items() if key not in ("type", "seq", "run_id", "thread_id")}
        text = json.dumps(details, ensure_ascii=False) if details else ""
        if redactor is not None:
            text = redactor.text(text)
        run = str(event.get("run_id", "-"))[:8]
        at = f"+{offsets[index]:6.3f}s  " if offsets and index < len(offsets) else ""
        lines.append(f"{at}seq={event.get('seq', '?')!s:>3}  run={run}  {event.get('type', '?'):<15} {text}")
    return "\n".join(lines)
