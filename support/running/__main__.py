"""The suite in parallel: `python -m support.running [options] [behave arguments]` (what `make run` calls).

One embedded stack (unless a target is configured) serves every worker; each worker is a behave process
with its own event loop, running a balanced share of the selected scenarios. Scenarios tagged @restarts,
@breaks_storage or @load run beside them on two stacks of their own (or after them, alone, with no stack of
ours); @serial ones run after the others, alone. Each run starts from an empty results folder. Failed or
broken scenarios can be retried on fresh actors; the results of every attempt stay, and a scenario that passed
only on a retry is marked flaky.
"""

import argparse
import asyncio
import os
import shutil
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from support.agents.port import AgentTarget, agent_target, not_offered
from support.agents.server import AgentServer, expect_agent_answers
from support.report.attempts import NOT_PASSED, conformance, final, mark_flaky, ran_durations, tally
from support.report.junit import JUNIT_FILE, write_junit
from support.running.completeness import missing_by_feature, record_missing
from support.running.plan import (
    DURATIONS_FILE,
    Planned,
    balancing_durations,
    collect,
    partition,
    save_durations,
    seconds_of,
    shard,
    userdata,
)
from support.running.progress import RunProgress
from support.running.workers import WorkerRun, run_workers
from support.stack.config import TargetConfig, load_config
from support.stack.control import StackControlServer
from support.stack.embedded_stack import EmbeddedStack
from support.stack.preflight import check_services
from support.stack.service_errors import ServiceUnavailable

LOGS = Path("reports/workers")


VALUE_OPTIONS = frozenset(
    [
        "-D",
        "--define",
        "-n",
        "--name",
        "-t",
        "--tags",
        "-i",
        "--include",
        "-e",
        "--exclude",
        "-f",
        "--format",
        "-o",
        "--outfile",
        "--lang",
        "--logging-level",
        "--logging-format",
        "--junit-directory",
    ]
)


def options_only(behave_args: list[str]) -> list[str]:
    """behave's arguments without its paths: a worker gets scenario locations instead, after the options."""
    kept, previous = [], ""
    for arg in behave_args:
        if arg.startswith("-") or previous in VALUE_OPTIONS:
            kept.append(arg)
        previous = arg
    return kept


EMBEDDED_ONLY = ("platform_instances", "platform_faults")  # what the runner's stack takes; workers are told its URLs
# Stacks for the journeys that need one of their own (plan.OWN_STACK_TAGS): each runs its share one at a time.
BESIDE_STACKS = 2


def without_defines(behave_args: list[str], keys: tuple[str, ...]) -> list[str]:
    kept: list[str] = []
    for arg in behave_args:
        if kept and kept[-1] in ("-D", "--define") and arg.partition("=")[0] in keys:
            kept.pop()
        else:
            kept.append(arg)
    return kept


def defines(settings: dict[str, str | None]) -> list[str]:
    return [arg for key, value in settings.items() if value for arg in ("-D", f"{key}={value}")]


def embedded_target(target: TargetConfig, stack: EmbeddedStack, control: StackControlServer) -> list[str]:
    """What every worker is told about the runner's stack: the same target the serial run would build."""
    settings: dict[str, str | None] = {**stack.target_settings(), "stack_control": control.url}
    if target.short_lived_client:
        settings["short_lived_client"] = target.short_lived_client
    return defines(settings)


