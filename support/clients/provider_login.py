"""Logging in at the identity provider as a browser would: fill in its login page, or cancel there.

This module knows one provider's pages: the embedded oidc-provider's login form (devInteractions).
To point the suite at another provider, write a class with the same two methods for its login page
and name it with `-D provider_login=package.module:ClassName` (see docs/adapting.md, "Signing in through a provider").
"""

import importlib
import re
from typing import Protocol
from urllib.parse import urljoin

from support.clients.browser import Browser
from support.clients.http_client import ApiResponse

FORM_ACTION = re.compile(r'<form[^>]*\baction="([^"]+)"')
CANCEL_LINK = re.compile(r'<a [^>]*href="([^"]+/abort)"')
PROVIDER = "identity provider"


class ProviderLogin(Protocol):
    async def log_in(self, browser: Browser, page_url: str, page: ApiResponse, login_name: str) -> ApiResponse: ...

    async def cancel(self, browser: Browser, page_url: str, page: ApiResponse) -> ApiResponse: ...


def _find(pattern: re.Pattern[str], page: ApiResponse, what: str) -> str:
    found = pattern.search(str(page.body))
    assert found, f"the identity provider's login page has no {what}: {page.describe()}"
    return found.group(1)


class DevInteractionsLogin:
    """oidc-provider's development login page: any login name, any password; the name decides the claims."""

    async def log_in(self, browser: Browser, page_url: str, page: ApiResponse, login_name: str) -> ApiResponse:
        action = urljoin(page_url, _find(FORM_ACTION, page, "login form"))
        form = {"prompt": "login", "login": login_name, "password": "any password will do"}
        return await browser.submit(action, form, PROVIDER)

    async def cancel(self, browser: Browser, page_url: str, page: ApiResponse) -> ApiResponse:
        return await browser.get(urljoin(page_url, _find(CANCEL_LINK, page, "cancel link")), PROVIDER)


def load_provider_login(reference: str) -> ProviderLogin:
    """The login-page driver named `package.module:ClassName`."""
    module_name, _, class_name = reference.partition(":")
    driver: ProviderLogin = getattr(importlib.import_module(module_name), class_name)()
    return driver
