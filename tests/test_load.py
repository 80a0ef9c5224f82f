"""Load on Locust (load/, make load): the users share the suite's pure checks, a broken stream under load is a Locust
failure that names the broken rule, and a distributed run shows its master, its workers and the aggregated line."""

import csv
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.stack.embedded_stack import EmbeddedStack
from tests.behave_runs import ROOT

LOCUST = [sys.executable, "-m", "locust", "--config", str(ROOT / "load" / "locust.conf")]
SHORT = ["--users", "2", "--spawn-rate", "2", "--run-time", "6s", "--min-runs", "1"]


def locust_env(stack: EmbeddedStack) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "CHAT_ACCEPTANCE_ADMIN_TOKEN": stack.admin_token}


@pytest.fixture(scope="module")
def stack_with_seq_gap() -> Iterator[EmbeddedStack]:
    """The platform with one of the kill matrix's stream defects: seq skips a number before tool_completed."""
    embedded = EmbeddedStack(faults=("seq_gap",)).start()
    yield embedded
    embedded.stop()


def test_the_shared_checks_need_no_asyncio() -> None:
    """Locust's gevent patches the standard library; what its users share with the suite must not need asyncio."""
    probe = "import sys, support.checks.event_stream, support.clients.run_record; print('asyncio' in sys.modules)"
    shown = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "False", "the shared checks import asyncio"


def test_a_broken_event_stream_under_load_is_a_locust_failure_naming_the_rule(
    stack_with_seq_gap: EmbeddedStack, tmp_path: Path
) -> None:
    stats = tmp_path / "locust"
    run = subprocess.run(
        [*LOCUST, "--host", stack_with_seq_gap.base_url, *SHORT, "--csv", str(stats)],
        cwd=ROOT, env=locust_env(stack_with_seq_gap), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr
    with (tmp_path / "locust_failures.csv").open() as failures:
        broken = {row["Name"]: row["Error"] for row in csv.DictReader(failures)}
    assert "Expected seq to rise by one" in broken.get("ask the agent", ""), broken


def test_a_distributed_run_shows_its_master_its_workers_and_the_aggregated_line(tmp_path: Path) -> None:
    """make load on the embedded stack, shortened: one master, one worker, every run checked, nothing accepted."""
    run = subprocess.run(
        [sys.executable, "-m", "support.running.load", "--workers", "1", *SHORT, "--min-runs", "5"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "[master]" in output and "[worker-1]" in output and "Aggregated" in output, output
    summary = next(line for line in output.splitlines() if "Load summary:" in line)
    assert "0 broke a rule" in summary and summary.endswith(", 0 accepted"), summary
    assert (tmp_path / "reports" / "load" / "report.html").is_file()