def run_phases(
    scenarios: list[Planned],
    processes: int,
    behave_args: list[str],
    label: str,
    durations: dict[str, float],
    beside_args: list[list[str]] | None = None,
) -> list[WorkerRun]:
    """The scenarios that may share the stack in parallel, then the serial ones, alone. Given stacks of their
    own (`beside_args`, one per stack), the ones that need one run on them, one at a time on each, meanwhile;
    each of those workers takes a share of the others too, one at a time, before its own."""
    together = [s for s in scenarios if not s.serial]
    beside = [s for s in scenarios if s.needs_own_stack] if beside_args else []
    alone = [s for s in scenarios if s.serial and s not in beside]
    own_shares = partition(beside, len(beside_args), durations) if beside_args and beside else []
    own_loads = [seconds_of(share, durations) for share in own_shares]
    shares = partition(together, processes + len(own_shares), durations, [0.0] * processes + own_loads)
    # Their share of the others first: a journey of their own that leaves its test bed down breaks only itself.
    on_own_stacks = [more + own for own, more in zip(own_shares, shares[processes:], strict=True)]
    with ThreadPoolExecutor(1) as pool:
        meanwhile = pool.submit(run_workers, on_own_stacks, [], LOGS, f"{label}-beside", beside_args)
        runs = run_workers(shares[:processes], behave_args, LOGS, label) if together else []
        runs += meanwhile.result()
    if alone:
        runs += run_workers([alone], behave_args, LOGS, f"{label}-serial")
    return runs


def start_stacks(target: TargetConfig, count: int) -> list[tuple[EmbeddedStack, StackControlServer]]:
    """Start `count` embedded stacks at once, each with its control for the workers; the first is everyone's."""

    def start(index: int) -> tuple[EmbeddedStack, StackControlServer]:
        stack = EmbeddedStack(target.platform_faults, target.database_url, target.export_store,
                              target.platform_instances).start()  # fmt: skip
        role = "" if index == 0 else f" {index} (for the journeys that need a stack of their own)"
        print(f"Embedded stack{role} in {stack.workdir}: {stack.describe()}")
        return stack, StackControlServer(stack).start()

    with ThreadPoolExecutor(count) as pool:
        starting = [pool.submit(start, index) for index in range(count)]
    stacks, errors = [], []
    for future in starting:
        try:
            stacks.append(future.result())
        except Exception as error:
            errors.append(error)
    if errors:
        stop_stacks(stacks)
        raise errors[0]
    return stacks


def stop_stacks(stacks: list[tuple[EmbeddedStack, StackControlServer]]) -> None:
    """Stop every stack at once, each with its control."""

    def stop(stack: EmbeddedStack, control: StackControlServer) -> None:
        control.stop()
        stack.stop()

    with ThreadPoolExecutor(max(1, len(stacks))) as pool:
        list(pool.map(lambda pair: stop(*pair), stacks))


# What Allure's writers leave in a results directory: a run removes them, and nothing else, before it starts.
RESULT_FILES = ("*-result.json", "*-container.json", "*-attachment.*", "environment.properties", "categories.json")


def start_afresh(results: Path) -> None:
    """One run's results are that run's: an earlier run's failed attempt left here would be counted as an
    attempt of this one (and its scenario called flaky)."""
    for pattern in RESULT_FILES:
        for path in results.glob(pattern):
            path.unlink()


def default_processes() -> int:
    """Four workers per core: journeys mostly wait (on sockets and clocks), so it takes four per core to keep
    every core busy (on 2 cores, 80 journeys, make run: 4 workers 32 s, 8 workers 27 s)."""
    return 4 * (os.cpu_count() or 1)


def applicable(scenarios: list[Planned], agent: AgentTarget) -> tuple[list[Planned], list[Planned]]:
    """The scenarios this protocol and target offer what they need, and the others: not applicable, so never
    run, never skipped and never passed; the summary and the report's environment count and name them."""
    chosen = [s for s in scenarios if not not_offered(s.tags, agent)]
    left = [s for s in scenarios if not_offered(s.tags, agent)]
    if left:
        needs = sorted({need for s in left for need in not_offered(s.tags, agent)})
        print(f"{len(left)} scenarios not applicable to {agent.protocol} on {agent.label}, which does not offer "
              f"what they need ({', '.join(needs)}):")  # fmt: skip
        for feature, count in sorted(Counter(s.feature for s in left).items()):
            names = [s.name for s in left if s.feature == feature]
            print(f"  {feature}: {'; '.join(names) if count <= 3 else f'{count} scenarios'}")
    return chosen, left


