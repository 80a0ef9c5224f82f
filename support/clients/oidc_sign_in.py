"""Signing in at the platform through an identity provider, one browser hop at a time.

Each leg can be watched or tampered with between hops, as an attacker in the browser could:
the authorization request the platform sends, the answer the provider sends back, the landing page.
"""

from dataclasses import dataclass, field
from urllib.parse import urljoin

from support.clients.browser import Browser
from support.clients.http_client import PLATFORM_API, ApiResponse, PlatformApi
from support.clients.provider_login import ProviderLogin
from support.clients.urls import query


@dataclass
class SignIn:
    """What one browser saw of one sign-in."""

    login_name: str
    authorization_url: str = ""
    started: ApiResponse | None = None  # the platform's answer to starting: the redirect, and its cookie
    callback_url: str = ""
    callback: ApiResponse | None = None
    landing_url: str = ""
    exchange: ApiResponse | None = None
    locations: list[str] = field(default_factory=list)

    @property
    def login_code(self) -> str | None:
        return query(self.landing_url).get("login_code") if self.landing_url else None

    def where_it_stopped(self) -> str:
        """The last leg the platform answered, with its status and problem type (never a code or a token)."""
        legs = (("exchange of the login code", self.exchange), ("return from the provider", self.callback),
                ("start", self.started))  # fmt: skip
        for leg, answer in legs:
            if answer is not None:
                problem = answer.body.get("type", "") if isinstance(answer.body, dict) else ""
                return f"after the platform answered its {leg} with {answer.status} {problem}".rstrip()
        return "before the platform answered anything"


class ProviderSignIn:
    def __init__(self, browser: Browser, api: PlatformApi, base_url: str, provider: str, login: ProviderLogin) -> None:
        self.browser = browser
        self.api = api
        self.base_url = base_url
        self.provider = provider
        self.login = login

    def service(self, url: str) -> str:
        return PLATFORM_API if url.startswith(self.base_url) else "identity provider"

    async def ask_to_start(self) -> ApiResponse:
        return await self.browser.get(f"{self.base_url}/auth/oidc/{self.provider}/start", PLATFORM_API)

    async def begin(self, sign_in: SignIn) -> None:
        """Ask the platform to start; it sends the browser to the provider with its authorization request."""
        started = sign_in.started = await self.ask_to_start()
        location = started.headers.get("location")
        assert started.status == 302 and location, (
            f"Expected the sign-in to start with a redirect; got {started.describe()}"
        )
        sign_in.authorization_url = urljoin(self.base_url, location)
        self.browser.locations.append(sign_in.authorization_url)

    async def at_provider(self, sign_in: SignIn, cancel: bool = False) -> None:
        """Follow the authorization request to the provider's login page, log in (or cancel) and come back."""
        callback_prefix = f"{self.base_url}/auth/oidc/{self.provider}/callback"
        url, page = await self.browser.follow(
            sign_in.authorization_url, self.service, lambda u: u.startswith(callback_prefix)
        )
        if page is not None:
            assert page.status == 200, f"Expected the identity provider's login page; got {page.describe()}"
            answer = await (self.login.cancel(self.browser, url, page) if cancel else
                            self.login.log_in(self.browser, url, page, sign_in.login_name))  # fmt: skip
            location = answer.headers.get("location")
            assert location, f"Expected the identity provider to send the browser on; got {answer.describe()}"
            url, page = await self.browser.follow(
                urljoin(url, location), self.service, lambda u: u.startswith(callback_prefix)
            )
        assert page is None, f"Expected the identity provider to send the browser back to the platform; got {page}"
        sign_in.callback_url = url

    async def come_back(self, sign_in: SignIn, callback_url: str | None = None) -> None:
        """Bring the provider's answer (or a tampered one) to the platform, and follow it to the app."""
        answer = callback_url or sign_in.callback_url
        self.browser.evidence.redactor.remember(query(answer).get("code"))
        sign_in.callback = await self.browser.get(answer, PLATFORM_API)
        location = sign_in.callback.headers.get("location")
        if sign_in.callback.status in (302, 303) and location:
            sign_in.landing_url = urljoin(self.base_url, location)
            self.browser.evidence.redactor.remember(sign_in.login_code)
            self.browser.locations.append(sign_in.landing_url)
            await self.browser.get(sign_in.landing_url, PLATFORM_API)
        sign_in.locations = list(self.browser.locations)

    async def exchange(self, sign_in: SignIn) -> ApiResponse:
        """The app trades the one-time login code for the platform's tokens."""
        assert sign_in.login_code, f"the platform sent the browser to {sign_in.landing_url!r}, with no login code"
        sign_in.exchange = await self.api.exchange_login_code(sign_in.login_code)
        return sign_in.exchange
