"""The report's quality gate: every scenario behave selected has a result, or the run fails naming what is missing.

allure-behave drops a whole feature from the results when its before_feature hook fails (allure-python #899),
and a run that silently lost a feature still looks green. So:

    python -m support.running.completeness allure-results [the same selection arguments behave got]

collects the scenarios with `behave --dry-run` (no hooks run, nothing is started) and compares them,
feature by feature, with the results on disk. Exit 0 when every one has a result, 1 otherwise.
"""

import hashlib
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from uuid import uuid4

from support.agents.port import agent_target, not_offered
from support.report.attempts import feature_of
from support.running.plan import collect, userdata
from support.stack.config import load_config

Key = tuple[str, str]  # (feature, scenario)
GROUPING_LABELS = frozenset({"feature", "epic", "parentSuite", "suite"})


def collected(selection: list[str]) -> Counter[Key]:
    """What behave selects with these arguments and the configured agent protocol and target offer what it needs."""
    agent = agent_target(load_config(userdata(selection), os.environ))
    return Counter((s.feature, s.name) for s in collect(selection) if not not_offered(s.tags, agent))


def reported(results_dir: Path) -> Counter[Key]:
    keys: Counter[Key] = Counter()
    for path in results_dir.glob("*-result.json"):
        result = json.loads(path.read_text())
        keys[(feature_of(result), result["name"])] += 1
    return keys


def missing_by_feature(expected: Counter[Key], found: Counter[Key]) -> dict[str, list[str]]:
    missing: dict[str, list[str]] = {}
    for (feature, scenario), count in (expected - found).items():
        missing.setdefault(feature, []).extend([scenario] * count)
    return missing


def record_missing(results_dir: Path, missing: dict[str, list[str]], reason: str) -> None:
    """A broken result for each selected scenario that has none, so the report shows every one, with why."""
    labels_of = {}
    for path in results_dir.glob("*-result.json"):
        result = json.loads(path.read_text())
        labels_of[feature_of(result)] = [
            label for label in result.get("labels", []) if label["name"] in GROUPING_LABELS
        ]
    now = int(time.time() * 1000)
    for feature, scenarios in missing.items():
        labels = labels_of.get(feature) or [{"name": "feature", "value": feature}]
        for scenario in scenarios:
            uuid = str(uuid4())
            result = {
                "uuid": uuid,
                "name": scenario,
                "fullName": f"{feature}: {scenario}",
                "historyId": hashlib.md5(f"{feature}: {scenario}".encode()).hexdigest(),
                "status": "broken",
                "statusDetails": {"message": f"No result: {reason}"},
                "stage": "finished",
                "start": now,
                "stop": now,
                "labels": labels,
            }
            (results_dir / f"{uuid}-result.json").write_text(json.dumps(result))


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    results_dir, selection = Path(argv[0]), argv[1:]
    expected, found = collected(selection), reported(results_dir)
    missing = missing_by_feature(expected, found)
    total = sum(expected.values())
    if not missing:
        print(f"Report complete: all {total} selected scenarios have a result in {results_dir}.")
        return 0
    lost = sum(len(scenarios) for scenarios in missing.values())
    print(f"REPORT INCOMPLETE: {lost} of {total} selected scenarios have no result in {results_dir}.")
    for feature, scenarios in sorted(missing.items()):
        of = sum(count for (name, _), count in expected.items() if name == feature)
        print(f"  Feature '{feature}' went missing: {len(scenarios)} of its {of} scenarios have no result:")
        print("\n".join(f"    - {scenario}" for scenario in sorted(scenarios)))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
