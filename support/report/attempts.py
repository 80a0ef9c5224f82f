"""What the results say once a run (and its retries) is over: the final attempt of each scenario, and flakiness.

Every attempt's result stays in the results directory, evidence and all; Allure shows the earlier ones as
the retries of the last. A scenario whose last attempt passed after an earlier one did not is marked flaky
(Allure's `statusDetails.flaky`)."""

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.checks.conformance import OFF_CONTRACT

NOT_PASSED = ("failed", "broken")
CONFORMANCE_LABEL = "contract_checked"  # on each result: the platform's answers and frames held to docs/contract/


def scenario_key(feature: str, name: str) -> str:
    """How the plan, the durations and the attempts name a scenario: feature :: scenario."""
    return f"{feature} :: {name}"


@dataclass(frozen=True)
class Attempt:
    feature: str
    name: str
    status: str
    start: int
    stop: int
    path: Path

    @property
    def key(self) -> str:
        return scenario_key(self.feature, self.name)

    @property
    def seconds(self) -> float:
        return max(0.0, (self.stop - self.start) / 1000)


def feature_of(result: dict[str, Any]) -> str:
    """The feature an Allure result belongs to, from its labels."""
    return next((label["value"] for label in result.get("labels", []) if label["name"] == "feature"), "?")


def attempts(results_dir: Path) -> dict[str, list[Attempt]]:
    """Every result on disk, by scenario, oldest attempt first."""
    found: dict[str, list[Attempt]] = {}
    for path in results_dir.glob("*-result.json"):
        result: dict[str, Any] = json.loads(path.read_text())
        attempt = Attempt(feature_of(result), result["name"], result.get("status", "unknown"), result.get("start", 0),
                          result.get("stop", 0), path)  # fmt: skip
        found.setdefault(attempt.key, []).append(attempt)
    return {key: sorted(runs, key=lambda attempt: attempt.start) for key, runs in found.items()}


def final(results_dir: Path) -> dict[str, Attempt]:
    return {key: runs[-1] for key, runs in attempts(results_dir).items()}


def mark_flaky(results_dir: Path) -> list[str]:
    """Mark each scenario that passed only after a failed or broken attempt; the keys of those marked."""
    flaky = []
    for key, runs in attempts(results_dir).items():
        if runs[-1].status == "passed" and any(run.status in NOT_PASSED for run in runs[:-1]):
            result = json.loads(runs[-1].path.read_text())
            result.setdefault("statusDetails", {})["flaky"] = True
            runs[-1].path.write_text(json.dumps(result))
            flaky.append(key)
    return sorted(flaky)


def ran_durations(results: dict[str, Attempt]) -> dict[str, float]:
    """How long each scenario took, from attempts that really ran it: a broken one (the test bed down, a lost
    worker) ends early, and balancing the next run by it would deal one worker almost everything."""
    return {key: attempt.seconds for key, attempt in results.items() if attempt.status in ("passed", "failed")}


def tally(results_dir: Path, flaky: list[str]) -> Counter[str]:
    counts = Counter(attempt.status for attempt in final(results_dir).values())
    counts["flaky"] = len(flaky)
    return counts


def conformance(results: dict[str, Attempt]) -> tuple[int, int, int]:
    """From the final attempts: the platform's answers and chat frames held to the contract documents, and the
    scenarios that failed on one off it."""
    answers = frames = off = 0
    for attempt in results.values():
        result = json.loads(attempt.path.read_text())
        checked = next((label["value"] for label in result.get("labels", []) if label["name"] == CONFORMANCE_LABEL), "")
        counts = dict(part.split("=", 1) for part in checked.split())
        answers, frames = answers + int(counts.get("answers", 0)), frames + int(counts.get("frames", 0))
        off += OFF_CONTRACT in result.get("statusDetails", {}).get("message", "")
    return answers, frames, off
