"""The port: which protocol carries the agent's runs, which target and profile answer them, and what they offer.

A protocol is one module with its NAME, what it OFFERS and its conversation class; adding one adds a module and
an entry here (docs/agent-protocols.md walks through it). Scenarios declare what they need with `@needs.X`
tags; a scenario whose needs are not all offered is not applicable to this run: never selected, never skipped.
"""

from dataclasses import dataclass
from pathlib import Path

from support.agents import ag_ui, chat_socket, vercel_ai
from support.agents.profile import REFERENCE_PROFILE, AgentProfile, load_profile
from support.stack.config import TargetConfig

PROTOCOL_OFFERS = {chat_socket.NAME: chat_socket.OFFERS, ag_ui.NAME: ag_ui.OFFERS, vercel_ai.NAME: vercel_ai.OFFERS}
NEEDS_PREFIX = "needs."


@dataclass(frozen=True)
class AgentTarget:
    protocol: str
    profile: AgentProfile
    url: str | None  # the agent server's own address; None: the platform's, at the profile's path

    @property
    def offers(self) -> frozenset[str]:
        return PROTOCOL_OFFERS[self.protocol] | self.profile.offers

    @property
    def needs_platform(self) -> bool:
        """The platform is started or checked only when the agent is the platform's, or its customers sign up."""
        return (self.url is None and not self.profile.server) or self.profile.auth == "account"

    @property
    def label(self) -> str:
        return self.profile.name

    def run_url(self, platform_url: str | None) -> str:
        """An agent_url as given; else the platform's URL and the profile's path for this protocol."""
        if self.url is not None:
            return self.url
        assert platform_url is not None, "no agent URL and no platform"
        return platform_url.rstrip("/") + self.profile.path_for(self.protocol)


def agent_target(config: TargetConfig) -> AgentTarget:
    profile = load_profile(Path(config.agent_profile)) if config.agent_profile else load_profile(REFERENCE_PROFILE)
    return AgentTarget(config.agent_protocol, profile, config.agent_url)


def needs_of(tags: frozenset[str] | list[str]) -> frozenset[str]:
    return frozenset(tag.removeprefix(NEEDS_PREFIX) for tag in tags if tag.startswith(NEEDS_PREFIX))


def not_offered(tags: frozenset[str] | list[str], target: AgentTarget) -> frozenset[str]:
    """What a scenario needs that this protocol and target do not offer; empty when it applies."""
    return needs_of(tags) - target.offers
