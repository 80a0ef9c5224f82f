"""Before the first scenario: every service the run needs answers, or the run stops with one clear message."""

import httpx

from support.clients.database_probe import DatabaseProbe
from support.stack.config import TargetConfig
from support.stack.service_errors import ServiceUnavailable, describe

PREFLIGHT_TIMEOUT = 3.0


async def check_services(target: TargetConfig) -> None:
    assert target.base_url is not None
    url = f"{target.base_url}/health/ready"
    try:
        async with httpx.AsyncClient(timeout=PREFLIGHT_TIMEOUT) as client:
            response = await client.get(url)
    except httpx.HTTPError as error:
        raise ServiceUnavailable("platform API", url, describe(error)) from error
    if response.status_code != 200:
        raise ServiceUnavailable("platform API", url, f"readiness answered HTTP {response.status_code}")
    if target.database_url is not None:
        await DatabaseProbe(target.database_url, PREFLIGHT_TIMEOUT).ping()
