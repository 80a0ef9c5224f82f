"""Whether every service the run needs answers: before the first scenario, and again after any failed step."""

import httpx2

from support.clients.database_probe import DatabaseProbe
from support.stack.config import TargetConfig
from support.stack.service_errors import ServiceUnavailable, describe

PREFLIGHT_TIMEOUT = 3.0
OUTAGE_CHECK_TIMEOUT = 2.0  # after a failed step: short, so a dead test bed is named within seconds


async def check_services(target: TargetConfig, timeout: float = PREFLIGHT_TIMEOUT) -> None:
    """Raise ServiceUnavailable naming the first service that does not answer, and what it said."""
    for base_url in target.instances:
        await expect_ok("platform API", f"{base_url}/health/ready", "readiness", timeout)
    if target.database_url is not None:
        await DatabaseProbe(target.database_url, timeout).ping()
    if target.identity_provider_url is not None:
        discovery = f"{target.identity_provider_url.rstrip('/')}/.well-known/openid-configuration"
        await expect_ok("identity provider", discovery, "discovery", timeout)


async def expect_ok(service: str, url: str, what: str, timeout: float) -> None:
    try:
        async with httpx2.AsyncClient(timeout=timeout) as client:
            response = await client.get(url)
    except httpx2.HTTPError as error:
        raise ServiceUnavailable(service, url, describe(error)) from error
    if response.status_code != 200:
        cause = f"{what} answered HTTP {response.status_code}: {said(response)}"
        raise ServiceUnavailable(service, url, cause, state="is not ready")


def said(response: httpx2.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or "(no body)"
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("title") or body)[:300]
    return str(body)[:300]


async def outage_cause(target: TargetConfig) -> str | None:
    """What is down, in one sentence, or None when every service answers."""
    try:
        await check_services(target, OUTAGE_CHECK_TIMEOUT)
    except ServiceUnavailable as down:
        return str(down)
    return None
