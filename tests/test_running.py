"""The parallel runner: the same truth serially and in parallel, shards that merge into one whole, honest retries."""

import json
import os
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from support.clients.database_probe import DatabaseProbe
from support.report.attempts import attempts, final
from support.running.__main__ import conclude
from support.running.merge import merge
from support.running.plan import DURATIONS_FILE, Planned, collect, load_durations, save_durations
from support.running.workers import WorkerRun
from support.stack.control import StackControlServer
from support.stack.embedded_stack import EmbeddedStack
from tests.behave_runs import ROOT, SuiteRun
from tests.report_browser import generate_report

FLAKY_PROJECT = Path(__file__).parent / "flaky_project"
JUNIT = "junit.xml"


def run_runner(workdir: Path, *args: str, cwd: Path = ROOT) -> SuiteRun:
    results = workdir / "allure-results"
    completed = subprocess.run(
        [sys.executable, "-m", "support.running", "--results", str(results), "--junit", str(workdir / JUNIT), *args],
        cwd=cwd, capture_output=True, text=True, timeout=900,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PROCESSES": "", "RETRIES": "", "SHARD": ""},
    )  # fmt: skip
    return SuiteRun(completed.returncode, completed.stdout + completed.stderr, results, 0)


def target_args(stack: EmbeddedStack, control: StackControlServer | None = None) -> list[str]:
    settings = {**stack.target_settings(), "stack_control": control.url if control else None}
    return [arg for key, value in settings.items() if value for arg in ("-D", f"{key}={value}")]


@pytest.fixture(scope="module")
def serial_and_parallel(
    stack: EmbeddedStack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[SuiteRun, SuiteRun, list[str]]]:
    """The whole suite on one stack, once with one worker and once with four."""
    control = StackControlServer(stack).start()
    workdir = tmp_path_factory.mktemp("serial-and-parallel")
    runs = []
    try:
        for processes in (1, 4):
            dump = ["-D", f"secrets_dump={workdir / f'secrets-{processes}.txt'}"]
            options = ["--processes", str(processes), *target_args(stack, control), *dump]
            runs.append(run_runner(workdir / str(processes), *options))
    finally:
        control.stop()
    secrets = [line for n in (1, 4) for line in (workdir / f"secrets-{n}.txt").read_text().splitlines() if line]
    yield runs[0], runs[1], secrets


RANDOM_IDS = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[\w-]{16,}")


def outcome(run: SuiteRun) -> dict[str, tuple[str, list[str]]]:
    """Each scenario's final status and the kinds of its evidence: names without the ids that differ from run
    to run, and without counts (a frame arriving between two steps lands on one or the other)."""
    results = {}
    for key, attempt in final(run.results_dir).items():
        result: dict[str, Any] = json.loads(attempt.path.read_text())
        names = [a["name"] for step in result.get("steps", []) for a in step.get("attachments", [])]
        names += [a["name"] for a in result.get("attachments", [])]
        results[key] = (result["status"], sorted({RANDOM_IDS.sub("<id>", name) for name in names}))
    return results


def test_serial_and_parallel_runs_report_the_same_scenarios_with_the_same_statuses_and_evidence(
    serial_and_parallel: tuple[SuiteRun, SuiteRun, list[str]],
) -> None:
    serial, parallel, _ = serial_and_parallel
    assert serial.exit_code == 0, serial.output[-3000:]
    assert parallel.exit_code == 0, parallel.output[-3000:]
    for run in (serial, parallel):
        assert all(len(runs) == 1 for runs in attempts(run.results_dir).values()), "a scenario reported twice"
    serially, in_parallel = outcome(serial), outcome(parallel)
    assert serially.keys() == in_parallel.keys()
    differ = {key: (serially[key], in_parallel[key]) for key in serially if serially[key] != in_parallel[key]}
    assert not differ, json.dumps(differ, indent=1)[:4000]
    assert {status for status, _ in outcome(parallel).values()} == {"passed"}
    assert "on 4 processes" in parallel.output and "on 1 processes" in serial.output


