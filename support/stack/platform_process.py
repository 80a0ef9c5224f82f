"""One instance of the reference platform as a child process, with the settings of the embedded deployment, the
secrets its instances share, and its database migrations."""

import os
import secrets
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx2

from support.stack.config import (
    EMBEDDED_LOGIN_CODE_SECONDS,
    EMBEDDED_RECENT_LOGIN_SECONDS,
    EMBEDDED_SHORT_LIVED_CLIENT,
    EMBEDDED_SHORT_LIVED_SESSION_SECONDS,
    EMBEDDED_TICKET_SECONDS,
)
from support.stack.identity_providers import ProviderRegistration
from support.stack.platform_forks import PLATFORM_FORKS_ENV, ForkedPlatform
from support.stack.processes import (
    START_TIMEOUT,
    Restart,
    ServerProcess,
    StackError,
    spawn,
    stop_process,
    wait_until_ready,
)

# A client whose tokens expire in seconds, so expiry journeys stay fast with no clock backdoor:
# access token 2 s, refresh token 4 s unused, session 10 s.
SHORT_LIVED_CLIENT = f"{EMBEDDED_SHORT_LIVED_CLIENT}=2/4/{EMBEDDED_SHORT_LIVED_SESSION_SECONDS}"


EXPORT_LINK_SECONDS = 5  # download links expire fast, so the journey that sees one expire waits seconds


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
        self.process: ServerProcess | None = None
        self.command: list[str] = []
        self.environment: dict[str, str] = {}

    def start(
        self, database_url: str, issuer: str, providers: list[ProviderRegistration], secrets_: "StackSecrets"
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
        forks = os.environ.get(PLATFORM_FORKS_ENV)
        if forks:  # the kill matrix's server, which has imported the platform once (platform_forks.py)
            arguments = self.command[3:]  # after `python -m reference_platform`
            self.process = ForkedPlatform(forks, arguments, self.log, self.environment, self.listening.fileno())
            return
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
