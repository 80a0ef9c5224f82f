"""Running the behave suite as a user would, in a subprocess, and reading what it wrote."""

import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BEHAVE = [sys.executable, "-m", "behave"]
SUMMARY = re.compile(r"^(\d+) scenarios passed, (\d+) failed(?:, (\d+) error)?(?:, (\d+) hook_error)?, (\d+) skipped")


@dataclass
class SuiteRun:
    exit_code: int
    output: str
    results_dir: Path
    seconds: float

    def results(self) -> list[dict[str, Any]]:
        return [json.loads(path.read_text()) for path in self.results_dir.glob("*-result.json")]

    def by_name(self) -> dict[str, dict[str, Any]]:
        return {result["name"]: result for result in self.results()}

    def scenario_counts(self) -> dict[str, int]:
        for line in self.output.splitlines():
            match = SUMMARY.match(line.strip())
            if match:
                passed, failed, error, hook_error, skipped = (int(group or 0) for group in match.groups())
                return {"passed": passed, "failed": failed, "error": error + hook_error, "skipped": skipped}
        raise AssertionError(f"no scenario summary in behave's output:\n{self.output[-3000:]}")


def behave_command(results_dir: Path, *args: str) -> list[str]:
    return [*BEHAVE, "-D", f"allure_results={results_dir}", "-f", "plain", "-o", "/dev/null", *args]


def run_suite(results_dir: Path, *args: str, timeout: float = 600, cwd: Path = ROOT) -> SuiteRun:
    started = time.monotonic()
    completed = subprocess.run(
        behave_command(results_dir, *args), cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    return SuiteRun(completed.returncode, completed.stdout + completed.stderr, results_dir, time.monotonic() - started)
