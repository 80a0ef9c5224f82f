"""The stack's child processes: spawned so the kernel stops them with the test process (PR_SET_PDEATHSIG), waited
for until ready, stopped with a signal and timed, and their logs read when they fail."""

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from subprocess import Popen
from typing import Any, NamedTuple, Protocol

SETPRIV = shutil.which("setpriv") or "/usr/bin/setpriv"


START_TIMEOUT = 30.0


class StackError(Exception):
    pass


class ServerProcess(Protocol):
    """What the stack asks of a server it started: a spawned process, or an instance forked by a server."""

    pid: int
    returncode: int | Any

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def send_signal(self, sig: int) -> None: ...

    def kill(self) -> None: ...


def spawn(command: list[str], log_path: Path, on_parent_death: signal.Signals, **options: Any) -> Popen[bytes]:
    """Start a server in its own session, logging to a file, and have the kernel signal it if we die.

    util-linux's setpriv sets the parent-death signal and then execs the server, so no Python code
    runs between fork and exec (a preexec_fn could deadlock once the event loop's thread runs).
    """
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            [SETPRIV, f"--pdeathsig={on_parent_death.name}", "--", *command],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            **options,
        )


def wait_until_ready(process: ServerProcess | None, log: Path, server: str, is_ready: Callable[[], bool]) -> None:
    """Poll until the server is ready; fail with its log if it exits or takes longer than START_TIMEOUT."""
    assert process is not None
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackError(f"{server} exited with code {process.returncode}:\n{log_tail(log)}")
        if is_ready():
            return
        time.sleep(0.1)
    raise StackError(f"{server} not ready after {START_TIMEOUT:g} s")


def c_locale() -> dict[str, str]:
    """PostgreSQL's messages (read for "could not bind") and collation do not follow the machine's locale."""
    return {**os.environ, "LC_ALL": "C", "LANG": "C"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def log_tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class Restart(NamedTuple):
    """A process's stop, timed where it happened: just before the signal was sent, and just after its exit was
    seen. However slow the hand-offs around them, the process got the signal after the first and exited before
    the second."""

    signalled_at: datetime
    exited_at: datetime


def stop_process(process: ServerProcess | None, sig: signal.Signals, grace: float = 10.0) -> Restart:
    signalled_at = datetime.now(UTC)
    if process is None or process.poll() is not None:
        return Restart(signalled_at, signalled_at)
    process.send_signal(sig)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
    return Restart(signalled_at, datetime.now(UTC))
