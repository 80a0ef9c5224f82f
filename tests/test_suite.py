"""The behave suite itself, run as a user runs it, against real services."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from support.clients.database_probe import DatabaseProbe
from support.report.redaction import JWT_SHAPE
from support.stack.embedded_stack import EmbeddedStack
from tests.behave_runs import ROOT, SuiteRun, behave_command, run_suite
from tests.report_browser import Page, generate_report, report_test_id, serve

MIN_SCENARIOS = 12
EXPECTED_ATTACHMENTS = {"HTTP exchanges", "Server request ids", "WebSocket frames"}


EMBEDDED = re.compile(
    r"Embedded stack in (\S+): platform http://127.0.0.1:(\d+), PostgreSQL \S+127.0.0.1:(\d+)/\S+, "
    r"identity provider http://127.0.0.1:(\d+)"
)


def leftovers(output: str) -> list[str]:
    """Processes or listening ports that the run's embedded stack left behind."""
    match = EMBEDDED.search(output)
    assert match, f"the run did not report its embedded stack:\n{output[-2000:]}"
    workdir, platform_port, postgres_port, provider_port = match.groups()
    found = [f"temp dir {workdir} is still there"] if Path(workdir).exists() else []
    for process in psutil.process_iter(["pid", "cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if workdir in cmdline or f"127.0.0.1:{postgres_port}/" in cmdline:
            found.append(f"pid {process.info['pid']}: {cmdline}")
    for port in (platform_port, postgres_port, provider_port):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", int(port))) == 0:
                found.append(f"something still listens on 127.0.0.1:{port}")
    return found


@pytest.fixture(scope="module")
def embedded_run(tmp_path_factory: pytest.TempPathFactory) -> SuiteRun:
    return run_suite(tmp_path_factory.mktemp("embedded-results"))


def test_the_suite_passes_on_the_embedded_stack(embedded_run: SuiteRun) -> None:
    run = embedded_run
    counts = run.scenario_counts()
    assert run.exit_code == 0, run.output[-3000:]
    assert counts["passed"] >= MIN_SCENARIOS and counts["failed"] == counts["error"] == counts["skipped"] == 0
    assert "undefined" not in run.output


def test_every_scenario_has_a_passed_allure_result_with_evidence(embedded_run: SuiteRun) -> None:
    run = embedded_run
    results = run.results()
    assert len(results) == run.scenario_counts()["passed"]
    assert {result["status"] for result in results} == {"passed"}
    for result in results:
        labels = {label["name"]: label["value"] for label in result["labels"]}
        assert {"epic", "feature", "story", "severity"} <= labels.keys(), result["name"]
        names = {attachment["name"] for attachment in result.get("attachments", [])}
        assert "HTTP exchanges" in names and "Server request ids" in names, result["name"]
    chats = [r for r in results if any(a["name"].startswith("Event timeline") for a in r.get("attachments", []))]
    assert len(chats) >= 6


def test_the_report_gate_finds_every_scenario_of_a_full_run(embedded_run: SuiteRun) -> None:
    gate = subprocess.run(
        [sys.executable, "-m", "support.running.completeness", str(embedded_run.results_dir)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert gate.returncode == 0 and "Report complete" in gate.stdout, gate.stdout + gate.stderr


def test_http_exchanges_are_attached_to_the_steps_that_made_them(embedded_run: SuiteRun) -> None:
    for result in embedded_run.results():
        for step in result["steps"]:
            titles = [attachment["name"] for attachment in step.get("attachments", [])]
            if step["name"].endswith("has signed up and logged in"):
                assert "POST /auth/signup → 201" in titles and "POST /auth/login → 200" in titles, titles
            if step["name"].endswith("is in a chat with the agent"):
                assert "Frames on Alice's chat socket" in titles or "POST /threads → 201" in titles, titles


def test_the_run_writes_what_it_tested_for_the_report(embedded_run: SuiteRun) -> None:
    properties = (embedded_run.results_dir / "environment.properties").read_text()
    for key in (
        "Target=embedded stack",
        "Platform\\ version=chat-acceptance reference platform",
        "PostgreSQL=PostgreSQL",
    ):
        assert key in properties, properties


def test_no_stack_process_outlives_the_run(embedded_run: SuiteRun) -> None:
    assert not leftovers(embedded_run.output)


@pytest.fixture(scope="module")
def targeted_run(
    stack: EmbeddedStack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[SuiteRun, list[str], Path]]:
    """The suite pointed at an already running deployment of two instances, the way it is pointed at staging.
    Restart, misbehaving-provider and sibling-API journeys are left out, as they are against any deployment the
    suite does not run itself."""
    workdir = tmp_path_factory.mktemp("targeted")
    secrets_file = workdir / "secrets.txt"
    run = run_suite(
        workdir / "allure-results",
        "--tags", "not @restarts and not @breaks_storage and not @misbehaving_providers and not @sibling_apis",
        *(arg for key, value in stack.target_settings().items() for arg in ("-D", f"{key}={value}")),
        "-D", f"secrets_dump={secrets_file}",
    )  # fmt: skip
    report = generate_report(workdir / "allure-results", workdir / "allure-report")
    yield run, secrets_file.read_text().splitlines(), report


def test_the_suite_passes_against_a_configured_target(targeted_run: tuple[SuiteRun, list[str], Path]) -> None:
    run, _, report = targeted_run
    assert run.exit_code == 0, run.output[-3000:]
    assert "Embedded stack" not in run.output
    assert (report / "index.html").is_file()


def test_no_secret_reaches_the_results_or_the_report(targeted_run: tuple[SuiteRun, list[str], Path]) -> None:
    run, secrets, report = targeted_run
    assert len(secrets) >= MIN_SCENARIOS, "the run should have used passwords, tokens and tickets"
    files = [path for path in [*run.results_dir.rglob("*"), *report.rglob("*")] if path.is_file()]
    for path in files:
        text = path.read_text(errors="replace")
        assert not JWT_SHAPE.search(text), f"JWT-shaped string in {path}"
        leaked = [secret[:4] + "…" for secret in secrets if secret in text]
        assert not leaked, f"{len(leaked)} secret(s) of the run in {path}: {leaked}"


def test_nothing_of_the_suite_is_left_after_a_run(
    targeted_run: tuple[SuiteRun, list[str], Path], stack: EmbeddedStack
) -> None:
    import asyncio

    probe = DatabaseProbe(stack.database_url)
    assert asyncio.run(probe.suite_users()) == []
    exports = asyncio.run(probe.fetch("SELECT file_name FROM exports WHERE file_name IS NOT NULL"))
    kept = {row["file_name"] for row in exports}  # exports of accounts that still exist (not the suite's)
    left = [path.name for path in stack.export_store.glob("*") if path.name not in kept]
    assert not left, f"export files of erased accounts are left in the export store: {left}"


def test_an_unreachable_target_fails_fast_naming_the_service(tmp_path: Path) -> None:
    run = run_suite(tmp_path, "-D", "base_url=http://127.0.0.1:9")
    assert run.exit_code != 0
    assert run.seconds < 5, f"took {run.seconds:.1f} s"
    assert "platform API at http://127.0.0.1:9/health/ready is unreachable" in run.output
    assert not re.search(r"[1-9]\d* skipped", run.output)


def kill_mid_run(results: Path, server: str) -> tuple[SuiteRun, float]:
    """Start the suite, kill one of its servers (with its whole process group) after 3 results, let it finish."""
    suite = subprocess.Popen(behave_command(results), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while len(list(results.glob("*-result.json"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    [victim] = [child for child in psutil.Process(suite.pid).children(recursive=True)
                if server in " ".join(child.cmdline())]  # fmt: skip
    killed_at = time.monotonic()
    os.killpg(victim.pid, signal.SIGKILL)
    output, _ = suite.communicate(timeout=90)
    return SuiteRun(suite.returncode, output.decode(), results, 0), time.monotonic() - killed_at


@pytest.mark.parametrize(
    ("server", "named"),
    [
        ("-m reference_platform serve", "platform API at http://127.0.0.1:"),
        ("bin/postgres -D", "The platform lost its database"),
        ("identity_provider.mjs", "identity provider at http://127.0.0.1:"),
    ],
    ids=["platform killed", "database killed", "identity provider killed"],
)
def test_an_outage_mid_run_breaks_scenarios_naming_the_service_and_fails_none(
    tmp_path: Path, server: str, named: str
) -> None:
    run, took = kill_mid_run(tmp_path / "results", server)
    assert took < 120, f"the run went on for {took:.0f} s after the kill"
    assert run.exit_code != 0
    results = run.results()
    statuses = [result["status"] for result in results]
    assert len(results) >= MIN_SCENARIOS, run.output[-2000:]
    assert "failed" not in statuses and "skipped" not in statuses, statuses
    # Scenarios that do not need the dead service may still pass; once one is broken, the rest end at once.
    first_broken = min(result["stop"] for result in results if result["status"] == "broken")
    ground_on = (max(result["stop"] for result in results) - first_broken) / 1000
    assert ground_on < 10, f"the run went on {ground_on:.0f} s after the first outage"
    broken = [result["statusDetails"]["message"] for result in results if result["status"] == "broken"]
    assert broken and all(named in message for message in broken), broken[:3]


def test_a_product_defect_on_a_healthy_stack_is_still_failed(tmp_path: Path) -> None:
    scenario = "An email address can be registered only once"
    run = run_suite(tmp_path, "-D", "platform_faults=duplicate_email_accepted", "-n", scenario)
    assert run.exit_code != 0
    assert run.by_name()[scenario]["status"] == "failed"


def test_the_report_renders_in_a_browser(targeted_run: tuple[SuiteRun, list[str], Path]) -> None:
    _, _, report = targeted_run
    first_chat = report_test_id(report, "A new customer sees the agent work through their first question")
    with serve(report) as url:
        with Page(url) as home:
            home.text("Onboarding")
            home.text("Agent chat")
        with Page(f"{url}#{first_chat}") as page:
            page.text("A new customer gets a useful answer within seconds of signing up")
            page.text("Given Alice has signed up and logged in")
            page.text("Event timeline: Alice asks")
            page.text("HTTP exchanges")
            page.screenshot(report / "screenshot-first-chat.png")
    assert (report / "screenshot-first-chat.png").stat().st_size > 10_000


def test_ctrl_c_stops_the_run_and_the_stack(tmp_path: Path) -> None:
    suite = subprocess.Popen(
        behave_command(tmp_path),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob("*-result.json")) and time.monotonic() < deadline:
        time.sleep(0.2)
    suite.send_signal(signal.SIGINT)
    output, _ = suite.communicate(timeout=30)
    assert suite.returncode != 0
    assert "ABORTED" in output
    assert not leftovers(output)