def test_no_secret_reaches_either_report(serial_and_parallel: tuple[SuiteRun, SuiteRun, list[str]]) -> None:
    serial, parallel, secrets = serial_and_parallel
    assert len(secrets) > 100
    for run in (serial, parallel):
        reports = [*run.results_dir.iterdir(), run.results_dir.parent / JUNIT]
        text = "\n".join(path.read_text(errors="replace") for path in reports)
        leaked = [secret[:6] for secret in secrets if secret in text]
        assert not leaked, f"secrets in the report: {leaked}"


def junit_cases(run: SuiteRun) -> dict[str, ET.Element]:
    tree = ET.parse(run.results_dir.parent / JUNIT)
    cases = [(f"{case.get('classname')} :: {case.get('name')}", case) for case in tree.iter("testcase")]
    assert len(cases) == len(dict(cases)), "a scenario appears twice in the JUnit report"
    return dict(cases)


def junit_status(case: ET.Element) -> str:
    outcomes = {"failure": "failed", "error": "broken", "skipped": "skipped"}
    return next((status for tag, status in outcomes.items() if case.find(tag) is not None), "passed")


def test_the_parallel_run_writes_one_junit_report_that_agrees_with_allure(
    serial_and_parallel: tuple[SuiteRun, SuiteRun, list[str]],
) -> None:
    _, parallel, _ = serial_and_parallel
    cases = junit_cases(parallel)
    allure = {key: attempt.status for key, attempt in final(parallel.results_dir).items()}
    assert {key: junit_status(case) for key, case in cases.items()} == allure
    root = ET.parse(parallel.results_dir.parent / JUNIT).getroot()
    assert root.get("tests") == str(len(allure)) and len(allure) >= 80


def test_every_scenario_cleans_up_after_itself_in_parallel(
    stack: EmbeddedStack, serial_and_parallel: tuple[SuiteRun, SuiteRun, list[str]]
) -> None:
    import asyncio

    assert asyncio.run(DatabaseProbe(stack.database_url).suite_users()) == []


def test_three_shards_merge_into_one_report_holding_every_scenario_once(stack: EmbeddedStack, tmp_path: Path) -> None:
    selection = ["features/signup_to_first_chat.feature", "features/isolation.feature"]
    shards = [run_runner(tmp_path / f"shard-{k}", "--shard", f"{k}/3", *target_args(stack), *selection)
              for k in (1, 2, 3)]  # fmt: skip
    for shard in shards:
        assert shard.exit_code == 0, shard.output[-2000:]
    sizes = [len(final(shard.results_dir)) for shard in shards]
    assert all(size > 0 for size in sizes), sizes
    merged, selected = tmp_path / "merged", len(collect(selection))
    assert merge(merged, [shard.results_dir for shard in shards]) == sum(sizes) == selected
    names = Counter(key for key in attempts(merged))
    assert set(names.values()) == {1} and len(names) == selected
    assert (generate_report(merged, tmp_path / "report") / "index.html").is_file()
    with pytest.raises(SystemExit, match="ran in two shards"):
        merge(tmp_path / "overlap", [shards[0].results_dir, shards[0].results_dir])


def test_a_scenario_that_passes_on_a_retry_is_marked_flaky_with_every_attempt_kept(
    stack: EmbeddedStack, tmp_path: Path
) -> None:
    run = run_runner(tmp_path, "--retries", "1", "--processes", "1", "-D", f"base_url={stack.base_url}",
                     "-D", f"markers={tmp_path / 'markers'}", cwd=FLAKY_PROJECT)  # fmt: skip
    assert run.exit_code == 0, run.output
    for name, first in [("fails as a product defect the first time, then passes", "failed"),
                        ("breaks on a lost connection the first time, then passes", "broken")]:  # fmt: skip
        [tried, retried] = attempts(run.results_dir)[f"Scenarios that fail on their first attempt :: {name}"]
        assert (tried.status, retried.status) == (first, "passed")
        assert json.loads(retried.path.read_text())["statusDetails"]["flaky"] is True
    assert "2 passed (2 flaky: passed on a retry)" in run.output
    reruns = {key: [child.tag for child in case] for key, case in junit_cases(run).items()}
    assert sorted(reruns.values()) == [["flakyError"], ["flakyFailure"]], reruns


