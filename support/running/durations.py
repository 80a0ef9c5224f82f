"""`python -m support.running.durations [RESULTS]`: record how long each scenario of a run took in
features/durations.json, the file in the repository that a fresh clone's first run balances its workers by.

`make durations` runs every journey and then this. The file names exactly the scenarios the features hold
(one removed is dropped; one not run keeps its earlier figure), in tenths of a second (0.1 at least) so that
a refresh changes few lines. A unit test fails, naming `make durations`, when a scenario has no duration."""

import json
import sys
from pathlib import Path

from support.report.attempts import final, ran_durations
from support.running.plan import RECORDED_DURATIONS, collect, load_durations


def refresh(results: Path, path: Path = RECORDED_DURATIONS) -> tuple[int, list[str]]:
    """Write the durations of the run in `results` for every scenario; how many it holds, and those it lacks."""
    planned = {scenario.key for scenario in collect([])}
    measured = load_durations(path) | ran_durations(final(results))
    recorded = {key: max(0.1, round(seconds, 1)) for key, seconds in measured.items() if key in planned}
    path.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")
    return len(recorded), sorted(planned - recorded.keys())


def main(argv: list[str]) -> int:
    results = Path(argv[0] if argv else "allure-results")
    count, lacking = refresh(results)
    print(f"{RECORDED_DURATIONS}: {count} scenarios recorded")
    for key in lacking:
        print(f"  no duration yet (never passed or failed in {results}): {key}")
    return 1 if lacking else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
