"""The contract map (features/contract.toml) cannot drift from the journeys: every promise is checked by a
scenario that exists or says why it is not yet, and every scenario checks a promise."""

import json
import re
from pathlib import Path

from support.report.contract import Promise, load, page, promises_of, statuses, title_pattern
from tests.feature_index import FEATURES, scenarios

TITLE = re.compile(r"^\s*Scenario(?: Outline)?:\s*(.+?)\s*$", re.MULTILINE)
PROMISE_ID = re.compile(r"^[a-z0-9]+(?:[.-][a-z0-9]+)*$")


def feature_titles() -> set[str]:
    return {title for path in FEATURES.glob("*.feature") for title in TITLE.findall(path.read_text())}


def test_promise_ids_are_unique_and_stable_words() -> None:
    ids = [promise.id for promise in load()]
    assert len(ids) == len(set(ids)), f"promise ids named twice: {sorted({i for i in ids if ids.count(i) > 1})}"
    malformed = [promise_id for promise_id in ids if not PROMISE_ID.fullmatch(promise_id)]
    assert not malformed, f"promise ids must be lowercase words joined by '.' or '-': {malformed}"


def test_every_promise_is_checked_by_scenarios_that_exist_or_says_why_not() -> None:
    titles = feature_titles()
    for promise in load():
        gone = [title for title in promise.scenarios if title not in titles]
        assert not gone, f"{promise.id} names scenarios the features no longer have: {gone}"
        assert bool(promise.scenarios) != bool(promise.unchecked), (
            f"{promise.id} must either name the scenarios that check it or say why none does (unchecked), not both"
        )


def test_every_scenario_checks_a_promise() -> None:
    orphans = sorted(name for name in scenarios() if not promises_of(name))
    assert not orphans, f"scenarios that check no promise of the contract map: {orphans}"


def test_an_outline_title_stands_for_each_of_its_rows() -> None:
    pattern = title_pattern("A chat connection with <credentials> is refused before it opens")
    assert pattern.fullmatch("A chat connection with a made-up ticket is refused before it opens")
    assert not pattern.fullmatch("A chat connection with a made-up ticket is refused")


def test_the_coverage_page_shows_each_promise_with_its_worst_scenario(tmp_path: Path) -> None:
    for number, (name, status, stop) in enumerate([("A", "passed", 1), ("B", "failed", 1), ("B", "passed", 2)]):
        (tmp_path / f"{number}-result.json").write_text(json.dumps({"name": name, "status": status, "stop": stop}))
    found = statuses(tmp_path)
    assert found == {"A": "passed", "B": "passed"}, "a retried scenario counts with its last attempt"
    found["C"] = "broken"
    promises = (
        Promise("kept", "A holds", ("A",)),
        Promise("mixed", "A and C hold", ("A", "C")),
        Promise("gap", "nobody checks this", (), unchecked="no journey yet"),
        Promise("idle", "not selected", ("D",)),
    )
    html = page(promises, found)
    for promise_id, status in [("kept", "passed"), ("mixed", "broken"), ("gap", "unchecked"), ("idle", "not run")]:
        row = re.search(rf"<tr><td><code>{promise_id}</code>.*?</tr>", html)
        assert row and f">{status}</td>" in row.group(0), f"{promise_id} should show {status}: {row}"
    assert "no journey yet" in html