def test_a_rerun_runs_only_what_failed_or_broke_in_the_last_run(stack: EmbeddedStack, tmp_path: Path) -> None:
    """make rerun: the last run's failed and broken scenarios, through the same runner; then nothing is left."""
    flaky = ["--processes", "1", "-D", f"base_url={stack.base_url}", "-D", f"markers={tmp_path / 'markers'}"]
    first = run_runner(tmp_path, *flaky, cwd=FLAKY_PROJECT)
    assert first.exit_code == 1 and "2 scenarios: 0 passed" in first.output, first.output
    rerun = run_runner(tmp_path, "--failed-only", *flaky, cwd=FLAKY_PROJECT)
    assert rerun.exit_code == 0, rerun.output
    assert "Rerunning the 2 scenarios that failed or broke in the last run" in rerun.output
    assert "2 scenarios: 2 passed" in rerun.output, rerun.output
    nothing_left = run_runner(tmp_path, "--failed-only", *flaky, cwd=FLAKY_PROJECT)
    assert nothing_left.exit_code == 0 and "Rerunning the 0 scenarios" in nothing_left.output, nothing_left.output


def test_a_failing_scenario_is_printed_when_it_ends_not_when_the_run_does(stack: EmbeddedStack, tmp_path: Path) -> None:
    """Without a terminal, one plain line per finished scenario; a failure comes with its step and message
    while the run is still going (here: before its retry has run)."""
    command = [sys.executable, "-m", "support.running", "--results", str(tmp_path / "allure-results"),
               "--junit", str(tmp_path / JUNIT), "--retries", "1", "--processes", "1",
               "-D", f"base_url={stack.base_url}", "-D", f"markers={tmp_path / 'markers'}"]  # fmt: skip
    runner = subprocess.Popen(
        command, cwd=FLAKY_PROJECT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PROCESSES": "", "RETRIES": "", "SHARD": ""},
    )  # fmt: skip
    assert runner.stdout is not None
    lines, running_when_failed = [], None
    for line in runner.stdout:
        lines.append(line.rstrip())
        if line.startswith("FAILED") and running_when_failed is None:
            running_when_failed = runner.poll() is None
    assert runner.wait(60) == 0, "\n".join(lines)
    failed = next(i for i, line in enumerate(lines) if line.startswith("FAILED"))
    assert running_when_failed, "the failure was printed only once the run had ended"
    assert lines[failed + 1].strip().startswith("at: Given this is not the first attempt"), lines[failed : failed + 3]
    passed = [line for line in lines if line.startswith("PASSED  Scenarios that fail on their first attempt :: ")]
    assert len(passed) == 2 and all(line.endswith(" s)") for line in passed), lines
    assert failed < lines.index(next(line for line in lines if "2 scenarios: 2 passed" in line))


def test_a_broken_scenario_is_not_retried_while_the_test_bed_is_down(tmp_path: Path) -> None:
    run = run_runner(tmp_path, "--retries", "2", "--processes", "1", "-D", "base_url=http://127.0.0.1:9",
                     "-D", f"markers={tmp_path / 'markers'}", cwd=FLAKY_PROJECT)  # fmt: skip
    assert run.exit_code == 1
    assert "Not retrying 2 scenarios: the test bed is still down" in run.output
    statuses = {key: [a.status for a in runs] for key, runs in attempts(run.results_dir).items()}
    assert sorted(statuses.values()) == [["broken"], ["failed"]]
    assert sorted(junit_status(case) for case in junit_cases(run).values()) == ["broken", "failed"]


