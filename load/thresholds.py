"""What makes a load test fail besides a failed request: too few checked runs, or runs too slow at the 95th
percentile. Set in load/locust.conf or on the command line; judged once, on the master's aggregated figures (or on
the only process of a run without workers), which then print the run's summary."""

import argparse
from typing import Any

from locust import events
from locust.env import Environment
from locust.runners import WorkerRunner

RUN, REFUSAL, ACCEPTED = "RUN", "REFUSAL", "ACCEPTED"
ASK = "ask the agent"


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--min-runs", type=int, default=0, help="fewer checked runs than this fail the load test")
    parser.add_argument("--max-p95-ms", type=float, default=0, help="a run's 95th percentile to its end, at most")
    parser.add_argument("--run-timeout", type=float, default=10.0, help="seconds a run may take to its end")
    parser.add_argument(
        "--admin-token", default="", env_var="CHAT_ACCEPTANCE_ADMIN_TOKEN",
        help="puts each customer on the pro plan; without it, pace the questions to the free plan's chat limit",
    )  # fmt: skip


def misses(environment: Environment) -> list[str]:
    """Every threshold the run missed, in words."""
    options: Any = environment.parsed_options
    stats = environment.stats
    runs, refusals = stats.get(ASK, RUN), [entry for key, entry in stats.entries.items() if key[1] == REFUSAL]
    accepted = sum(error.occurrences for error in stats.errors.values() if str(error.error).startswith(ACCEPTED))
    found = []
    if runs.num_requests < options.min_runs:
        found.append(f"{runs.num_requests} runs checked, fewer than the {options.min_runs} required")
    if (
        options.max_p95_ms
        and runs.num_requests
        and (p95 := runs.get_response_time_percentile(0.95)) > options.max_p95_ms
    ):
        found.append(f"a run's 95th percentile to its end was {p95:.0f} ms, over {options.max_p95_ms:.0f} ms")
    if stats.total.num_failures:
        found.append(f"{stats.total.num_failures} requests failed")
    refused = sum(entry.num_requests for entry in refusals)
    print(f"Load summary: {runs.num_requests} runs, every event checked, {runs.num_failures} broke a rule; "
          f"{refused} inputs the platform must refuse, {accepted} accepted")  # fmt: skip
    return found


def judge(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        return
    found = misses(environment)
    for miss in found:
        print(f"Threshold missed: {miss}")
    if found:
        environment.process_exit_code = 1


events.init_command_line_parser.add_listener(add_options)  # type: ignore[no-untyped-call]
events.quitting.add_listener(judge)  # type: ignore[no-untyped-call]
