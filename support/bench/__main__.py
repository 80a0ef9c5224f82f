"""`make bench`: figures from one run, printed side by side and written to reports/bench.json.

- the full suite's wall time on this machine: serially through the runner, and `make run` with its defaults
  (against the 30 s target), and the speedup;
- load: CHATS concurrent agent runs (default 1000) over USERS customers (default 100), each run with its own
  thread, ticket and chat socket, all open at once. Sign-up and login come first, as a phase of their own
  (argon2 makes them the slowest step). The suite's own layer drives the chats and checks every event of
  every run; then a bare httpx2 + websockets client makes the same calls, for the ratio of throughputs;
- start-up: the support layer's import time and memory, and the embedded stack's boot time.

Everything runs on 127.0.0.1, and every loop has a count and a time limit.
"""

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2

from support.actors import Actor
from support.bench.bare_client import chat_load
from support.clients.http_client import PlatformApi, expect_status
from support.clients.servers import Servers
from support.crowd import Crowd, Latencies
from support.report.evidence import ScenarioEvidence
from support.report.redaction import RUN_REDACTOR
from support.stack.config import load_config
from support.stack.embedded_stack import EmbeddedStack
from support.stack.platform_process import PASSWORD_HASHING

QUESTION = "What is 6 * 7?"
ANSWER = "42"
BASE_WAIT = 5.0  # the suite's event timeout for one run
WAIT_PER_RUN = 0.01  # more per run in flight: at 1,000 the slowest run took just over 5 s when measured
SIGN_UPS_AT_ONCE = 8  # argon2 already uses every core; more at once only queues
REQUESTS_AT_ONCE = 50
ROUNDS = 3  # the clients take turns; every round is printed and kept
SUITE_TIMEOUT = 1200
REPORT = Path("reports/bench.json")
KILL_MATRIX_FILE = Path("reports/kill-matrix.json")  # written by tests/fault_matrix.py


def derived_wait(runs: int) -> float:
    return BASE_WAIT + WAIT_PER_RUN * runs


def summary_of(output: str) -> str:
    return next((line for line in output.splitlines() if " scenarios: " in line), output[-300:])


def timed_suite(command: list[str], what: str, environment: dict[str, str]) -> tuple[float, str]:
    """Wall seconds of a whole-suite command that must pass, and its summary line."""
    started = time.monotonic()
    completed = subprocess.run(command, capture_output=True, text=True, timeout=SUITE_TIMEOUT, env=environment)
    seconds = time.monotonic() - started
    if completed.returncode != 0:
        raise SystemExit(f"{what} did not pass: {summary_of(completed.stdout)}")
    return seconds, summary_of(completed.stdout)


def serial_wall_time(workdir: Path) -> tuple[float, str]:
    """The whole suite through the runner with one worker, stack boot included."""
    command = [sys.executable, "-m", "support.running", "--processes", "1", "--results", str(workdir / "results"),
               "--junit", str(workdir / "junit.xml"), "--durations", str(workdir / "durations.json")]  # fmt: skip
    return timed_suite(command, "the serial suite", {**os.environ, "PROCESSES": "", "RETRIES": "", "SHARD": ""})


def make_run_wall_time() -> tuple[float, str]:
    """`make run` as a person types it, default settings: install check, stack, every journey, the report."""
    environment = {key: value for key, value in os.environ.items() if key not in ("PROCESSES", "RETRIES", "SHARD")}
    return timed_suite(["make", "--no-print-directory", "run"], "make run", environment)


