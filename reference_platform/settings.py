from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    database_url: str
    issuer: str
    audience: str = "chat-api"
    client_id: str = "chat-web"
    access_token_ttl_seconds: int = 300
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    ticket_ttl_seconds: int = 30
    min_password_length: int = 12
