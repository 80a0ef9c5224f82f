"""Command line: `python -m reference_platform migrate|serve`."""

import argparse
import asyncio
import logging
import os
import re
import socket
from pathlib import Path
from typing import Any

import uvicorn
from asgi_correlation_id import CorrelationIdFilter

from reference_platform.app import ENDPOINTS, Blueprint, assemble, create_app
from reference_platform.chat.socket import MAX_FRAME_BYTES
from reference_platform.database import migrate
from reference_platform.identity.passwords import HASHING_PROFILES, PRODUCTION_HASHING
from reference_platform.identity.sessions import ClientPolicy
from reference_platform.limits.rate_limits import PRESETS
from reference_platform.settings import ChatPolicy, OidcProviderSettings, Settings, default_clients

OIDC_ENV = "CHAT_PLATFORM_OIDC_"
ADMIN_TOKEN_ENV = "CHAT_PLATFORM_ADMIN_TOKEN"  # the admin API's bearer secret; without it the admin API is off
LOG_FORMAT = "%(asctime)s %(levelname)s [%(correlation_id)s] %(name)s: %(message)s"


URL_SECRETS = re.compile(r"(?i)([?&](?:ticket|code|login_code|state|access_token|refresh_token)=)[^&\s\"]+")


def mask_url_secrets(record: logging.LogRecord) -> bool:
    """Tickets and one-time codes travel in URLs; the access log shows the URLs, never those values."""
    message = record.getMessage()
    masked = URL_SECRETS.sub(lambda match: match.group(1) + "***", message)
    if masked != message:
        record.msg, record.args = masked, ()
    return True


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="reference_platform", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    migrate_command = commands.add_parser("migrate", help="apply database migrations")
    migrate_command.add_argument("--database-url", required=True)
    serve = commands.add_parser("serve", help="serve the platform over HTTP and WebSocket")
    serve.add_argument("--database-url", required=True)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--fd", type=int, help="serve on an already listening socket (overrides host and port)")
    add_identity_options(serve)
    add_limit_and_data_options(serve)
    add_chat_options(serve)
    serve.add_argument(
        "--fault", action="append", default=[], help="start with a named defect swapped in (test harness only)"
    )
    return parser.parse_args(argv)


def add_identity_options(serve: argparse.ArgumentParser) -> None:
    serve.add_argument("--issuer", help="token issuer; defaults to the public base URL")
    serve.add_argument("--audience", default="chat-api", help="the aud of the access tokens this API makes and takes")
    serve.add_argument(
        "--token-type", default="at+jwt", help="the typ of its access tokens (RFC 9068's at+jwt; a legacy API: JWT)"
    )
    serve.add_argument(
        "--client",
        action="append",
        default=[],
        metavar="ID=ACCESS/IDLE/SESSION",
        help="register a client with its own token lifetimes in seconds (access token, refresh token unused, "
        "whole session), besides chat-web (300/14 days/30 days)",
    )
    serve.add_argument(
        "--oidc-provider",
        action="append",
        default=[],
        metavar="NAME=ISSUER",
        help="an OpenID provider customers can sign in with; the platform's client id and secret there come from "
        f"{OIDC_ENV}<NAME>_CLIENT_ID and {OIDC_ENV}<NAME>_CLIENT_SECRET",
    )
    serve.add_argument(
        "--password-hashing", choices=sorted(HASHING_PROFILES), default=PRODUCTION_HASHING,
        help="argon2id profile: production keeps the default; a test target may take OWASP's lighter one",
    )  # fmt: skip
    serve.add_argument("--ticket-seconds", type=int, default=30, help="how long a chat ticket works")
    serve.add_argument("--login-code-seconds", type=int, default=60, help="how long a sign-in's login code works")
    serve.add_argument(
        "--recent-login-seconds", type=int, default=300,
        help="how recent a login must be to erase an account that has no password",
    )  # fmt: skip
    serve.add_argument("--signing-key", type=Path, help="PEM RSA key for access tokens, shared by all instances")


def add_limit_and_data_options(serve: argparse.ArgumentParser) -> None:
    serve.add_argument("--limits", choices=sorted(PRESETS), default="production", help="rate limit preset")
    serve.add_argument(
        "--login-limit-exempt", action="append", default=[], metavar="ADDRESS",
        help="a client address the per-address login limit leaves out (a health checker, a test harness)",
    )  # fmt: skip
    serve.add_argument("--export-dir", type=Path, default=Path("exports"), help="where export files are kept")
    serve.add_argument("--export-link-seconds", type=int, default=600, help="how long a download link works")


