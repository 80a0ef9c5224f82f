"""What a run tested, for the report's Environment panel: the target, its versions, and the suite's own."""

import platform
import subprocess
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx2

from support.clients.database_probe import DatabaseProbe
from support.stack.config import TargetConfig
from support.stack.service_errors import ServiceUnavailable, describe

ROOT = Path(__file__).resolve().parents[2]


def without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def suite_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


async def platform_version(http: httpx2.AsyncClient) -> str:
    try:
        response = await http.get("/version")
    except httpx2.HTTPError as error:
        return f"unknown ({describe(error)})"
    if response.status_code != 200:
        return f"unknown (GET /version answered {response.status_code})"
    body = response.json()
    return f"{body.get('name', '?')} {body.get('version', '?')} (commit {body.get('commit', '?')})"


async def postgres_version(database_url: str | None) -> str:
    if database_url is None:
        return "not configured (no database checks)"
    try:
        [row] = await DatabaseProbe(database_url).fetch("SELECT current_setting('server_version') AS version")
    except ServiceUnavailable as error:
        return f"unknown ({error})"
    return f"PostgreSQL {row['version']}"


async def describe_run(target: TargetConfig, http: httpx2.AsyncClient, embedded: bool) -> dict[str, str]:
    """Every line of the Environment panel. No secret: database URLs lose their passwords."""
    assert target.base_url is not None
    return {
        "Target": "embedded stack (started by the suite)" if embedded else "external deployment",
        "Platform URL": target.base_url,
        "Platform version": await platform_version(http),
        "Platform instances": f"{len(target.instances)}: {', '.join(target.instances)}",
        "Database": without_password(target.database_url) if target.database_url else "not configured",
        "PostgreSQL": await postgres_version(target.database_url),
        "Identity provider": (
            f"{target.identity_provider} at {target.identity_provider_url}"
            if target.identity_provider_url
            else f"{target.identity_provider} (URL not configured)"
        ),
        "Suite commit": suite_commit(),
        "Python": platform.python_version(),
        "behave": version("behave"),
        "allure-behave": version("allure-behave"),
    }


def write_environment(results_dir: Path, info: dict[str, str]) -> None:
    """Allure's environment.properties (Java properties: `:`, `=` and spaces in keys are escaped)."""
    lines = []
    for key, value in info.items():
        escaped = key.replace("\\", "\\\\").replace(" ", "\\ ").replace(":", "\\:").replace("=", "\\=")
        lines.append(f"{escaped}={value}")
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "environment.properties").write_text("\n".join(lines) + "\n", encoding="utf-8")