def record_not_applicable(results: Path, left: list[Planned], agent: AgentTarget) -> None:
    """Their count and names join the report's environment."""
    environment = results / "environment.properties"
    lines = [f"Not\\ applicable={len(left)} scenarios need what {agent.protocol} on {agent.label} does not offer"]
    lines += [f"Not\\ applicable\\ {index}={s.feature}: {s.name}" for index, s in enumerate(left, 1)]
    if environment.exists() and left:
        with environment.open("a", encoding="utf-8") as file:
            file.write("\n".join(lines) + "\n")


def still_up(target: TargetConfig, agent_url: str | None = None) -> str | None:
    """What is down, or None: the platform's services, or only the agent server when no platform is in the run."""
    try:
        asyncio.run(check_services(target) if agent_url is None else expect_agent_answers(agent_url))
    except ServiceUnavailable as down:
        return str(down)
    return None


def parse_options(argv: list[str] | None) -> tuple[argparse.Namespace, list[str]]:
    """The runner's own options, and the rest for behave."""
    parser = argparse.ArgumentParser(prog="python -m support.running", description=__doc__, allow_abbrev=False)
    parser.add_argument("--processes", type=int, default=int(os.environ.get("PROCESSES") or default_processes()))
    parser.add_argument("--shard", default=os.environ.get("SHARD") or None, help="k/n: run the k-th of n shards")
    parser.add_argument("--retries", type=int, default=int(os.environ.get("RETRIES") or 0))
    parser.add_argument("--results", type=Path, default=Path("allure-results"))
    parser.add_argument("--junit", type=Path, default=JUNIT_FILE, help="where the JUnit report goes")
    parser.add_argument("--durations", type=Path, default=DURATIONS_FILE, help="recorded durations, to balance by")
    parser.add_argument(
        "--failed-only", action="store_true", help="only the scenarios that failed or broke in the last run's results"
    )
    return parser.parse_known_args(argv)


def select(
    behave_args: list[str], options: argparse.Namespace, spec: str | None, durations: dict[str, float]
) -> list[Planned]:
    """The scenarios behave selects, only those the last run failed or broke if asked, and this shard's share."""
    scenarios = collect(behave_args)
    if options.failed_only:
        if not options.results.is_dir():
            raise SystemExit(f"No last run to rerun: {options.results}/ does not exist.")
        scenarios = to_retry(scenarios, options.results)
        print(f"Rerunning the {len(scenarios)} scenarios that failed or broke in the last run ({options.results}/)")
        if not scenarios:
            raise SystemExit(0)
    if spec:
        scenarios = shard(scenarios, spec, durations)
        print(f"Shard {spec}: {len(scenarios)} scenarios")
    return scenarios


