import pytest

from support.stack.config import ConfigError, TargetConfig, load_config
from support.stack.safety import UnsafeTarget, refuse_if_unsafe


def test_no_target_means_the_embedded_stack() -> None:
    config = load_config({}, {})
    assert config.embedded and config.is_local
    assert config.event_timeout == 5.0


def test_userdata_wins_over_the_environment() -> None:
    config = load_config(
        {"base_url": "https://staging.example.com/"},
        {"CHAT_ACCEPTANCE_BASE_URL": "http://127.0.0.1:1", "CHAT_ACCEPTANCE_EVENT_TIMEOUT": "2.5"},
    )
    assert config.base_url == "https://staging.example.com"
    assert config.chat_url() == "wss://staging.example.com/chat"
    assert config.event_timeout == 2.5
    assert not config.embedded and not config.is_local


@pytest.mark.parametrize(
    ("userdata", "message"),
    [
        ({"base_url": "staging.example.com"}, "base_url must be an http"),
        ({"event_timeout": "soon"}, "event_timeout must be a number"),
        ({"request_timeout": "0"}, "request_timeout must be positive"),
        ({"base_url": "http://x.test", "platform_faults": "seq_gap"}, "only applies to the embedded platform"),
    ],
)
def test_bad_settings_are_refused_with_the_key_named(userdata: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(userdata, {})


def test_destructive_scenarios_are_refused_against_a_shared_target_unless_allowed() -> None:
    staging = TargetConfig(base_url="https://staging.example.com")
    with pytest.raises(UnsafeTarget, match="allow_destructive=true"):
        refuse_if_unsafe(["destructive"], staging)
    refuse_if_unsafe(["destructive"], TargetConfig(base_url="https://staging.example.com", allow_destructive=True))
    refuse_if_unsafe(["destructive"], TargetConfig(base_url="http://127.0.0.1:8000"))
    refuse_if_unsafe(["critical"], staging)
