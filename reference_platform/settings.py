from dataclasses import dataclass, field
from pathlib import Path

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
    clients: dict[str, ClientPolicy] = field(default_factory=default_clients)
    ticket_ttl_seconds: int = 30
    min_password_length: int = 12
    oidc_providers: tuple[OidcProviderSettings, ...] = ()
    oidc_attempt_seconds: int = 300
    login_code_seconds: int = 60
    app_signed_in_path: str = "/app/signed-in"
    limits_preset: str = "production"
    export_dir: Path = Path("exports")
    export_link_seconds: int = 600
    admin_token: str | None = None
    recent_login_seconds: int = 300