def test_a_scenario_without_a_result_is_reported_broken_and_keeps_its_recorded_duration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    results = tmp_path / "allure-results"
    results.mkdir()
    planned = [Planned("Chat", name, f"features/chat.feature:{line}", frozenset())
               for line, name in enumerate(["ran", "broke early", "never ran"], start=3)]  # fmt: skip
    labels = [{"name": "feature", "value": "Chat"}, {"name": "epic", "value": "Agent chat"}]
    for name, status, seconds in [("ran", "passed", 7), ("broke early", "broken", 0.01)]:
        result = {"name": name, "status": status, "start": 1000, "stop": 1000 + int(seconds * 1000), "labels": labels}
        (results / f"{name.replace(' ', '-')}-result.json").write_text(json.dumps(result))
    save_durations({"Chat :: ran": 3.0, "Chat :: broke early": 5.0, "Chat :: never ran": 6.0})
    worker = WorkerRun("worker-1", 3, -9, 1.0, tmp_path / "worker-1.log")
    assert conclude(planned, results, [worker], 1.0, DURATIONS_FILE) == 1
    assert load_durations() == {"Chat :: ran": 7.0, "Chat :: broke early": 5.0, "Chat :: never ran": 6.0}
    [missing] = [attempt for key, attempt in final(results).items() if key == "Chat :: never ran"]
    reported = json.loads(missing.path.read_text())
    assert reported["status"] == "broken" and "worker-1 exited -9" in reported["statusDetails"]["message"]
    assert {"name": "epic", "value": "Agent chat"} in reported["labels"]


def test_an_outage_drill_keeps_every_scenario_in_the_report_and_the_recorded_durations_true(tmp_path: Path) -> None:
    """PostgreSQL killed a few scenarios into a run: every selected scenario still has a result, and only the
    scenarios that really ran (passed or failed) change their recorded duration."""
    selection = ["features/token_refresh.feature", "features/agent_event_stream.feature"]
    durations, results = tmp_path / "durations.json", tmp_path / "allure-results"
    planned = collect(selection)
    save_durations({scenario.key: 99.0 for scenario in planned}, durations)
    runner = subprocess.Popen(
        [sys.executable, "-m", "support.running", "--results", str(results), "--junit", str(tmp_path / JUNIT),
         "--durations", str(durations), "--processes", "2", *selection],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PROCESSES": "", "RETRIES": "", "SHARD": ""},
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while len(list(results.glob("*-result.json"))) < 4 and time.monotonic() < deadline:
        time.sleep(0.1)
    [postgres] = [child for child in psutil.Process(runner.pid).children(recursive=True)
                  if "bin/postgres -D" in " ".join(child.cmdline())]  # fmt: skip
    os.killpg(postgres.pid, signal.SIGKILL)
    output, _ = runner.communicate(timeout=180)
    assert runner.returncode == 1, output[-2000:]
    statuses = {key: attempt.status for key, attempt in final(results).items()}
    assert set(statuses) == {scenario.key for scenario in planned}, output[-2000:]
    assert "broken" in statuses.values() and "failed" not in statuses.values(), statuses
    recorded = load_durations(durations)
    for key, status in statuses.items():
        if status == "passed":
            assert recorded[key] < 99.0, (key, recorded[key])
        else:
            assert recorded[key] == 99.0, (key, status, recorded[key])


def test_journeys_that_restart_a_server_run_meanwhile_on_a_stack_of_their_own(tmp_path: Path) -> None:
    """With an embedded stack of its own, the runner gives the @restarts journeys stacks of their own (one for one
    journey): they run beside the others, not after them, and the report holds both."""
    killed = "The run of a server that died is ended by the next one to start, even when nobody resumes it"
    run = run_runner(
        tmp_path,
        "--durations", str(tmp_path / "durations.json"),
        "-n", f"^{re.escape(killed)}$", "-n", "^Each question is answered by a run of its own$",
        "features/chat_resilience.feature", "features/agent_event_stream.feature",
    )  # fmt: skip
    assert run.exit_code == 0, run.output[-3000:]
    assert "for the journeys that need a stack of their own" in run.output
    assert re.search(r"worker-beside-1: 1 scenarios", run.output) and "worker-serial" not in run.output, run.output
    assert sorted(attempt.status for attempt in final(run.results_dir).values()) == ["passed", "passed"]


def test_a_retry_asks_an_agent_server_of_its_own_whether_it_is_up_not_a_platform_there_is_none_of() -> None:
    from support.running.__main__ import still_up
    from support.stack.config import TargetConfig

    down = still_up(TargetConfig(), "http://127.0.0.1:9/")
    assert down is not None and "agent server at http://127.0.0.1:9/" in down
