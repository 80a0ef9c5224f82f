"""Platform instances forked from a process that has imported the reference platform once.

Starting an instance costs about 0.5 s of CPU before it serves, most of it imports. The kill matrix starts one per
defect, hundreds on two cores, so it runs a fork server (`python -m support.stack.platform_forks SOCKET`) and
names its socket in PLATFORM_FORKS_ENV; an embedded stack that sees it asks the server for each instance instead
of starting a process. The server is one thread, so no lock is held when it forks. Each request comes over a Unix
socket with the instance's listening socket attached; the server answers the child's pid, and later its exit code,
on the same connection. A client that goes away takes its instance with it, as the parent-death signal does for a
spawned one.
"""

import contextlib
import json
import os
import select
import selectors
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from support.stack.processes import spawn

PLATFORM_FORKS_ENV = "CHAT_ACCEPTANCE_PLATFORM_FORKS"
REAP_SECONDS = 0.05


class ForkedPlatform:
    """An instance forked by the server, with what `subprocess.Popen` offers the stack: pid, poll, wait, signals."""

    def __init__(self, server: str, arguments: list[str], log: Path, environment: dict[str, str], fd: int) -> None:
        self.connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.connection.connect(server)
        request = json.dumps({"args": arguments, "log": str(log), "env": environment}).encode()
        socket.send_fds(self.connection, [request + b"\n"], [fd])
        self.received = b""
        pid = self._line(None)
        if not pid:
            raise RuntimeError("the platform fork server closed the connection before it forked")
        self.pid = int(pid)
        self.returncode: int | None = None

    def _line(self, timeout: float | None) -> str | None:
        """The server's next line; None if none came within `timeout` (None: wait), "" if it hung up."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self.received:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([self.connection], [], [], left)[0]:
                return None
            chunk = self.connection.recv(64)
            if not chunk:
                return ""
            self.received += chunk
        line, _, self.received = self.received.partition(b"\n")
        return line.decode()

    def _exit(self, timeout: float | None) -> int | None:
        if self.returncode is None:
            line = self._line(timeout)
            if line is not None:
                self.returncode = int(line) if line else -1
                self.connection.close()
        return self.returncode

    def poll(self) -> int | None:
        return self._exit(0)

    def wait(self, timeout: float | None = None) -> int:
        code = self._exit(timeout)
        if code is None:
            raise subprocess.TimeoutExpired(f"platform {self.pid}", timeout or 0)
        return code

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def start_server(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A fork server for this machine's runs, and the path of its socket, once it listens."""
    path = str(workdir / "platform-forks.sock")
    command = [sys.executable, "-m", "support.stack.platform_forks", path]
    server = spawn(command, workdir / "platform-forks.log", signal.SIGTERM)  # gone with the process that asked
    deadline = time.monotonic() + 30
    while not os.path.exists(path):
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the platform fork server did not start (exit {server.poll()})")
        time.sleep(0.05)
    return server, path


def run_child(request: dict[str, Any], fd: int, inherited: list[socket.socket]) -> None:
    """In the fork: the platform's own main, on the listening socket handed over; never returns."""
    code = 1
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the server's own handler; uvicorn installs its own
        for server_side in inherited:  # the server's listener and its other clients' connections
            server_side.close()
        os.setsid()
        os.environ.clear()
        os.environ.update(request["env"])
        with open(request["log"], "wb") as log:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
        with open(os.devnull) as devnull:
            os.dup2(devnull.fileno(), 0)
        arguments = list(request["args"])
        arguments[arguments.index("--fd") + 1] = str(fd)
        from reference_platform.__main__ import main

        main(arguments)
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 1
    except BaseException as error:
        with contextlib.suppress(Exception):
            print(f"platform fork failed: {error!r}", file=sys.stderr, flush=True)
    finally:
        os._exit(code)


def serve(path: str) -> None:
    import reference_platform.__main__
    import reference_platform.faults  # noqa: F401

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path + ".tmp")
    listener.listen(64)
    os.rename(path + ".tmp", path)  # the client waits for the name: it appears once the server listens
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    children: dict[int, socket.socket] = {}  # pid -> the connection that asked for it
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        for key, _ in selector.select(REAP_SECONDS):
            if key.fileobj is listener:
                connection, _ = listener.accept()
                message, fds, _, _ = socket.recv_fds(connection, 1 << 20, 1)
                while not message.endswith(b"\n"):  # a stream: the rest of a long request may come after
                    more = connection.recv(1 << 20)
                    if not more:
                        break
                    message += more
                pid = os.fork()
                if pid == 0:
                    run_child(json.loads(message), fds[0], [listener, connection, *children.values()])
                os.close(fds[0])
                connection.sendall(f"{pid}\n".encode())
                children[pid] = connection
                selector.register(connection, selectors.EVENT_READ, pid)
            else:  # the client went away: its instance goes with it
                with contextlib.suppress(ProcessLookupError):
                    os.kill(key.data, signal.SIGTERM)
                selector.unregister(key.fileobj)
        reap(children, selector)


def reap(children: dict[int, socket.socket], selector: selectors.BaseSelector) -> None:
    while children:
        with contextlib.suppress(ChildProcessError):
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                return
            connection = children.pop(pid, None)
            if connection is not None:
                with contextlib.suppress(OSError, KeyError, ValueError):
                    selector.unregister(connection)
                with contextlib.suppress(OSError):
                    connection.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
                connection.close()
            continue
        return


if __name__ == "__main__":
    serve(sys.argv[1])