def main(argv: list[str] | None = None) -> int:
    options, behave_args = parse_options(argv)
    started = time.monotonic()
    durations = balancing_durations(options.durations)
    spec = options.shard or userdata(behave_args).get("shard")
    scenarios = select(behave_args, options, spec, durations)
    if not scenarios:
        print("No scenario selected.")
        return 1
    target = load_config(userdata(behave_args), os.environ)
    agent = agent_target(target)
    scenarios, not_applicable = applicable(scenarios, agent)
    if not scenarios:
        print("No scenario selected.")
        return 1
    stacks: list[tuple[EmbeddedStack, StackControlServer]] = []
    worker_args = [*options_only(behave_args), "-D", f"allure_results={options.results}"]
    beside_args: list[list[str]] | None = None
    agent_server: AgentServer | None = None
    shutil.rmtree(LOGS, ignore_errors=True)
    start_afresh(options.results)
    try:
        if target.agent_url is None and agent.profile.server:
            agent_server = AgentServer(agent.profile, target.agent_faults).start()
            worker_args += ["-D", f"agent_url={agent_server.run_url(agent.protocol)}"]
            print(f"{agent.label} started at {agent_server.url} (log: {agent_server.log})")
        if target.embedded and agent.needs_platform:
            # Journeys that restart a server, stop the database, break storage or load the platform get stacks of
            # their own when the run owns its database: they then run meanwhile, not after everyone else.
            own = [s for s in scenarios if s.needs_own_stack] if target.database_url is None else []
            stacks = start_stacks(target, 1 + min(BESIDE_STACKS, len(own)))
            worker_args = [*without_defines(worker_args, EMBEDDED_ONLY), *embedded_target(target, *stacks[0])]
            beside_args = [[*without_defines(worker_args, EMBEDDED_ONLY), *embedded_target(target, *beside)]
                           for beside in stacks[1:]] or None  # fmt: skip
            target = load_config(userdata(worker_args), os.environ)
        print(f"{len(scenarios)} scenarios on {options.processes} processes")
        with RunProgress(scenarios, options.results, durations, options.processes):
            runs = run_phases(scenarios, options.processes, worker_args, "worker", durations, beside_args)
            for attempt in range(1, options.retries + 1):
                if not (again := to_retry(scenarios, options.results)):
                    break
                down = still_up(target, None if agent.needs_platform else userdata(worker_args).get("agent_url"))
                if down is not None:
                    print(f"Not retrying {len(again)} scenarios: the test bed is still down. {down}")
                    break
                print(f"Retry {attempt} of {options.retries}: {len(again)} scenarios, on fresh actors")
                runs += run_phases(again, options.processes, worker_args, f"retry{attempt}", durations, beside_args)
    finally:
        stop_stacks(stacks)
        if agent_server is not None:
            agent_server.stop()
    record_not_applicable(options.results, not_applicable, agent)
    # Every shard must read the same durations to choose the same scenarios: shards leave the file alone.
    status = conclude(scenarios, options.results, runs, time.monotonic() - started, None if spec else options.durations)
    print(f"JUnit report: {write_junit(options.results, options.junit)}")
    return status


def to_retry(scenarios: list[Planned], results_dir: Path) -> list[Planned]:
    """The scenarios whose last attempt failed or broke."""
    results = final(results_dir)
    return [s for s in scenarios if (r := results.get(s.key)) is not None and r.status in NOT_PASSED]


def conclude(
    scenarios: list[Planned], results_dir: Path, runs: list[WorkerRun], seconds: float, durations_file: Path | None
) -> int:
    """Report what the run did (summary, flaky, missing) and its exit code; record durations unless sharded."""
    results = final(results_dir)
    if durations_file is not None:
        save_durations(ran_durations(results), durations_file)
    missing = missing_by_feature(
        Counter((s.feature, s.name) for s in scenarios),
        Counter((attempt.feature, attempt.name) for attempt in results.values()),
    )
    if missing:
        stopped = [f"{run.name} exited {run.exit_code} (log: {run.log})" for run in runs if run.exit_code not in (0, 1)]
        record_missing(results_dir, missing, why_missing(stopped))
    flaky = mark_flaky(results_dir)
    counts = tally(results_dir, flaky)
    print(
        f"{len(scenarios)} scenarios: {counts['passed']} passed ({counts['flaky']} flaky: passed on a retry), "
        f"{counts['failed']} failed, {counts['broken']} broken, {counts['skipped']} skipped, in {seconds:.1f} s"
    )
    answers, frames, off = conformance(results)
    print(f"Contract: {answers} answers and {frames} chat frames of the platform held to docs/contract/, {off} off it")
    for key in flaky:
        print(f"  flaky: {key}")
    for feature, names in sorted(missing.items()):
        print(f"  MISSING from {feature} (reported broken): {', '.join(sorted(names))}")
    worker_failed = any(run.exit_code != 0 for run in runs) and not results
    honest = not missing and not worker_failed and counts["failed"] == counts["broken"] == 0
    return 0 if honest and counts["passed"] == len(scenarios) else 1


def why_missing(stopped_workers: list[str]) -> str:
    if stopped_workers:
        return "its worker stopped before reporting it: " + "; ".join(stopped_workers)
    return (
        "the run ended without reporting this scenario (a worker killed, or a hook that broke before it "
        "started; see reports/workers/)"
    )


if __name__ == "__main__":
    sys.exit(main())
