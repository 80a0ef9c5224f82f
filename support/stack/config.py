"""Where the suite points: behave -D userdata first, then CHAT_ACCEPTANCE_* environment variables."""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

ENV_PREFIX = "CHAT_ACCEPTANCE_"
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
EMBEDDED_SHORT_LIVED_CLIENT = "expiry-probe"  # registered by the embedded stack: tokens that expire in seconds
# Lifetimes the embedded stack shortens from the contract's minutes (docs/contract.md), so the journeys that wait
# them out take seconds.
EMBEDDED_SHORT_LIVED_SESSION_SECONDS = 10
EMBEDDED_LOGIN_CODE_SECONDS = 5
EMBEDDED_TICKET_SECONDS = 5
EMBEDDED_RECENT_LOGIN_SECONDS = 5


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class TargetConfig:
    base_url: str | None = None
    database_url: str | None = None
    event_timeout: float = 5.0
    request_timeout: float = 10.0
    allow_destructive: bool = False
    platform_faults: tuple[str, ...] = field(default_factory=tuple)
    identity_provider: str = "embedded"
    identity_provider_url: str | None = None
    provider_login: str = "support.clients.provider_login:DevInteractionsLogin"
    short_lived_client: str | None = None
    short_lived_session_seconds: float | None = None  # how long a session of the short-lived client lasts at most
    login_code_seconds: float = 60.0  # how long a sign-in's one-time login code works
    recent_login_seconds: float = 300.0  # how recent a login erases an account with no password
    admin_token: str | None = None
    token_audience: str = "chat-api"  # the `aud` of the platform's access tokens
    token_issuer: str | None = None  # their `iss`; by default the platform's base URL
    export_store: str | None = None
    platform_logs: str | None = None  # a glob of the platform's log files, for the check that requests are logged
    platform_instances: int = 1  # the embedded stack starts this many instances
    embedded_identity_provider: bool = True  # off: the embedded stack starts no identity provider (kill matrix)
    instance_urls: tuple[str, ...] = ()  # every instance of the target; requests and sockets spread over them
    stack_control: str | None = None  # the parallel runner's embedded stack, shared by its workers
    agent_protocol: str = "chat-socket"  # how the agent's runs are carried: chat-socket, ag-ui or vercel-ai
    agent_url: str | None = None  # where an agent server of its own takes runs (by default, the platform)
    agent_profile: str | None = None  # the target's profile (TOML); by default the reference platform's
    agent_faults: str | None = None  # a defect the agent server the suite starts is started with (kill matrix)

    @property
    def embedded(self) -> bool:
        """No target configured: the suite starts the reference platform itself."""
        return self.base_url is None

    @property
    def is_local(self) -> bool:
        return self.base_url is None or urlsplit(self.base_url).hostname in LOCAL_HOSTS

    @property
    def instances(self) -> tuple[str, ...]:
        assert self.base_url is not None, "no target yet"
        return self.instance_urls or (self.base_url,)

    def targeting(
        self,
        instance_urls: tuple[str, ...],
        database_url: str,
        identity_provider_url: str | None,
        admin_token: str,
        export_store: str,
        platform_logs: str,
    ) -> "TargetConfig":
        """The embedded stack as the target, with its short-lived client and its admin token."""
        return replace(
            self,
            base_url=instance_urls[0],
            instance_urls=instance_urls,
            database_url=database_url,
            identity_provider_url=identity_provider_url,
            short_lived_client=self.short_lived_client or EMBEDDED_SHORT_LIVED_CLIENT,
            short_lived_session_seconds=self.short_lived_session_seconds or EMBEDDED_SHORT_LIVED_SESSION_SECONDS,
            login_code_seconds=EMBEDDED_LOGIN_CODE_SECONDS,
            recent_login_seconds=EMBEDDED_RECENT_LOGIN_SECONDS,
            admin_token=admin_token,
            export_store=export_store,
            platform_logs=platform_logs,
        )


def load_config(userdata: Mapping[str, str], environ: Mapping[str, str]) -> TargetConfig:
    def setting(key: str) -> str | None:
        value = userdata.get(key) or environ.get(ENV_PREFIX + key.upper())
        return value.strip() if value and value.strip() else None

    base_url = _url(setting("base_url"), "base_url")
    if base_url is not None:
        base_url = base_url.rstrip("/")
    faults = tuple(name.strip() for name in (setting("platform_faults") or "").split(",") if name.strip())
    if faults and base_url is not None:
        raise ConfigError("platform_faults only applies to the embedded platform; remove base_url to use it")
    instances = _count(setting("platform_instances"), "platform_instances")
    if instances > 1 and base_url is not None:
        raise ConfigError("platform_instances starts embedded instances; for a deployment give instance_urls")
    instance_urls = tuple(url.strip().rstrip("/") for url in (setting("instance_urls") or "").split(",") if url.strip())
    if instance_urls and base_url is None:
        raise ConfigError("instance_urls names a deployment's instances; give its base_url too")
    return TargetConfig(
        base_url=base_url,
        database_url=setting("database_url"),
        event_timeout=_seconds(setting("event_timeout"), 5.0, "event_timeout"),
        request_timeout=_seconds(setting("request_timeout"), 10.0, "request_timeout"),
        allow_destructive=(setting("allow_destructive") or "").lower() in TRUE_WORDS,
        platform_faults=faults,
        identity_provider=setting("identity_provider") or "embedded",
        identity_provider_url=setting("identity_provider_url"),
        provider_login=setting("provider_login") or TargetConfig.provider_login,
        short_lived_client=setting("short_lived_client"),
        short_lived_session_seconds=_optional_seconds(
            setting("short_lived_session_seconds"), "short_lived_session_seconds"
        ),
        login_code_seconds=_seconds(setting("login_code_seconds"), 60.0, "login_code_seconds"),
        recent_login_seconds=_seconds(setting("recent_login_seconds"), 300.0, "recent_login_seconds"),
        admin_token=setting("admin_token"),
        token_audience=setting("token_audience") or TargetConfig.token_audience,
        token_issuer=setting("token_issuer"),
        export_store=setting("export_store"),
        platform_logs=setting("platform_logs"),
        platform_instances=instances,
        embedded_identity_provider=(setting("embedded_identity_provider") or "on").lower() not in FALSE_WORDS,
        instance_urls=instance_urls,
        stack_control=setting("stack_control"),
        agent_protocol=_protocol(setting("agent_protocol")),
        agent_url=_url(setting("agent_url"), "agent_url"),
        agent_profile=setting("agent_profile"),
        agent_faults=setting("agent_faults"),
    )


AGENT_PROTOCOLS = ("chat-socket", "ag-ui", "vercel-ai")


def _protocol(value: str | None) -> str:
    if value is not None and value not in AGENT_PROTOCOLS:
        raise ConfigError(f"agent_protocol must be one of {', '.join(AGENT_PROTOCOLS)}, got {value!r}")
    return value or "chat-socket"


def _url(value: str | None, key: str) -> str | None:
    if value is not None and (urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).hostname):
        raise ConfigError(f"{key} must be an http(s) URL, got {value!r}")
    return value


def _count(value: str | None, key: str) -> int:
    if value is None:
        return 1
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"{key} must be a whole number of at least 1, got {value!r}")
    return int(value)


def _optional_seconds(value: str | None, key: str) -> float | None:
    return None if value is None else _seconds(value, 0.0, key)


def _seconds(value: str | None, default: float, key: str) -> float:
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigError(f"{key} must be a number of seconds, got {value!r}") from None
    if seconds <= 0:
        raise ConfigError(f"{key} must be positive, got {value!r}")
    return seconds
