"""A fresh clone's first run balances its workers as well as the tenth, and each run's results are its own."""

import json
from pathlib import Path

import pytest

from support.running import plan
from support.running.__main__ import start_afresh
from support.running.plan import Planned, balancing_durations, collect, load_durations, partition


def test_every_scenario_has_a_duration_recorded_in_the_repository() -> None:
    recorded = load_durations(plan.RECORDED_DURATIONS)
    planned = {scenario.key for scenario in collect([])}
    assert planned - recorded.keys() == set(), "scenarios with no recorded duration: run `make durations` and commit"
    assert recorded.keys() - planned == set(), "durations of scenarios that are gone: run `make durations` and commit"
    assert all(seconds > 0 for seconds in recorded.values())


def test_a_fresh_clone_balances_by_the_recorded_durations_and_a_machine_by_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded, local = tmp_path / "recorded.json", tmp_path / "local.json"
    recorded.write_text(json.dumps({"Chat :: slow": 10.0, "Chat :: quick": 1.0}))
    monkeypatch.setattr(plan, "RECORDED_DURATIONS", recorded)
    assert balancing_durations(local) == {"Chat :: slow": 10.0, "Chat :: quick": 1.0}
    local.write_text(json.dumps({"Chat :: quick": 2.5}))
    assert balancing_durations(local) == {"Chat :: slow": 10.0, "Chat :: quick": 2.5}


def test_a_scenario_with_no_recorded_duration_is_dealt_as_a_typical_one_not_as_nothing() -> None:
    scenarios = [Planned("Chat", name, f"features/chat.feature:{line}", frozenset())
                 for line, name in enumerate(["a", "b", "c", "new"], start=3)]  # fmt: skip
    durations = {"Chat :: a": 8.0, "Chat :: b": 4.0, "Chat :: c": 4.0}
    groups = partition(scenarios, 2, durations)  # "new" weighs the median, 4 s: 8 + 4 against 4 + 4
    assert sorted(sorted(s.name for s in group) for group in groups) == [["a", "new"], ["b", "c"]]


def test_a_run_starts_from_results_of_its_own(tmp_path: Path) -> None:
    results = tmp_path / "allure-results"
    results.mkdir()
    stale = ["1-result.json", "2-container.json", "3-attachment.txt", "environment.properties", "categories.json"]
    for name in stale:
        (results / name).write_text("{}")
    (results / "notes.md").write_text("not Allure's")
    start_afresh(results)
    assert sorted(path.name for path in results.iterdir()) == ["notes.md"]
    start_afresh(tmp_path / "not-there-yet")
