"""An agent server of the target's own, started from its profile's `server` command when no agent_url is given,
and the checks that it answers."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2

from support.agents.port import AgentTarget
from support.agents.profile import AgentProfile
from support.stack.config import TargetConfig
from support.stack.service_errors import ServiceUnavailable, describe

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class AgentServer:
    def __init__(self, profile: AgentProfile, fault: str | None = None) -> None:
        self.profile = profile
        self.fault = fault
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = ROOT / "reports" / f"agent-server-{self.port}.log"

    def run_url(self, protocol: str) -> str:
        """Where this server takes the protocol's runs: its address and the profile's path."""
        return self.url + self.profile.path_for(protocol)

    def command(self) -> list[str]:
        assert self.profile.server, (
            f"the profile {self.profile.source} has no server command, and no agent_url is given"
        )
        values = {"python": sys.executable, "port": str(self.port)}
        command = [part.format(**values) for part in self.profile.server]
        return [*command, "--fault", self.fault] if self.fault else command

    def start(self) -> "AgentServer":
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(self.command(), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServiceUnavailable(
                    self.profile.name, self.url, f"exited {self.process.returncode}; see {self.log}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise ServiceUnavailable(
            self.profile.name, self.url, f"not listening after {START_SECONDS:g} s; see {self.log}"
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


async def expect_agent_answers(url: str, timeout: float = 3.0) -> None:
    """Any HTTP answer will do (a run is a POST; a GET may well be refused): what fails is no answer at all."""
    try:
        async with httpx2.AsyncClient(timeout=timeout) as client:
            await client.get(url)
    except httpx2.HTTPError as error:
        raise ServiceUnavailable("agent server", url, describe(error)) from error


def describe_agent(target: TargetConfig, agent: AgentTarget) -> dict[str, str]:
    return {
        "Agent protocol": agent.protocol,
        "Agent target": agent.label,
        "Agent URL": target.agent_url or "(the platform's)",
        "Agent profile": str(agent.profile.source.relative_to(ROOT) if agent.profile.source.is_relative_to(ROOT)
                             else agent.profile.source),
    }  # fmt: skip
