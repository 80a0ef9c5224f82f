"""Which scenarios a run holds, how long each took last time, and how they are split over workers and shards."""

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from support.report.attempts import scenario_key

# They restart a server or the database, break the export store, or load the platform with a crowd: on a stack of
# their own, they disturb nobody and nobody's requests share their platform.
OWN_STACK_TAGS = frozenset({"restarts", "breaks_storage", "load"})
SERIAL_TAGS = OWN_STACK_TAGS | {"serial"}  # they disturb other scenarios, or must not be disturbed
DURATIONS_FILE = Path("reports/durations.json")  # this machine's latest, written by every unsharded run
# In the repository, refreshed by `make durations`: a fresh clone's first run balances by them too.
RECORDED_DURATIONS = Path(__file__).resolve().parents[2] / "features" / "durations.json"


@dataclass(frozen=True)
class Planned:
    feature: str
    name: str
    location: str  # features/x.feature:12, which behave runs alone
    tags: frozenset[str]

    @property
    def key(self) -> str:
        return scenario_key(self.feature, self.name)

    @property
    def serial(self) -> bool:
        return bool(self.tags & SERIAL_TAGS)

    @property
    def needs_own_stack(self) -> bool:
        return bool(self.tags & OWN_STACK_TAGS)


def userdata(behave_args: list[str]) -> dict[str, str]:
    """The -D key=value pairs among behave's arguments."""
    pairs: dict[str, str] = {}
    for flag, value in pairwise([*behave_args, ""]):
        if flag in ("-D", "--define") and "=" in value:
            key, _, setting = value.partition("=")
            pairs[key] = setting
    return pairs


def typical_duration(scenarios: list[Planned], durations: dict[str, float], unknown: float = 1.0) -> float:
    """The median recorded duration of these scenarios: the estimate for one that has none yet (a new scenario),
    never zero, so a worker dealt new scenarios is not taken for idle."""
    known = sorted(durations[s.key] for s in scenarios if s.key in durations)
    return known[len(known) // 2] if known else unknown


def collect(selection: list[str]) -> list[Planned]:
    """The scenarios behave selects with these arguments, found by a dry run (no hook runs, nothing starts)."""
    with tempfile.TemporaryDirectory(prefix="plan-") as workdir:
        plan = Path(workdir) / "plan.json"
        dry_run = [sys.executable, "-m", "behave", "--dry-run", "--no-summary", "-f", "json", "-o", str(plan),
                   "-D", f"allure_results={workdir}/ignored", *selection]  # fmt: skip
        completed = subprocess.run(dry_run, capture_output=True, text=True, timeout=120)
        if not plan.exists():
            raise SystemExit(f"behave --dry-run could not list the scenarios:\n{completed.stdout}{completed.stderr}")
        features = json.loads(plan.read_text() or "[]")
    return [
        Planned(
            feature["name"],
            element["name"],
            element["location"],
            frozenset(feature.get("tags", [])) | frozenset(element.get("tags", [])),
        )
        for feature in features
        for element in feature.get("elements", [])
        if element.get("type") == "scenario" and element.get("status") != "skipped"
    ]


def load_durations(path: Path = DURATIONS_FILE) -> dict[str, float]:
    try:
        durations = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {str(key): float(value) for key, value in durations.items()} if isinstance(durations, dict) else {}


def balancing_durations(path: Path = DURATIONS_FILE) -> dict[str, float]:
    """What a run balances by: the durations recorded in the repository, overlaid by this machine's own."""
    return load_durations(RECORDED_DURATIONS) | load_durations(path)


def save_durations(measured: dict[str, float], path: Path = DURATIONS_FILE) -> None:
    """Keep the latest duration of every scenario seen, so the next run balances by them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(load_durations(path) | measured, indent=1, sort_keys=True) + "\n")


def partition(
    scenarios: list[Planned], bins: int, durations: dict[str, float], loads: list[float] | None = None
) -> list[list[Planned]]:
    """Longest first, each to the lightest bin: balanced by recorded durations, or by count when none are known.
    `loads` are what each bin holds already (seconds). Deterministic: the same scenarios, durations and loads
    always give the same bins."""
    typical = typical_duration(scenarios, durations)
    weight = {s.location: durations.get(s.key, typical) for s in scenarios}
    held, groups = list(loads or [0.0] * bins), [[] for _ in range(bins)]  # type: list[float], list[list[Planned]]
    for scenario in sorted(scenarios, key=lambda s: (-weight[s.location], s.location)):
        lightest = held.index(min(held))
        groups[lightest].append(scenario)
        held[lightest] += weight[scenario.location]
    return groups


def seconds_of(scenarios: list[Planned], durations: dict[str, float]) -> float:
    """How long these scenarios take one after another, by recorded durations (the median for one unknown)."""
    typical = typical_duration(scenarios, durations)
    return sum(durations.get(s.key, typical) for s in scenarios)


def shard(scenarios: list[Planned], spec: str, durations: dict[str, float]) -> list[Planned]:
    """`k/n`: the k-th of n balanced shards (1-based)."""
    try:
        index, count = (int(part) for part in spec.split("/"))
    except ValueError:
        raise SystemExit(f"SHARD must look like 2/4, got {spec!r}") from None
    if not 1 <= index <= count:
        raise SystemExit(f"SHARD {spec}: the shard number must be between 1 and {count}")
    chosen = {s.location for s in partition(scenarios, count, durations)[index - 1]}
    return [s for s in scenarios if s.location in chosen]
