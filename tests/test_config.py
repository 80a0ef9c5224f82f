import pytest

from support.clients.servers import Servers, chat_url
from support.stack.config import ConfigError, TargetConfig, load_config
from support.stack.safety import UnsafeTarget, refuse_if_unsafe
from support.stack.service_errors import NotConfigured


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
    assert chat_url(config.base_url) == "wss://staging.example.com/chat"
    assert config.instances == ("https://staging.example.com",)
    assert config.event_timeout == 2.5
    assert not config.embedded and not config.is_local


@pytest.mark.parametrize(
    ("userdata", "message"),
    [
        ({"base_url": "staging.example.com"}, "base_url must be an http"),
        ({"event_timeout": "soon"}, "event_timeout must be a number"),
        ({"request_timeout": "0"}, "request_timeout must be positive"),
        ({"base_url": "http://x.test", "platform_faults": "seq_gap"}, "only applies to the embedded platform"),
        ({"platform_instances": "two"}, "platform_instances must be a whole number"),
        ({"base_url": "http://x.test", "platform_instances": "2"}, "for a deployment give instance_urls"),
        ({"instance_urls": "http://a.test"}, "give its base_url too"),
    ],
)
def test_bad_settings_are_refused_with_the_key_named(userdata: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(userdata, {})


def test_requests_take_turns_over_the_instances_and_journeys_name_them() -> None:
    config = load_config({"base_url": "http://a.test", "instance_urls": "http://a.test/, http://b.test"}, {})
    servers = Servers(config.instances)
    assert [servers.next() for _ in range(3)] == ["http://a.test", "http://b.test", "http://a.test"]
    assert servers.named("the other server") == "http://b.test"
    with pytest.raises(NotConfigured, match="needs 2 platform instances; the target has 1"):
        Servers(("http://a.test",)).named("the other server")


def test_destructive_scenarios_are_refused_against_a_shared_target_unless_allowed() -> None:
    staging = TargetConfig(base_url="https://staging.example.com")
    with pytest.raises(UnsafeTarget, match="allow_destructive=true"):
        refuse_if_unsafe(["destructive"], staging)
    refuse_if_unsafe(["destructive"], TargetConfig(base_url="https://staging.example.com", allow_destructive=True))
    refuse_if_unsafe(["destructive"], TargetConfig(base_url="http://127.0.0.1:8000"))
    refuse_if_unsafe(["critical"], staging)


def test_workers_of_the_runners_stack_are_not_told_to_start_one() -> None:
    from support.running.__main__ import EMBEDDED_ONLY, without_defines

    args = ["-D", "platform_instances=2", "--tags", "@critical", "-D", "event_timeout=3", "-D", "platform_faults=x"]
    assert without_defines(args, EMBEDDED_ONLY) == ["--tags", "@critical", "-D", "event_timeout=3"]
