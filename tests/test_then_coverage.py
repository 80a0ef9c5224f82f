"""Every Then names a promise that some defect in the catalogue breaks: a check no defect can fail is not a check."""

from tests.fault_matrix import CATALOGUE
from tests.feature_index import scenarios, then_patterns

# Then steps that no catalogue defect needs to break, each with the reason. Keep it short.
ALLOW_LIST: dict[str, str] = {}


def then_coverage() -> dict[str, list[str]]:
    """Every Then step pattern, with the catalogue defects whose catching scenarios use it."""
    coverage: dict[str, list[str]] = {pattern: [] for pattern in then_patterns()}
    for fault, expectations in CATALOGUE.items():
        for expected in expectations:
            for kind, pattern in scenarios()[expected.scenario].steps:
                if kind == "then" and fault not in coverage[pattern]:
                    coverage[pattern].append(fault)
    return coverage


def test_every_catalogue_scenario_is_in_a_feature() -> None:
    named = {expected.scenario for expectations in CATALOGUE.values() for expected in expectations}
    assert named <= scenarios().keys(), sorted(named - scenarios().keys())


def test_every_then_step_is_used_by_a_caught_defect() -> None:
    coverage = then_coverage()
    print("\n".join(f"{pattern}\n    {', '.join(faults) or '(none)'}" for pattern, faults in sorted(coverage.items())))
    uncovered = sorted(pattern for pattern, faults in coverage.items() if not faults and pattern not in ALLOW_LIST)
    assert not uncovered, (
        "These Then steps are used by no scenario that catches a catalogue defect; add a defect that breaks "
        "exactly their promise (reference_platform/faults/, tests/fault_matrix.py) or allow-list them with a reason:\n"
        + "\n".join(uncovered)
    )


def test_the_allow_list_holds_only_steps_that_need_it() -> None:
    coverage = then_coverage()
    stale = sorted(pattern for pattern in ALLOW_LIST if coverage.get(pattern))
    unknown = sorted(pattern for pattern in ALLOW_LIST if pattern not in coverage)
    assert not stale and not unknown, f"covered or unused allow-list entries: {stale + unknown}"
