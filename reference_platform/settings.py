import uuid
from dataclasses import dataclass, field
from pathlib import Path

from reference_platform.identity.passwords import PRODUCTION_HASHING
from reference_platform.identity.sessions import DEFAULT_CLIENT, ClientPolicy


def default_clients() -> dict[str, ClientPolicy]:
    # Access tokens live minutes (RFC 9700, OAuth 2.1); a session lasts 30 days, 14 of them unused.
    return {
        DEFAULT_CLIENT: ClientPolicy(access_seconds=300, refresh_idle_seconds=14 * 86400, session_seconds=30 * 86400)
    }


@dataclass(frozen=True)
class OidcProviderSettings:
    """A provider customers can sign in with: the platform is its relying party (client)."""

    name: str
    issuer: str
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class Settings:
    database_url: str
    issuer: str
    audience: str = "chat-api"
    access_token_type: str = "at+jwt"  # RFC 9068; an older API behind the same issuer may still use "JWT"
    clients: dict[str, ClientPolicy] = field(default_factory=default_clients)
    ticket_ttl_seconds: int = 30
    min_password_length: int = 12
    password_hashing: str = PRODUCTION_HASHING  # an argon2id profile of identity/passwords.py
    oidc_providers: tuple[OidcProviderSettings, ...] = ()
    oidc_attempt_seconds: int = 300
    login_code_seconds: int = 60
    app_signed_in_path: str = "/app/signed-in"
    limits_preset: str = "production"
    login_limit_exempt: frozenset[str] = frozenset()  # client addresses the per-address login limit leaves out
    export_dir: Path = Path("exports")
    export_link_seconds: int = 600
    admin_token: str | None = None
    recent_login_seconds: int = 300
    signing_key_file: Path | None = None  # instances behind one URL share it; without it each start makes a key
    instance_id: uuid.UUID = field(default_factory=uuid.uuid4)
    chat: "ChatPolicy" = field(default_factory=lambda: ChatPolicy())


@dataclass(frozen=True)
class ChatPolicy:
    """The chat socket's promises, published at GET /chat/policy so clients and the suite can rely on them."""

    ping_interval_seconds: float = 20.0  # under the 60 s idle timeout proxies commonly use
    ping_timeout_seconds: float = 20.0  # a client that leaves a ping unanswered this long is closed
    tool_timeout_seconds: float = 30.0  # a tool slower than this ends its run with agent_error tool_timeout
    event_retention_seconds: int = 600  # how long after a run ends it can still be resumed
    shutdown_grace_seconds: int = 30  # on SIGTERM, runs in progress get this long to finish
    diagnostic_tools: bool = False  # the `wait` tool, for journeys that need a slow tool

    def public(self) -> dict[str, float | int | bool]:
        return {
            "ping_interval_seconds": self.ping_interval_seconds,
            "ping_timeout_seconds": self.ping_timeout_seconds,
            "tool_timeout_seconds": self.tool_timeout_seconds,
            "event_retention_seconds": self.event_retention_seconds,
            "shutdown_grace_seconds": self.shutdown_grace_seconds,
            "diagnostic_tools": self.diagnostic_tools,
        }
