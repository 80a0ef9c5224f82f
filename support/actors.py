"""The cast of a scenario: actors, each a persona (`support/abilities/persona.py`) with her abilities, each
ability in a room of its own (`support/abilities/`) and given only the persona and the abilities it uses."""

from support.abilities.account import Account
from support.abilities.agent import AgentTalk
from support.abilities.chat import Chat
from support.abilities.data import Data
from support.abilities.limits import Limits
from support.abilities.persona import Persona, suite_email
from support.abilities.provider import Provider
from support.abilities.records import Records
from support.abilities.run_log import RunLog
from support.abilities.runs import Runs
from support.abilities.session import Session
from support.clients.database_probe import DatabaseProbe
from support.clients.http_client import PlatformApi
from support.report.evidence import ScenarioEvidence
from support.stack.config import TargetConfig

__all__ = ["Actor", "Cast", "suite_email"]

PRONOUNS = frozenset({"she", "he", "they", "her", "his", "their", "him", "them"})


class Actor(Persona):
    def __init__(
        self,
        name: str,
        api: PlatformApi,
        target: TargetConfig,
        evidence: ScenarioEvidence,
        email: str = "",
        password: str = "",
    ) -> None:
        super().__init__(name, api, target, evidence, email, password)
        self.session = Session(self)
        self.provider = Provider(self, self.session)
        self.account = Account(self, self.session, self.provider)
        log = RunLog(self)
        self.chat = Chat(self, self.session, log)
        self.runs = Runs(self, self.chat, log)
        self.data = Data(self, self.session)
        self.limits = Limits(self, self.session)
        self.records = Records(self, self.chat, self.runs)
        self.agent = AgentTalk(self, self.session, self.account)

    async def leave(self) -> None:
        """Close her chats and browser, and erase the account this scenario created, whatever happened before."""
        await self.chat.close()
        await self.agent.close()
        await self.provider.close()
        await self.account.close()


class Cast:
    """The actors of one scenario. A pronoun means the actor last named."""

    def __init__(
        self, api: PlatformApi, target: TargetConfig, evidence: ScenarioEvidence, database: DatabaseProbe
    ) -> None:
        self.api = api
        self.database = database
        self.target = target
        self.evidence = evidence
        self.actors: dict[str, Actor] = {}
        self.crowd_evidence: list[ScenarioEvidence] = []  # a crowd's, attached whole at the end, not step by step
        self.devices: dict[tuple[str, str], Actor] = {}
        self.last_named: Actor | None = None

    async def device(self, owner: Actor, device: str) -> Actor:
        """The same customer, logged in again on another device: a session of her own."""
        if (owner.name, device) not in self.devices:
            other = Actor(f"{owner.name}'s {device}", self.api, self.target, self.evidence, owner.email, owner.password)
            await other.session.log_in()
            self.devices[(owner.name, device)] = other
        return self.devices[(owner.name, device)]

    @property
    def current(self) -> Actor:
        assert self.last_named is not None, "no actor has been named yet"
        return self.last_named

    def enlist(self, actor: Actor) -> Actor:
        """An actor made elsewhere (a crowd's) joins the cast, so that it is cleaned up with the rest."""
        self.actors[actor.name] = actor
        return actor

    def actor(self, reference: str) -> Actor:
        if reference.lower() in PRONOUNS:
            assert self.last_named is not None, f"'{reference}' refers to nobody: no actor has been named yet"
            return self.last_named
        if reference not in self.actors:
            self.actors[reference] = Actor(reference, self.api, self.target, self.evidence)
        self.last_named = self.actors[reference]
        return self.last_named

    def mentioned(self, name: str) -> Actor:
        """A persona only mentioned ("nothing of Bob's"): a later pronoun still means the one last named."""
        assert name in self.actors, f"{name} has not appeared in this scenario"
        return self.actors[name]

    async def dismiss(self) -> None:
        errors = []
        for actor in [*self.devices.values(), *self.actors.values()]:
            try:
                await actor.leave()
            except Exception as error:
                if actor.user_id is None or self.database.url is None:
                    errors.append(f"{actor.name}: {error}")
                    continue
                # The product would not let the account go (it may be the defect under test);
                # remove the suite's own user directly so no scenario leaves data behind.
                try:
                    await self.database.purge_suite_user(actor.user_id)
                except Exception as purge_error:
                    errors.append(f"{actor.name}: {error}; direct removal failed too: {purge_error}")
        if errors:
            raise RuntimeError("clean-up failed: " + "; ".join(errors))
