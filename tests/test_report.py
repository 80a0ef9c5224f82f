"""The Allure report as stakeholders read it, checked in headless Chromium: evidence by step, the story,
the environment and history. Screenshots of each page go to reports/screenshots/."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from support.report.environment import without_password
from support.stack.embedded_stack import EmbeddedStack
from tests.behave_runs import ROOT, run_suite
from tests.report_browser import Page, generate_report, report_test_id, serve

SCREENSHOTS = ROOT / "reports" / "screenshots"
FIRST_CHAT = "A new customer sees the agent work through their first question"
FEATURE = "features/signup_to_first_chat.feature"


@pytest.fixture(scope="module")
def two_reports(stack: EmbeddedStack, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same journeys run twice against one deployment; each report keeps history in one shared file."""
    workdir = tmp_path_factory.mktemp("history")
    reports = []
    for attempt in (1, 2):
        results = workdir / f"results-{attempt}"
        run = run_suite(
            results, "-D", f"base_url={stack.base_url}", "-D", f"database_url={stack.database_url}", FEATURE
        )
        assert run.exit_code == 0, run.output[-2000:]
        reports.append(generate_report(results, workdir / f"report-{attempt}", history=workdir / "history.jsonl"))
    return reports[0], reports[1]


@pytest.fixture(scope="module")
def defect_report(stack: EmbeddedStack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("defect")
    run = run_suite(workdir / "results", "-D", f"database_url={stack.database_url}",
                    "-D", "platform_faults=drop_agent_thinking", "-n", FIRST_CHAT, FEATURE)  # fmt: skip
    assert run.by_name()[FIRST_CHAT]["status"] == "failed", run.output[-2000:]
    return generate_report(workdir / "results", workdir / "report")


@pytest.fixture
def first_chat_page(two_reports: tuple[Path, Path]) -> Iterator[tuple[Page, str]]:
    report = two_reports[1]
    test_id = report_test_id(report, FIRST_CHAT)
    with serve(report) as url, Page(f"{url}#{test_id}") as page:
        yield page, test_id


def test_each_step_carries_the_evidence_it_made(first_chat_page: tuple[Page, str]) -> None:
    page, _ = first_chat_page
    signed_up = page.step("Given Alice has signed up and logged in")
    assert "POST /auth/signup → 201" in signed_up and "POST /auth/login → 200" in signed_up
    assert "Frames on Alice's chat socket" in page.step('When she asks the agent "What would 1M tokens')
    page.screenshot(SCREENSHOTS / "evidence-by-step.png")


def test_the_failing_step_carries_its_evidence(defect_report: Path) -> None:
    test_id = report_test_id(defect_report, FIRST_CHAT)
    with serve(defect_report) as url, Page(f"{url}#{test_id}") as page:
        failing = page.step("Then within 2 seconds she sees exactly these events")
        page.screenshot(SCREENSHOTS / "failing-step-evidence.png")
        assert "no 'agent_thinking' came after that" in page.text("Failed")
    assert "Frames on Alice's chat socket" in failing and "Event timeline: Alice asks" in failing


def test_the_test_page_tells_the_features_story(first_chat_page: tuple[Page, str]) -> None:
    page, _ = first_chat_page
    text = page.description()
    assert "Feature: A new customer gets a useful answer within seconds of signing up" in text
    assert "Accounts are protected: an email address belongs to one account" in text
    assert "Words used here" in text
    page.screenshot(SCREENSHOTS / "feature-story.png")


def test_the_report_names_what_was_tested(two_reports: tuple[Path, Path]) -> None:
    with serve(two_reports[1]) as url, Page(url) as page:
        text = page.text("Platform version")
        page.screenshot(SCREENSHOTS / "environment.png")
    for shown in ("chat-acceptance reference platform", "PostgreSQL 18", "Suite commit", "external deployment"):
        assert shown in text, shown


def history_entries(report: Path) -> list[str]:
    """The entries the first chat's History tab lists, each as the browser shows it."""
    test_id = report_test_id(report, FIRST_CHAT)
    with serve(report) as url, Page(f"{url}#{test_id}/history") as page:
        page.text("Environments")
        entries = page.locator("[data-testid=test-result-history-item]")
        if not entries.count():
            page.text("No history information available")
        page.screenshot(SCREENSHOTS / f"history-of-{report.name}.png")
        return entries.all_inner_texts()


def first_chat_stop(history: Path, entry: int = 0) -> datetime:
    """When the first chat of the history file's `entry`-th run ended, in UTC (the browser's zone)."""
    run = json.loads(history.read_text().splitlines()[entry])
    [result] = [result for result in run["testResults"].values() if result["name"] == FIRST_CHAT]
    return datetime.fromtimestamp(result["stop"] / 1000, UTC)


def shown_date(moment: datetime) -> str:
    """A date as the report shows it in the en-US locale: month and day without leading zeros."""
    return f"{moment.month}/{moment.day}/{moment.year} at "


def test_the_second_run_shows_the_first_in_its_history(two_reports: tuple[Path, Path]) -> None:
    first, second = (history_entries(report) for report in two_reports)
    history = two_reports[0].parent / "history.jsonl"
    assert first == [], first
    assert len(second) == 1 and shown_date(first_chat_stop(history)) in second[0], second


def test_history_reads_any_date(two_reports: tuple[Path, Path], tmp_path: Path) -> None:
    """The first run moved to 5 January 2027 at 09:04 UTC: a one-digit day and month, and a morning hour."""
    history = two_reports[0].parent / "history.jsonl"
    first_run = json.loads(history.read_text().splitlines()[0])
    shift_ms = int((datetime(2027, 1, 5, 9, 4, 3, tzinfo=UTC) - first_chat_stop(history)).total_seconds() * 1000)
    first_run["timestamp"] += shift_ms
    for result in first_run["testResults"].values():
        result["start"] += shift_ms
        result["stop"] += shift_ms
    moved = tmp_path / "history.jsonl"
    moved.write_text(json.dumps(first_run) + "\n")
    results = two_reports[1].parent / "results-2"
    entries = history_entries(generate_report(results, tmp_path / "report-moved", history=moved))
    assert len(entries) == 1 and "1/5/2027 at 09:04:03" in entries[0], entries


def test_database_urls_lose_their_passwords() -> None:
    assert without_password("postgresql://reader:s3cret@db:5432/chat") == "postgresql://reader:***@db:5432/chat"
    assert without_password("postgresql://postgres@127.0.0.1:5/chat") == "postgresql://postgres@127.0.0.1:5/chat"
