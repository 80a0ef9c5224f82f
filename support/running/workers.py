"""Workers: behave processes, each with its own event loop, running a share of the scenarios against one target."""

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from support.running.plan import Planned

WORKER_TIMEOUT = 1800.0


@dataclass(frozen=True)
class WorkerRun:
    name: str
    scenarios: int
    exit_code: int
    seconds: float
    log: Path


def run_worker(name: str, scenarios: list[Planned], behave_args: list[str], log_dir: Path) -> WorkerRun:
    log = log_dir / f"{name}.log"
    started = time.monotonic()
    command = [sys.executable, "-m", "behave", *behave_args, *(s.location for s in scenarios)]
    with log.open("w") as output:
        completed = subprocess.run(command, stdout=output, stderr=subprocess.STDOUT, timeout=WORKER_TIMEOUT)
    return WorkerRun(name, len(scenarios), completed.returncode, time.monotonic() - started, log)


def run_workers(
    groups: list[list[Planned]], behave_args: list[str], log_dir: Path, label: str,
    args_by_group: list[list[str]] | None = None,
) -> list[WorkerRun]:  # fmt: skip
    """Run each non-empty group in a worker of its own, all at once; `args_by_group` gives each group's worker
    arguments of its own (a stack of its own, say) instead of `behave_args`."""
    log_dir.mkdir(parents=True, exist_ok=True)
    per_group = args_by_group or [behave_args] * len(groups)
    named = [(f"{label}-{index + 1}", group, per_group[index]) for index, group in enumerate(groups) if group]
    with ThreadPoolExecutor(max(1, len(named))) as pool:
        runs = list(pool.map(lambda item: run_worker(item[0], item[1], item[2], log_dir), named))
    for run in runs:
        print(f"  {run.name}: {run.scenarios} scenarios in {run.seconds:.1f} s, exit {run.exit_code} ({run.log})")
        if run.exit_code not in (0, 1):  # behave itself failed (a usage or configuration error): show why
            print("    " + "\n    ".join(run.log.read_text(errors="replace").splitlines()[-5:]))
    return runs
