"""`make agents`: every journey that applies, over every agent protocol and target, in one report.

    python -m support.running.agents [behave arguments]

Five runs of the parallel runner at once: AG-UI and the Vercel AI stream against pydantic-ai's own servers
(started from its profile) and against the reference platform's endpoints, and the chat socket on the port's
journeys for comparison.
Their results merge into allure-results, each labelled with its protocol and target, so the same journey shows
once per protocol, side by side. Exits non-zero if any run failed or left a scenario without a result.
"""

import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

RUNS_DIR = Path("reports/agents")
PORT_FEATURES = ["features/agent_runs.feature", "features/agent_accounts.feature"]


@dataclass(frozen=True)
class AgentRun:
    name: str
    arguments: tuple[str, ...]


PYDANTIC = ("-D", "agent_profile=targets/pydantic_ai/profile.toml")
RUNS = (
    AgentRun("ag-ui on pydantic-ai", ("-D", "agent_protocol=ag-ui", *PYDANTIC)),
    AgentRun("vercel-ai on pydantic-ai", ("-D", "agent_protocol=vercel-ai", *PYDANTIC)),
    AgentRun("ag-ui on the reference platform", ("-D", "agent_protocol=ag-ui")),
    AgentRun("vercel-ai on the reference platform", ("-D", "agent_protocol=vercel-ai")),
    AgentRun("chat-socket on the reference platform", ("-D", "agent_protocol=chat-socket", *PORT_FEATURES)),
)


def folder(run: AgentRun) -> Path:
    return RUNS_DIR / run.name.replace(" ", "-")


def run_one(run: AgentRun, behave_args: list[str], processes: int) -> tuple[int, str]:
    results = folder(run)
    command = [sys.executable, "-m", "support.running", "--processes", str(processes), "--results",
               str(results / "allure-results"), "--junit", str(results / "junit.xml"), "--durations",
               str(results / "durations.json"), *run.arguments, *behave_args]  # fmt: skip
    completed = subprocess.run(command, capture_output=True, text=True, timeout=600)
    (results / "run.log").write_text(completed.stdout + completed.stderr)
    return completed.returncode, completed.stdout + completed.stderr


def gather(target: Path, runs: tuple[AgentRun, ...]) -> int:
    """Every run's results in one folder (their file names are unique ids), and one environment panel whose
    lines name the run they come from. The number of results gathered."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    environment, gathered = [], 0
    for run in runs:
        source = folder(run) / "allure-results"
        for path in source.iterdir() if source.is_dir() else []:
            if path.name == "environment.properties":
                prefix = run.name.replace(" ", "\\ ") + "\\:\\ "
                environment += [prefix + line for line in path.read_text().splitlines() if line]
            else:
                shutil.copy2(path, target / path.name)
                gathered += path.name.endswith("-result.json")
    (target / "environment.properties").write_text("\n".join(environment) + "\n")
    return gathered


def main(argv: list[str]) -> int:
    started = time.monotonic()
    shutil.rmtree(RUNS_DIR, ignore_errors=True)
    for run in RUNS:
        folder(run).mkdir(parents=True)
    with ThreadPoolExecutor(len(RUNS)) as pool:
        done = list(pool.map(lambda run: run_one(run, argv, 4), RUNS))
    status = 0
    for run, (code, output) in zip(RUNS, done, strict=True):
        summary = [line for line in output.splitlines() if " scenarios: " in line or "not applicable" in line]
        print(f"{run.name}: exit {code}")
        for line in summary or output.splitlines()[-15:]:
            print(f"  {line}")
        for line in output.splitlines():
            if line.startswith(("FAILED", "BROKEN", "  MISSING")):
                print(f"  {line}")
        status = status or code
    gathered = gather(Path("allure-results"), RUNS)
    print(f"{gathered} results gathered in allure-results, in {time.monotonic() - started:.1f} s")
    return 1 if status else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
