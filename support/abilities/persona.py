"""Who a person is to the platform: her name, her credentials and account, the last answer she got, and where
her requests go. Every ability is given her persona, and nothing more of her than it uses."""

import contextlib
import secrets
import uuid
from collections.abc import Iterator

from support.clients.database_probe import SUITE_EMAIL_DOMAIN
from support.clients.http_client import ApiResponse, PlatformApi
from support.report.evidence import ScenarioEvidence
from support.stack.config import TargetConfig


def suite_email(name: str) -> str:
    """A fresh address per actor and scenario, in a domain that marks it as the suite's own."""
    return f"{name.lower()}-{uuid.uuid4().hex[:10]}@{SUITE_EMAIL_DOMAIN}"


class Persona:
    def __init__(
        self,
        name: str,
        api: PlatformApi,
        target: TargetConfig,
        evidence: ScenarioEvidence,
        email: str = "",
        password: str = "",
    ) -> None:
        self.name, self.api, self.target, self.evidence = name, api, target, evidence
        self.email = email or suite_email(name)
        self.password = password or secrets.token_urlsafe(18)
        self.user_id: str | None = None
        self.last_response: ApiResponse | None = None
        self.answer_for_nothing: ApiResponse | None = None  # the same request for an id that does not exist
        evidence.redactor.remember(self.password)

    @property
    def event_timeout(self) -> float:
        return self.target.event_timeout

    @contextlib.contextmanager
    def on_server(self, base_url: str) -> Iterator[None]:
        """Her requests and sockets go to this instance only, for as long as the block lasts."""
        spread, self.api = self.api, self.api.on(base_url)
        try:
            yield
        finally:
            self.api = spread
