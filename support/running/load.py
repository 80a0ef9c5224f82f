"""`make load`: the Locust users of load/locustfile.py against the embedded stack (or the configured target), headless,
with one master and one worker per core on this machine, as they would run across machines (docs/load.md).

Prints what the master and each worker say, Locust's stats table and the load summary; writes CSV stats and the HTML
report to reports/load/; exits as the master does: non-zero on any failed request or missed threshold."""

import argparse
import os
import subprocess
import sys
import threading
from pathlib import Path

from support.stack.config import load_config
from support.stack.embedded_stack import EmbeddedStack
from support.stack.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "load" / "locust.conf"
REPORTS = Path("reports/load")
LOCUST = [sys.executable, "-m", "locust", "--config", str(CONFIG)]


def relay(name: str, process: subprocess.Popen[str]) -> threading.Thread:
    """Print what a Locust process says, each line marked with which process said it."""

    def run() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            print(f"[{name}] {line}", end="", flush=True)

    thread = threading.Thread(target=run, name=f"relay-{name}", daemon=True)
    thread.start()
    return thread


def start(name: str, arguments: list[str], environ: dict[str, str]) -> tuple[subprocess.Popen[str], threading.Thread]:
    process = subprocess.Popen([*LOCUST, *arguments], cwd=ROOT, env=environ, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    return process, relay(name, process)


def run_distributed(host: str, admin_token: str | None, workers: int, extra: list[str]) -> int:
    """One master, `workers` workers, all on this machine; the master's exit code."""
    reports = REPORTS.resolve()  # where the caller stands; Locust itself runs from the repository
    reports.mkdir(parents=True, exist_ok=True)
    environ = {**os.environ, "PYTHONPATH": str(ROOT), "CHAT_ACCEPTANCE_ADMIN_TOKEN": admin_token or ""}
    port = free_port()
    master, master_relay = start("master", [
        "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
        "--expect-workers", str(workers), "--host", host,
        "--csv", str(reports / "locust"), "--html", str(reports / "report.html"), *extra,
    ], environ)  # fmt: skip
    started = [start(f"worker-{n}", ["--worker", "--master-host", "127.0.0.1", "--master-port", str(port)], environ)
               for n in range(1, workers + 1)]  # fmt: skip
    try:
        status = master.wait()
    finally:
        for worker, _ in started:
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.terminate()
                worker.wait(10)
    for thread in [master_relay, *(relay_thread for _, relay_thread in started)]:
        thread.join(5)
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m support.running.load", description=__doc__)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="worker processes (one per core)")
    options, extra = parser.parse_known_args(argv)
    target = load_config({}, os.environ)
    if target.base_url is not None:
        print(f"Load on {target.base_url}")
        return run_distributed(target.base_url, target.admin_token, options.workers, extra)
    stack = EmbeddedStack(target.platform_faults).start()
    try:
        print(f"Load on the embedded stack at {stack.base_url} (started by the suite)")
        return run_distributed(stack.base_url, stack.admin_token, options.workers, extra)
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
