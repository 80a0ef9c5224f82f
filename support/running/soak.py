"""`python -m support.running.soak [--runs N] [--load K] [runner options and behave arguments]` (`make soak`):
N strict runs of the suite (no retries) on the clean platform, with the CPU deliberately oversubscribed by K busy
processes per core that the soak starts before the first run and stops after the last.

A check that fails when nothing is wrong is as bad as one that passes when something is: this finds them. It
prints each run's summary as it ends and, at the end, every scenario that failed or broke, with how many runs
it did so in and the first line of each message. It exits non-zero if any scenario failed or broke in any run.
Each run's results stay in reports/soak/run-N/; the runs balance by their own durations, so the machine's
recorded ones are left as they were."""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from support.report.attempts import NOT_PASSED, final

SOAK = Path("reports/soak")
SUMMARY = re.compile(r"^\d+ scenarios: .*")
BUSY_LOOP = "while True: pass"


def start_load(per_core: int) -> list[subprocess.Popen[bytes]]:
    """Busy processes, `per_core` for each core, at the same priority as the suite."""
    return [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(per_core * (os.cpu_count() or 1))]


def stop_load(load: list[subprocess.Popen[bytes]]) -> None:
    for process in load:
        process.kill()
    for process in load:
        process.wait(10)


def strict_run(number: int, runner_args: list[str]) -> tuple[int, str, Path]:
    """One run with no retries; its exit code, summary line and results directory."""
    run_dir = SOAK / f"run-{number}"
    results = run_dir / "allure-results"
    command = [sys.executable, "-m", "support.running", "--retries", "0", "--results", str(results),
               "--junit", str(run_dir / "junit.xml"), "--durations", str(SOAK / "durations.json"),
               *runner_args]  # fmt: skip
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    with (run_dir / "runner.log").open("w") as log:
        completed = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, text=True, check=False)
    output = (run_dir / "runner.log").read_text(errors="replace")
    summary = next((line for line in reversed(output.splitlines()) if SUMMARY.match(line)), "(no summary)")
    return completed.returncode, summary, results


def first_line(path: Path) -> str:
    details = json.loads(path.read_text()).get("statusDetails") or {}
    lines = str(details.get("message") or "").strip().splitlines()
    return lines[0][:160] if lines else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m support.running.soak", description=__doc__, allow_abbrev=False)
    parser.add_argument("--runs", type=int, default=int(os.environ.get("RUNS") or 5))
    parser.add_argument("--load", type=int, default=int(os.environ.get("LOAD") or 2), help="busy processes per core")
    options, runner_args = parser.parse_known_args(argv)
    if any("platform_faults" in arg for arg in runner_args):
        raise SystemExit("The soak runs the clean platform: every failure it finds is a false one.")
    if any(arg.split("=")[0] in ("--retries", "--results", "--junit", "--durations") for arg in runner_args):
        raise SystemExit("The soak sets --retries 0 and each run's own results, JUnit file and durations itself.")
    bad: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    load = start_load(options.load)
    print(f"Soak: {options.runs} strict runs, {len(load)} busy processes on {os.cpu_count()} cores")
    started = time.monotonic()
    try:
        for number in range(1, options.runs + 1):
            exit_code, summary, results = strict_run(number, runner_args)
            print(f"run {number}: {summary} (exit {exit_code})", flush=True)
            for key, attempt in sorted(final(results).items()):
                if attempt.status in NOT_PASSED:
                    bad[key].append((number, attempt.status, first_line(attempt.path)))
            if exit_code != 0 and not any(number == seen for runs in bad.values() for seen, _, _ in runs):
                bad["(the run itself)"].append((number, f"exit {exit_code}", str(SOAK / f"run-{number}/runner.log")))
    finally:
        stop_load(load)
    print(f"\nSoak over in {time.monotonic() - started:.0f} s: {options.runs} runs, "
          f"{sum(len(runs) for runs in bad.values())} false failures in {len(bad)} scenarios")  # fmt: skip
    for key, runs in sorted(bad.items(), key=lambda item: (-len(item[1]), item[0])):
        print(f"  {len(runs)}/{options.runs}  {key}")
        for number, status, message in runs:
            print(f"        run {number} {status}: {message}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
