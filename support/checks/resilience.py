"""What the chat promises about pings, slow tools, restarts and abandoned runs, against its published policy."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from support.clients.http_client import ApiResponse, PlatformApi
from support.stack.service_errors import NotConfigured

LONGEST_PING_INTERVAL = 30.0  # proxies commonly drop a connection idle for 60 s; pings must come well within that
PING_SLACK = 1.0  # scheduling jitter allowed on top of the published interval
SERVICE_RESTART = 1012  # RFC 6455 (IANA registry): the server is restarting
MESSAGE_TOO_BIG = 1009  # RFC 6455: a frame larger than the server takes
INTERNAL_ERROR = 1011  # RFC 6455: the server met a condition it cannot go on from (a keepalive ping unanswered)
CLOSE_SLACK = 2.0  # seconds the platform gets to close a chat once it has reason to
NO_CLOSE_FRAME = 1006  # what a WebSocket API reports when the connection ended without a close frame


@dataclass(frozen=True)
class ChatPolicy:
    """The chat socket's promises, as the platform publishes them at GET /chat/policy."""

    ping_interval: float
    ping_timeout: float
    tool_timeout: float
    event_retention: float
    shutdown_grace: float
    diagnostic_tools: bool
    max_message_bytes: int

    @classmethod
    def from_response(cls, response: ApiResponse) -> "ChatPolicy":
        if response.status != 200 or not isinstance(response.body, dict):
            raise NotConfigured(f"This journey reads the chat policy the platform publishes; got {response.describe()}")
        body: dict[str, Any] = response.body
        return cls(
            float(body["ping_interval_seconds"]),
            float(body["ping_timeout_seconds"]),
            float(body["tool_timeout_seconds"]),
            float(body["event_retention_seconds"]),
            float(body["shutdown_grace_seconds"]),
            bool(body.get("diagnostic_tools")),
            int(body["max_message_bytes"]),
        )

    def require_diagnostic_tools(self) -> None:
        if not self.diagnostic_tools:
            raise NotConfigured(
                "This journey needs a slow tool: start the platform with --diagnostic-tools (its `wait` tool)."
            )


async def published_policy(api: PlatformApi) -> ChatPolicy:
    return ChatPolicy.from_response(await api.chat_policy())


def expect_pinged(opened_at: float, pings: list[float], until: float, policy: ChatPolicy) -> None:
    """Pings came at least every published interval (plus slack), and the interval keeps proxies from closing."""
    assert policy.ping_interval <= LONGEST_PING_INTERVAL, (
        f"Expected a ping interval of at most {LONGEST_PING_INTERVAL:g} s, so proxies keep an idle chat open; "
        f"the platform publishes {policy.ping_interval:g} s"
    )
    moments = [opened_at, *pings, until]
    gaps = [later - earlier for earlier, later in pairwise(moments)]
    longest = max(gaps)
    assert longest <= policy.ping_interval + PING_SLACK, (
        f"Expected a ping at least every {policy.ping_interval:g} s on an idle chat; "
        f"{len(pings)} pings came in {until - opened_at:.1f} s, the longest silence was {longest:.1f} s"
    )


def expect_closed_for_silence(
    closed_after: float | None, waited: float, policy: ChatPolicy, close_code: int | None, expected_code: int
) -> None:
    limit = policy.ping_interval + policy.ping_timeout + PING_SLACK
    assert closed_after is not None, (
        f"Expected the platform to close a chat that answers no ping within {limit:g} s "
        f"(ping interval + ping timeout + {PING_SLACK:g} s); it was still open after {waited:.1f} s"
    )
    assert closed_after <= limit, (
        f"Expected the platform to close a chat that answers no ping within {limit:g} s; it took {closed_after:.1f} s"
    )
    assert close_code == expected_code, (
        f"Expected the platform to close a chat that answers no ping with a close frame, code {expected_code} "
        f"(the ping went unanswered); it closed with {'no close frame' if close_code is None else close_code}"
    )


def expect_run_ended(row: dict[str, Any] | None, within: float) -> None:
    """The run is recorded as ended, `within` seconds of its start as the database timed both."""
    assert row is not None, "Expected the platform to record the run; the runs table has no such run"
    assert row["status"] != "running" and row["ended_at"] is not None, (
        f"Expected run {row['run']} to be recorded as ended within {within:g} s of the question; "
        f"it is still {row['status']!r} ({row['events']} events stored)"
    )
    took = (row["ended_at"] - row["started_at"]).total_seconds()
    assert took <= within, (
        f"Expected run {row['run']} to be recorded as ended within {within:g} s of the question; the platform "
        f"recorded it as started at {row['started_at']:%H:%M:%S.%f} and ended {took:.1f} s later"
    )


def expect_interrupted_at_grace(
    row: dict[str, Any] | None, last_event: dict[str, Any] | None, signalled: datetime, exited: datetime, grace: float
) -> None:
    """The run was ended with agent_error run_interrupted by its own server, when the shutdown grace ran out:
    not before it, and not by the server that started after it exited. Judged on the database's `ended_at`
    against the moment the stop signal was sent and the moment the server's exit was seen: a busy machine only
    widens that window, never narrows it."""
    assert row is not None, "Expected the platform to record the run; the runs table has no such run"
    ending = (last_event or {}).get("type"), (last_event or {}).get("code")
    ended = row["ended_at"]
    in_time = ended is not None and signalled + timedelta(seconds=grace - 1) <= ended <= exited
    assert ending == ("agent_error", "run_interrupted") and in_time, (
        f"Expected the run, still going when the {grace:g} s shutdown grace ran out, to be ended with agent_error "
        f"'run_interrupted' by its server then: between {grace - 1:g} s after the stop signal and the server's "
        f"exit {(exited - signalled).total_seconds():.1f} s after it. It ended "
        f"{f'{(ended - signalled).total_seconds():.1f} s after the signal' if ended else 'never'}, "
        f"its last event {last_event}"
    )


def expect_cut_off(row: dict[str, Any] | None, last_event: dict[str, Any] | None, code: str) -> None:
    """The run is recorded as ended, its last event the agent_error `code` the platform wrote for it."""
    assert row is not None, "Expected the platform to record the run; the runs table has no such run"
    ending = (last_event or {}).get("type"), (last_event or {}).get("code")
    assert row["status"] == "failed" and ending == ("agent_error", code), (
        f"Expected run {row['run']} of the server that died to be ended with agent_error {code!r} by the next "
        f"server to start, though nobody resumed it; it is {row['status']!r}, its last event {last_event}"
    )
