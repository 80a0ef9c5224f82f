"""A target's profile (TOML): what its agent can do, how to make it do it, and how to reach it.

Journeys ask the profile's questions, so that the same sentences judge any agent. See docs/agent-profiles.md.
"""

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REFERENCE_PROFILE = Path(__file__).resolve().parents[2] / "targets" / "reference_platform.toml"


class ProfileError(Exception):
    pass


@dataclass(frozen=True)
class Ask:
    question: str
    fact: str = ""  # what the answer must contain
    tool: str = ""  # the tool the agent must call for it
    told: str = ""  # what the conversation said before, which the answer must draw on


@dataclass(frozen=True)
class AgentProfile:
    name: str
    offers: frozenset[str]  # what the target offers beyond what its protocol does: accounts, plans, history…
    tool_question: Ask
    failing_tool_question: Ask
    plain_question: Ask
    code_word: Ask  # the question that asks back a code word the conversation told it; fact: the word
    app_tool: Ask  # the question that makes it call a tool the app declares; tool: its name, fact: the app's result
    auth: str = "none"  # none | account (the suite signs a customer up) | env:VARIABLE (a bearer token)
    paths: tuple[tuple[str, str], ...] = ()  # where each protocol's runs are posted, from the target's base URL
    server: tuple[str, ...] = ()  # the command that starts the target on {port}, when no agent_url is given
    source: Path = REFERENCE_PROFILE

    def path_for(self, protocol: str) -> str:
        return dict(self.paths).get(protocol, "/")


def load_profile(path: Path) -> AgentProfile:
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ProfileError(f"agent profile {path}: {error}") from None
    try:
        agent, questions = data["agent"], data["questions"]
        return AgentProfile(
            name=str(agent["name"]),
            offers=frozenset(str(need) for need in agent.get("offers", [])),
            auth=str(agent.get("auth", "none")),
            paths=tuple((str(protocol), str(path)) for protocol, path in agent.get("paths", {}).items()),
            server=tuple(str(part) for part in agent.get("server", [])),
            tool_question=_ask(questions, "tool"),
            failing_tool_question=_ask(questions, "failing_tool"),
            plain_question=_ask(questions, "plain"),
            code_word=_ask(questions, "code_word"),
            app_tool=_ask(questions, "app_tool"),
            source=path,
        )
    except (KeyError, TypeError) as error:
        raise ProfileError(f"agent profile {path}: missing or malformed {error}") from None


def _ask(questions: dict[str, Any], key: str) -> Ask:
    entry = questions[key]
    return Ask(str(entry["ask"]), str(entry.get("fact", "")), str(entry.get("tool", "")), str(entry.get("told", "")))
