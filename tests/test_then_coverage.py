"""Every Then is proved at its own step: some caught defect makes a scenario fail at exactly that step, and every
scenario (every outline row) catches some defect. A check no defect can fail is not a check.

The failing steps come from the last run of the whole kill matrix (`make faults`, which `make test` runs first).
"""

import json

from tests.fault_matrix import CATALOGUE, MATRIX_FILE, StaleRecord, then_coverage
from tests.feature_index import scenarios

# Then steps that no catalogue defect needs to fail at, each with the reason. Keep it short.
ALLOW_LIST: dict[str, str] = {
    "{person:Person} chat is cut off abruptly, with no closing word from the server": (
        "the suite kills the server with SIGKILL, which no process can catch: no platform can send a close "
        "frame then, so the step confirms the kill the scenario is about rather than a promise a defect could break"
    ),
    "it answers that it is ready, with its database up": (
        "docs/contract/openapi.yaml fixes this whole answer (200, status ready, database up), so every defect in it "
        "is caught first, off the contract, at the step that asked (readiness_without_dependencies)"
    ),
}


def recorded_failures() -> dict[str, dict[str, str]]:
    assert MATRIX_FILE.is_file(), f"no kill-matrix record at {MATRIX_FILE}: run `make faults` (the whole catalogue)"
    recorded = json.loads(MATRIX_FILE.read_text())
    assert recorded["catalogue"] == sorted(CATALOGUE), "the kill-matrix record is stale: run `make faults` again"
    failures: dict[str, dict[str, str]] = recorded["failed_at"]
    try:
        then_coverage(failures)
    except StaleRecord as stale:
        raise AssertionError(f"the kill-matrix record is stale ({stale}): run `make faults` again") from None
    return failures


def test_every_catalogue_scenario_is_in_a_feature() -> None:
    named = {expected.scenario for expectations in CATALOGUE.values() for expected in expectations}
    assert named <= scenarios().keys(), sorted(named - scenarios().keys())


def test_every_scenario_and_outline_row_catches_a_defect() -> None:
    catching = {expected.scenario for expectations in CATALOGUE.values() for expected in expectations}
    idle = sorted(set(scenarios()) - catching)
    assert not idle, "These scenarios catch no defect of the catalogue:\n" + "\n".join(idle)


def test_every_then_step_is_the_failing_step_of_a_caught_defect() -> None:
    coverage = then_coverage(recorded_failures())
    uncovered = sorted(pattern for pattern, faults in coverage.items() if not faults and pattern not in ALLOW_LIST)
    assert not uncovered, (
        "No caught defect fails at these Then steps; add a defect that breaks exactly their promise "
        "(reference_platform/faults/, tests/fault_matrix.py) or allow-list them with a reason:\n" + "\n".join(uncovered)
    )


def test_the_allow_list_holds_only_steps_that_need_it() -> None:
    coverage = then_coverage(recorded_failures())
    stale = sorted(pattern for pattern in ALLOW_LIST if coverage.get(pattern))
    unknown = sorted(pattern for pattern in ALLOW_LIST if pattern not in coverage)
    assert not stale and not unknown, f"covered or unused allow-list entries: {stale + unknown}"