def add_chat_options(serve: argparse.ArgumentParser) -> None:
    chat = ChatPolicy()
    serve.add_argument("--ping-interval", type=float, default=chat.ping_interval_seconds, help="seconds between pings")
    serve.add_argument(
        "--ping-timeout", type=float, default=chat.ping_timeout_seconds, help="seconds a ping may go unanswered"
    )
    serve.add_argument("--tool-timeout", type=float, default=chat.tool_timeout_seconds, help="seconds a tool may take")
    serve.add_argument(
        "--event-retention",
        type=int,
        default=chat.event_retention_seconds,
        help="seconds a finished run's events are kept for resuming",
    )
    serve.add_argument(
        "--shutdown-grace",
        type=int,
        default=chat.shutdown_grace_seconds,
        help="seconds runs in progress get to finish after SIGTERM",
    )
    serve.add_argument("--diagnostic-tools", action="store_true", help="offer the agent the diagnostic `wait` tool")


def client_policies(specs: list[str]) -> dict[str, ClientPolicy]:
    clients = default_clients()
    for spec in specs:
        client_id, _, lifetimes = spec.partition("=")
        access, idle, session = (int(seconds) for seconds in lifetimes.split("/"))
        clients[client_id] = ClientPolicy(access, idle, session)
    return clients


def oidc_providers(specs: list[str]) -> tuple[OidcProviderSettings, ...]:
    providers = []
    for spec in specs:
        name, _, issuer = spec.partition("=")
        prefix = f"{OIDC_ENV}{name.upper()}_"
        missing = [key for key in (f"{prefix}CLIENT_ID", f"{prefix}CLIENT_SECRET") if not os.environ.get(key)]
        if missing:
            raise SystemExit(f"identity provider {name!r} needs {' and '.join(missing)} in the environment")
        providers.append(
            OidcProviderSettings(name, issuer, os.environ[f"{prefix}CLIENT_ID"], os.environ[f"{prefix}CLIENT_SECRET"])
        )
    return tuple(providers)


def inherited_socket(fd: int) -> socket.socket:
    """The listening socket handed down as a file descriptor, with its real family. uvicorn's own `fd` option
    takes every such socket for AF_UNIX, so asyncio never sets TCP_NODELAY on its connections, and each
    response after the first on a kept-alive connection waited 40 ms for a delayed ACK."""
    return socket.socket(fileno=fd)


def serve(args: argparse.Namespace) -> None:
    listening = inherited_socket(args.fd) if args.fd is not None else None
    host, port = listening.getsockname()[:2] if listening else (args.host, args.port)
    settings = Settings(
        database_url=args.database_url,
        issuer=args.issuer or f"http://{host}:{port}",
        audience=args.audience,
        access_token_type=args.token_type,
        clients=client_policies(args.client),
        oidc_providers=oidc_providers(args.oidc_provider),
        limits_preset=args.limits,
        login_limit_exempt=frozenset(args.login_limit_exempt),
        password_hashing=args.password_hashing,
        export_dir=args.export_dir,
        export_link_seconds=args.export_link_seconds,
        admin_token=os.environ.get(ADMIN_TOKEN_ENV) or None,
        login_code_seconds=args.login_code_seconds,
        ticket_ttl_seconds=args.ticket_seconds,
        recent_login_seconds=args.recent_login_seconds,
        signing_key_file=args.signing_key,
        chat=ChatPolicy(
            ping_interval_seconds=args.ping_interval,
            ping_timeout_seconds=args.ping_timeout,
            tool_timeout_seconds=args.tool_timeout,
            event_retention_seconds=args.event_retention,
            shutdown_grace_seconds=args.shutdown_grace,
            diagnostic_tools=args.diagnostic_tools,
        ),
    )
    blueprint, fault_options, endpoints = Blueprint(), {}, ENDPOINTS
    if args.fault:
        from reference_platform.faults import endpoints_with_faults, server_options, with_faults

        blueprint, fault_options = with_faults(blueprint, args.fault), server_options(args.fault)
        endpoints = endpoints_with_faults(args.fault)
    options: dict[str, Any] = {
        "ws_max_size": MAX_FRAME_BYTES,
        "ws_ping_interval": settings.chat.ping_interval_seconds,
        "ws_ping_timeout": settings.chat.ping_timeout_seconds,
        "timeout_graceful_shutdown": settings.chat.shutdown_grace_seconds,  # then runs end with run_interrupted
    }
    config = uvicorn.Config(
        create_app(assemble(settings, blueprint), endpoints),
        host=args.host,
        port=args.port,
        log_level="info",
        log_config=None,  # uvicorn's loggers go through ours, so every line carries the request id
        **(options | fault_options),
    )
    uvicorn.Server(config).run(sockets=[listening] if listening else None)


def main(argv: list[str] | None = None) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(CorrelationIdFilter(default_value="-"))
    handler.addFilter(mask_url_secrets)
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, handlers=[handler])
    args = parse_args(argv)
    if args.command == "migrate":
        for name in asyncio.run(migrate(args.database_url)):
            logging.info("applied migration %s", name)
    else:
        serve(args)


if __name__ == "__main__":
    main()
