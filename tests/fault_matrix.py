"""The kill matrix: the suite runs once per named platform defect and must catch every one.

`python -m tests.fault_matrix` (or `make faults`) prints defect x catching scenarios, then
`caught N/M faults`, and exits non-zero if a defect escapes or the clean platform fails.
"""

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from reference_platform.faults import FAULTS
from tests.behave_runs import SuiteRun, run_suite

CLEAN = "(none)"


@dataclass(frozen=True)
class Expectation:
    scenario: str
    message: str


# Which scenario must catch each defect, and what its failure message must say.
CATALOGUE: dict[str, Expectation] = {
    "drop_agent_thinking": Expectation(
        "A new customer sees the agent work through their first question", "no 'agent_thinking' came after that"
    ),
    "tool_completed_before_executing": Expectation(
        "Every completed tool call matches a tool call that started", "has no earlier tool_executing"
    ),
    "event_after_terminal": Expectation(
        "A run opens with one agent_started and closes with one terminal event",
        "Expected nothing after the terminal event",
    ),
    "seq_gap": Expectation("Every event names its run and thread, and seq has no gaps", "Expected seq to rise by one"),
    "missing_run_id": Expectation(
        "Every event names its run and thread, and seq has no gaps", "agent_thinking lacks ['run_id']"
    ),
    "silent_close_on_tool_failure": Expectation(
        "A failing tool ends the run with agent_error instead of silence", "the socket closed first"
    ),
    "handshake_without_credentials": Expectation(
        "A chat connection with no credentials is refused before it opens", "Expected the handshake to be refused"
    ),
    "alg_none_accepted": Expectation(
        "A chat connection with an access token with alg none is refused before it opens",
        "Expected the handshake to be refused",
    ),
    "answer_not_saved": Expectation(
        "The first question and its answer are kept in the chat history",
        "Expected the chat history (REST) to hold the question and the agent's answer",
    ),
    "answer_in_other_thread": Expectation(
        "The first question and its answer are kept in the chat history",
        "Expected the chat history (REST) to hold the question and the agent's answer",
    ),
    "duplicate_email_accepted": Expectation(
        "An email address can be registered only once", "refused with HTTP 409 and problem type 'email-taken'"
    ),
    "login_reveals_unknown_email": Expectation(
        "A failed login does not reveal whether the account exists", "Expected the login to be refused with HTTP 401"
    ),
}


@dataclass
class Verdict:
    fault: str
    run: SuiteRun
    failed: list[str]
    problem: str = ""

    @property
    def caught(self) -> bool:
        return not self.problem


def judge(fault: str, run: SuiteRun) -> Verdict:
    results = run.results()
    failed = sorted(result["name"] for result in results if result["status"] != "passed")
    verdict = Verdict(fault, run, failed)
    if fault == CLEAN:
        if run.exit_code != 0 or failed or not results:
            verdict.problem = f"the clean platform did not pass: exit {run.exit_code}, failing {failed}"
        return verdict
    expected = CATALOGUE[fault]
    catcher = run.by_name().get(expected.scenario)
    if run.exit_code == 0:
        verdict.problem = "the run passed"
    elif catcher is None or catcher["status"] != "failed":
        status = catcher["status"] if catcher else "no result"
        verdict.problem = f"'{expected.scenario}' should fail as a product defect; it is {status}"
    elif expected.message not in (catcher.get("statusDetails") or {}).get("message", ""):
        verdict.problem = f"'{expected.scenario}' failed without saying {expected.message!r}"
    return verdict


def run_fault(fault: str, workdir: Path) -> Verdict:
    args = [] if fault == CLEAN else ["-D", f"platform_faults={fault}"]
    return judge(fault, run_suite(workdir / fault.strip("()"), *args))


def run_matrix(faults: list[str], workers: int = 2) -> list[Verdict]:
    with tempfile.TemporaryDirectory(prefix="fault-matrix-") as workdir, ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda fault: run_fault(fault, Path(workdir)), [CLEAN, *faults]))


def report(verdicts: list[Verdict]) -> str:
    width = max(len(verdict.fault) for verdict in verdicts)
    lines = [f"{'defect':<{width}}  verdict  catching scenarios (failed or broken)"]
    for verdict in verdicts:
        mark = "ok" if verdict.caught else "ESCAPED" if verdict.fault != CLEAN else "BROKEN"
        scenarios = "; ".join(verdict.failed) or "-"
        lines.append(f"{verdict.fault:<{width}}  {mark:<7}  {scenarios}")
        if verdict.problem:
            lines.append(f"{'':<{width}}           {verdict.problem}")
    defects = [verdict for verdict in verdicts if verdict.fault != CLEAN]
    lines.append(f"caught {sum(verdict.caught for verdict in defects)}/{len(defects)} faults")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("faults", nargs="*", help="defects to try (default: the whole catalogue)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    missing = sorted(set(FAULTS) - set(CATALOGUE))
    if missing:
        print(f"defects with no catching scenario in the catalogue: {missing}")
        return 1
    started = time.monotonic()
    verdicts = run_matrix(args.faults or sorted(CATALOGUE), args.workers)
    print(report(verdicts))
    print(f"took {time.monotonic() - started:.0f} s")
    return 0 if all(verdict.caught for verdict in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