def startup_cost() -> dict[str, float]:
    probe = (
        "import resource, time; started = time.perf_counter();"
        "import support.actors, support.crowd, support.checks.event_stream, support.report.allure_report,"
        " support.stack.embedded_stack;"
        "print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    seconds, rss_kib = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    ).stdout.split()
    return {"import_seconds": float(seconds), "import_rss_mib": int(rss_kib) / 1024}


async def load(stack: EmbeddedStack, users: int, chats: int) -> dict[str, Any]:
    per_customer = max(1, chats // users)
    runs = per_customer * users
    wait = derived_wait(runs)
    target = load_config({}, {}).targeting(
        stack.instance_urls,
        stack.database_url,
        stack.identity_provider_url,
        stack.admin_token,
        str(stack.export_store),
        stack.platform_logs,
    )
    async with httpx2.AsyncClient(timeout=wait) as http:
        evidence = ScenarioEvidence(RUN_REDACTOR)
        api = PlatformApi(http, evidence, Servers(target.instances))
        customers = [Actor(f"Customer{n:03d}", api, target, evidence) for n in range(1, users + 1)]
        crowd = Crowd(customers, evidence, at_once=SIGN_UPS_AT_ONCE)
        started = time.monotonic()
        await crowd.authenticate(lambda actor: actor.account.sign_up_and_log_in())
        auth_seconds = time.monotonic() - started
        await upgrade_to_pro(api, stack.admin_token, customers)
        crowd.gate = asyncio.Semaphore(REQUESTS_AT_ONCE)
        tokens = [actor.session.token for actor in customers]
        suite: list[tuple[float, float]] = []
        bare: list[tuple[float, float]] = []
        for _ in range(ROUNDS):  # taking turns, so neither gets the warmer or the emptier database
            bare.append(await bare_round(stack.base_url, tokens, per_customer, wait))
            suite.append(await suite_round(crowd, per_customer, wait))
        events = sum(len(chat.run.events) for chat in crowd.chats if chat.run)
    (suite_seconds, suite_cpu), (bare_seconds, bare_cpu) = min(suite), min(bare)
    ratios = [bare_round[0] / suite_round[0] for suite_round, bare_round in zip(suite, bare, strict=True)]
    return {
        "rounds": [
            {"suite_seconds": s_seconds, "bare_seconds": b_seconds, "suite_to_bare_ratio": ratio}
            for (s_seconds, _), (b_seconds, _), ratio in zip(suite, bare, ratios, strict=True)
        ],
        "worst_round_ratio": min(ratios),
        "ratio_spread": max(ratios) - min(ratios),
        "users": users,
        "runs": runs,
        "derived_wait_seconds": wait,
        "sign_up_and_login_seconds": auth_seconds,
        "customers_per_second": users / auth_seconds,
        "suite_seconds": suite_seconds,
        "suite_runs_per_second": runs / suite_seconds,
        "events_checked": events,
        "bare_seconds": bare_seconds,
        "bare_runs_per_second": runs / bare_seconds,
        "suite_to_bare_ratio": bare_seconds / suite_seconds,  # best round of each
        "suite_client_cpu_seconds": suite_cpu,
        "bare_client_cpu_seconds": bare_cpu,
        "latency_ms": {
            step: {key: value * 1000 if key != "n" else value for key, value in figures.items()}
            for step, figures in crowd.latencies.summary().items()
        },
        "client_max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "latency_table": crowd.latencies.table(),
    }


async def upgrade_to_pro(api: PlatformApi, admin_token: str, customers: list[Actor]) -> None:
    """The pro plan's limits hold ten chats each at once."""
    for actor in customers:
        assert actor.user_id is not None
        expect_status(await api.set_plan(admin_token, actor.user_id, "pro"), 200, "upgrade to pro")


async def suite_round(crowd: Crowd, per_customer: int, wait: float) -> tuple[float, float]:
    """One round through the suite's layer: seconds, and the client's CPU seconds. Every run is checked."""
    crowd.chats, crowd.latencies = [], Latencies({"auth": crowd.latencies.samples.get("auth", [])})
    crowd.evidence.http.clear()  # each round keeps its own evidence, as each scenario does
    crowd.evidence.frames.clear()
    started, cpu = time.monotonic(), time.process_time()
    await crowd.open_chats(per_customer, wait)
    await crowd.ask_all(QUESTION, wait)
    seconds, cpu = time.monotonic() - started, time.process_time() - cpu
    failures = crowd.failures(ANSWER)
    await crowd.close()
    if failures:
        raise SystemExit(
            f"{len(failures)} of {len(crowd.chats)} runs broke the stream contract:\n" + "\n".join(failures[:5])
        )
    return seconds, cpu


async def bare_round(base_url: str, tokens: list[str], per_customer: int, wait: float) -> tuple[float, float]:
    cpu = time.process_time()
    seconds, chats = await chat_load(base_url, tokens, per_customer, QUESTION, wait, REQUESTS_AT_ONCE)
    unfinished = [chat for chat in chats if chat.ended != "agent_completed"]
    if unfinished:
        raise SystemExit(f"the bare client saw {len(unfinished)} runs end otherwise than agent_completed")
    return seconds, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m support.bench", description=__doc__)
    parser.add_argument("--chats", type=int, default=int(os.environ.get("CHATS") or 1000))
    parser.add_argument("--users", type=int, default=int(os.environ.get("USERS") or 100))
    parser.add_argument("--skip-suite", action="store_true", help="leave out the serial and parallel suite runs")
    options = parser.parse_args(argv)
    figures: dict[str, Any] = {"cores": os.cpu_count(), "startup": startup_cost()}
    if not options.skip_suite:
        with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
            serial, serial_summary = serial_wall_time(Path(workdir))
        parallel, parallel_summary = make_run_wall_time()
        figures["suite"] = {"serial_seconds": serial, "make_run_seconds": parallel, "speedup": serial / parallel,
                            "serial": serial_summary, "make_run": parallel_summary}  # fmt: skip
    stack = EmbeddedStack().start()
    try:
        figures["startup"]["stack_boot_seconds"] = stack.boot_seconds
        figures["load"] = asyncio.run(load(stack, options.users, options.chats))
    finally:
        stack.stop()
    figures["kill_matrix"] = last_kill_matrix()
    print(table(figures))
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\nwritten to {REPORT}")
    return 0


def last_kill_matrix() -> dict[str, Any] | None:
    """What the last whole-catalogue `make faults` recorded: how long it took, and how many defects it caught.
    (The matrix takes minutes of its own; the bench reports its figure rather than running it again.)"""
    try:
        recorded: dict[str, Any] = json.loads(KILL_MATRIX_FILE.read_text())
    except (OSError, ValueError):
        return None
    if "seconds" not in recorded:
        return None
    return {"seconds": recorded["seconds"], "caught": recorded["caught"], "defects": len(recorded["catalogue"])}


def table(figures: dict[str, Any]) -> str:
    load, startup = figures["load"], figures["startup"]
    rows = [("cores", f"{figures['cores']}")]
    if "suite" in figures:
        suite = figures["suite"]
        rows += [
            ("full suite, serial", f"{suite['serial_seconds']:.1f} s   ({suite['serial']})"),
            ("make run, defaults", f"{suite['make_run_seconds']:.1f} s   (target 30 s or less; {suite['make_run']})"),
            ("speedup", f"{suite['speedup']:.2f}x   (serial runner against make run; target 1.7x or more)"),
        ]
    matrix = figures.get("kill_matrix")
    rows.append(
        (
            "kill matrix",
            f"{matrix['seconds']:.0f} s for {matrix['caught']} of {matrix['defects']} defects caught   "
            "(the last `make faults`; target 240 s or less at 210 defects or more)"
            if matrix
            else "not measured: run `make faults` (the whole catalogue) first",
        )
    )
    rows += [
        ("load", f"{load['runs']} concurrent runs over {load['users']} customers"),
        ("wait per run, derived", f"{load['derived_wait_seconds']:.1f} s   (5 s + 10 ms per run in flight)"),
        (
            "sign-up + login",
            f"{load['customers_per_second']:.1f} customers/s   "
            f"(argon2id, {PASSWORD_HASHING} profile, {load['users']} customers)",
        ),
        (
            "suite layer",
            f"{load['suite_runs_per_second']:.0f} runs/s   ({load['events_checked']} events checked, "
            f"client CPU {load['suite_client_cpu_seconds']:.1f} s)",
        ),
        (
            "bare client",
            f"{load['bare_runs_per_second']:.0f} runs/s   (client CPU {load['bare_client_cpu_seconds']:.1f} s)",
        ),
        *(
            (
                f"round {n}",
                f"suite {r['suite_seconds']:.1f} s, bare {r['bare_seconds']:.1f} s, "
                f"suite / bare {r['suite_to_bare_ratio']:.2f}",
            )
            for n, r in enumerate(load["rounds"], start=1)
        ),
        (
            "suite / bare",
            f"{load['worst_round_ratio']:.2f} in the worst round, spread {load['ratio_spread']:.2f}"
            "   (target 0.9 or more in every round)",
        ),
        ("client memory", f"{load['client_max_rss_mib']:.0f} MiB peak RSS"),
        ("support import", f"{startup['import_seconds'] * 1000:.0f} ms, {startup['import_rss_mib']:.0f} MiB RSS"),
        ("stack boot", f"{startup['stack_boot_seconds']:.1f} s"),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"{name:<{width}}  {value}" for name, value in rows]
    return "\n".join([*lines, "", "latency per step (suite layer):", load["latency_table"]])


if __name__ == "__main__":
    sys.exit(main())
