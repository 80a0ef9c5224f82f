"""behave runs forked from a process that has imported the suite once.

Each run of the kill matrix is a behave process of its own, and most of what one costs before its first step is
importing the suite (about 0.7 s of CPU: behave, Allure, httpx2, openapi-core, the contract documents read).
Over 271 runs on two cores the matrix took 398 s with a process per run, and 325 s with this fork server, which
imports all of that once; each
run is a fork of it, which starts with everything loaded and nothing else shared (no thread, loop, socket or file
is open in the server when it forks). `python -m tests.behave_forks` is the server: a request per line on stdin
(JSON: the results directory, the output file, behave's arguments), the run's exit code per line on stdout.
"""

import contextlib
import json
import os
import runpy
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.behave_runs import BEHAVE, ROOT, SuiteRun, behave_command


class BehaveForks:
    """A fork server of its own: one per thread that runs suites, each run waited for in turn."""

    def __init__(self) -> None:
        self.server = subprocess.Popen(
            [sys.executable, "-m", "tests.behave_forks"], cwd=ROOT, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )  # fmt: skip

    def run_suite(self, results_dir: Path, *args: str) -> SuiteRun:
        assert self.server.stdin is not None and self.server.stdout is not None
        results_dir.mkdir(parents=True, exist_ok=True)
        output = results_dir.parent / f"{results_dir.name}.out"
        started = time.monotonic()
        arguments = behave_command(results_dir, *args)[len(BEHAVE) :]  # without the interpreter
        self.server.stdin.write(json.dumps({"output": str(output), "args": arguments}) + "\n")
        self.server.stdin.flush()
        answer = self.server.stdout.readline()
        if not answer:
            raise RuntimeError(f"the behave fork server stopped (exit {self.server.wait()})")
        return SuiteRun(int(answer), output.read_text(errors="replace"), results_dir, time.monotonic() - started)

    def close(self) -> None:
        if self.server.stdin is not None:
            self.server.stdin.close()
        self.server.wait(30)


LOCAL = threading.local()
SERVERS: list[BehaveForks] = []
SERVERS_LOCK = threading.Lock()


def forked_run(results_dir: Path, *args: str) -> SuiteRun:
    """A behave run forked from this thread's fork server (started on first use)."""
    forks = getattr(LOCAL, "forks", None)
    if forks is None:
        forks = LOCAL.forks = BehaveForks()
        with SERVERS_LOCK:
            SERVERS.append(forks)
    return forks.run_suite(results_dir, *args)


def close_servers() -> None:
    with SERVERS_LOCK:
        for forks in SERVERS:
            forks.close()
        SERVERS.clear()


def preload() -> None:
    """What every run imports and reads before its first step, done once, before any fork."""
    import behave.configuration
    import behave.runner  # noqa: F401

    import environment  # noqa: F401
    from support.checks import conformance

    conformance.openapi()
    conformance.frame_validators()


def run_child(arguments: list[str], output: str) -> None:
    """In the fork: behave as `python -m behave` runs it, its output to `output`; never returns."""
    code = 2
    try:
        with open(output, "w") as out:
            os.dup2(out.fileno(), 1)
            os.dup2(out.fileno(), 2)
        with open(os.devnull) as devnull:
            os.dup2(devnull.fileno(), 0)
        sys.argv = ["behave", *arguments]
        runpy.run_module("behave", run_name="__main__", alter_sys=True)  # as `python -m behave` does
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 1
    except BaseException as error:  # a run that dies says why, in its output
        with contextlib.suppress(Exception):
            print(f"behave fork failed: {error!r}", file=sys.stderr)
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def serve() -> None:
    os.chdir(ROOT)
    preload()
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            run_child(request["args"], request["output"])
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status), flush=True)


if __name__ == "__main__":
    serve()
