"""The report formatter gives every outcome its true status, against a real behave run."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.behave_runs import SuiteRun
from tests.report_browser import generate_report

PROJECT = Path(__file__).parent / "honest_statuses"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> SuiteRun:
    results = tmp_path_factory.mktemp("allure-results")
    completed = subprocess.run(
        [sys.executable, "-m", "behave", "--no-capture", "-f", "support.report.allure_report:HonestAllureFormatter",
         "-o", str(results), "features"],
        cwd=PROJECT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return SuiteRun(completed.returncode, completed.stdout + completed.stderr, results, 0)


@pytest.mark.parametrize(
    ("scenario", "status", "message"),
    [
        ("passes", "passed", None),
        ("an assertion fails", "failed", "Expected 1 event, got 2"),
        ("an unexpected exception", "broken", "ConnectionError: platform API at http://127.0.0.1:9"),
        ("an undefined step", "broken", "Undefined step: Given a step that nobody wrote"),
        ("a pending step", "broken", "Pending step (not implemented): Given a step that is still pending"),
        ("the before_scenario hook breaks", "broken", "before_scenario broke on purpose"),
        ("the after_scenario hook breaks", "broken", "after_scenario broke on purpose"),
    ],
)
def test_each_outcome_has_its_true_status(run: SuiteRun, scenario: str, status: str, message: str | None) -> None:
    result = run.by_name()[scenario]
    assert result["status"] == status
    if message:
        assert message in result["statusDetails"]["message"]


def test_nothing_is_reported_as_skipped(run: SuiteRun) -> None:
    assert {result["status"] for result in run.results()} == {"passed", "failed", "broken"}


def test_the_run_fails(run: SuiteRun) -> None:
    assert run.exit_code != 0


def test_failure_messages_are_redacted(run: SuiteRun) -> None:
    message = run.by_name()["a secret in a failure message"]["statusDetails"]["message"]
    assert "eyJ" not in message and "«redacted»" in message


def test_the_report_files_failures_under_product_defects_and_the_rest_under_environment(
    run: SuiteRun, tmp_path: Path
) -> None:
    report = generate_report(run.results_dir, tmp_path / "report")
    categories = {}
    for path in (report / "data" / "test-results").glob("*.json"):
        result = json.loads(path.read_text())
        categories[result["name"]] = [category["name"] for category in result.get("categories", [])]
    assert categories["an assertion fails"] == ["Product defects"]
    assert categories["the before_scenario hook breaks"] == ["Environment"]
    assert categories["an undefined step"] == ["Environment"]
    assert categories["passes"] == []


def test_a_feature_whose_set_up_breaks_fails_the_report_gate_by_name(run: SuiteRun) -> None:
    gate = subprocess.run(
        [sys.executable, "-m", "support.running.completeness", str(run.results_dir), "features"],
        cwd=PROJECT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert gate.returncode == 1, gate.stdout + gate.stderr
    assert "Feature 'A feature whose set-up breaks' went missing: 1 of its 1 scenarios have no result" in gate.stdout
    assert "a scenario of a feature whose before_feature hook breaks" in gate.stdout
    assert "Every outcome has a true status" not in gate.stdout
