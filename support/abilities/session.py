"""Logging in with a password, the tokens that come of it, refreshing them, logging out, a new password."""

import asyncio
import secrets
import time

from support.abilities.persona import Persona
from support.checks.tokens import Refresh
from support.clients.http_client import ApiResponse, expect_status
from support.stack.service_errors import NotConfigured
from support.waiting import wait_out


class Session:
    def __init__(self, persona: Persona) -> None:
        self.persona = persona
        self.access_token: str | None = None
        self.refresh_token: str | None = None
        self.token_responses: list[ApiResponse] = []
        self.used_refresh_tokens: list[str] = []
        self.refused_logins: dict[str, list[ApiResponse]] = {}
        self.presented: str | None = None  # a token an attacker presents
        self.logged_in_at = time.monotonic()  # when her last password login was sent
        self.login_answered_at = self.logged_in_at  # and when its answer came

    @property
    def token(self) -> str:
        assert self.access_token, f"{self.persona.name} has no access token: log in first"
        return self.access_token

    def take_tokens(self, response: ApiResponse) -> None:
        """Keep the token pair of a successful login, refresh or code exchange."""
        body = response.body if isinstance(response.body, dict) else {}
        self.persona.evidence.redactor.remember(body.get("access_token"), body.get("refresh_token"))
        self.access_token, self.refresh_token = body.get("access_token"), body.get("refresh_token")
        self.token_responses.append(response)

    async def try_log_in(
        self, email: str | None = None, password: str | None = None, client_id: str | None = None
    ) -> ApiResponse:
        persona = self.persona
        response = await persona.api.log_in(email or persona.email, password or persona.password, client_id)
        persona.evidence.redactor.remember(password)
        if response.status == 200 and email is None and password is None:
            self.take_tokens(response)
        elif response.status == 200 and isinstance(response.body, dict):
            persona.evidence.redactor.remember(response.body.get("access_token"), response.body.get("refresh_token"))
        persona.last_response = response
        return response

    async def try_log_in_repeatedly(self, kind: str, email: str, password: str, times: int) -> None:
        """Attempts that are expected to be refused, kept by kind so their answers can be compared."""
        for _ in range(times):
            self.refused_logins.setdefault(kind, []).append(await self.try_log_in(email, password))

    async def try_both_wrong_logins(self, known_email: str, unknown_email: str, password: str, times: int) -> None:
        """Refused logins of both kinds, interleaved on one server, so both meet the same server and load."""
        with self.persona.on_server(self.persona.api.servers.next()):
            for _ in range(times):
                await self.try_log_in_repeatedly("wrong password", known_email, password, 1)
                await self.try_log_in_repeatedly("unknown email", unknown_email, password, 1)

    async def log_in(self, client_id: str | None = None) -> None:
        self.logged_in_at = time.monotonic()
        answer = await self.try_log_in(client_id=client_id)
        self.login_answered_at = time.monotonic()
        expect_status(answer, 200, f"{self.persona.name} logs in")
        assert self.access_token, f"{self.persona.name} logged in but the response carries no access_token"

    async def try_refresh(self, refresh_token: str | None = None) -> ApiResponse:
        """Present a refresh token (hers by default); a new pair replaces hers, the old one is kept as used."""
        presented = refresh_token or self.refresh_token
        assert presented, f"{self.persona.name} has no refresh token"
        response = await self.persona.api.refresh(presented)
        if response.status == 200:
            self.used_refresh_tokens.append(presented)
            self.take_tokens(response)
        self.persona.last_response = response
        return response

    async def keep_refreshing(self, at_most_seconds: float, lasts_seconds: float) -> list[Refresh]:
        """Refresh well within each refresh token's idle lifetime until a refresh is refused, one works when the
        session is surely older than it should last, or `at_most_seconds` have passed; each answer timed against
        her login, both ways (see Refresh)."""
        refreshes: list[Refresh] = []
        while time.monotonic() - self.logged_in_at < at_most_seconds:
            idle = float(self.token_responses[-1].body["refresh_expires_in"])
            await asyncio.sleep(min(1.5, max(idle / 2, 0.5)))
            sent = time.monotonic()
            response = await self.try_refresh()
            refreshes.append(Refresh(sent - self.login_answered_at, time.monotonic() - self.logged_in_at, response))
            if response.status != 200 or refreshes[-1].sent > lasts_seconds:
                break
        return refreshes

    async def access_token_from(self, base_url: str) -> str:
        """Her access token from another API, at `base_url`, where she logs in with her password."""
        answer = await self.persona.api.on(base_url).log_in(self.persona.email, self.persona.password)
        body = answer.body if isinstance(answer.body, dict) else {}
        self.persona.evidence.redactor.remember(body.get("access_token"), body.get("refresh_token"))
        expect_status(answer, 200, f"{self.persona.name} logs in at the API at {base_url}")
        return str(body["access_token"])

    async def expired_access_token(self) -> str:
        """An access token of hers, from a login of the short-lived client, once it has expired."""
        client = self.persona.target.short_lived_client
        if client is None:
            raise NotConfigured("Expiry journeys need a client with short token lifetimes: -D short_lived_client=<id>")
        answer = await self.persona.api.log_in(self.persona.email, self.persona.password, client)
        body = answer.body if isinstance(answer.body, dict) else {}
        self.persona.evidence.redactor.remember(body.get("access_token"), body.get("refresh_token"))
        expect_status(answer, 200, f"{self.persona.name} logs in with the short-lived client")
        await wait_out(float(body["expires_in"]) + 1, "the access token's expiry")
        return str(body["access_token"])

    async def try_log_in_from(self, address: str, email: str | None = None) -> ApiResponse:
        """A login with her password (as `email`, by default hers) over a connection from `address`."""
        api = self.persona.api.from_address(address)
        try:
            response = await api.log_in(email or self.persona.email, self.persona.password)
        finally:
            await api.http.aclose()
        self.persona.last_response = response
        return response

    async def try_every_door(self, token: str) -> dict[str, ApiResponse]:
        """What the API answers a token where an app uses it: reading the account, asking for a chat ticket
        (how a chat opens) and opening a chat (a write)."""
        api = self.persona.api
        return {
            "GET /me": await api.me(token),
            "POST /ws-tickets": await api.issue_ticket(token),
            "POST /threads": await api.create_thread(token, "Should not open"),
        }

    async def try_everything(self) -> dict[str, ApiResponse]:
        """Her every kind of request that needs the platform's database: the doors, logging in, refreshing."""
        persona = self.persona
        answers = await self.try_every_door(self.token)
        answers["POST /auth/login"] = await self.try_log_in(persona.email, persona.password)
        assert self.refresh_token, f"{persona.name} has no refresh token"
        refreshed = answers["POST /auth/refresh"] = await persona.api.refresh(self.refresh_token)
        if isinstance(refreshed.body, dict):  # a pair handed out when none should be is still a secret
            persona.evidence.redactor.remember(refreshed.body.get("access_token"), refreshed.body.get("refresh_token"))
        return answers

    async def log_out(self) -> None:
        expect_status(await self.persona.api.log_out(self.token), 204, f"{self.persona.name} logs out")

    async def try_change_password(self, current: str | None = None) -> ApiResponse:
        """Ask for a new password, giving `current` (by default her real one); a 204 makes the new one hers."""
        persona, new = self.persona, secrets.token_urlsafe(18)
        persona.evidence.redactor.remember(new, current)
        changed = await persona.api.change_password(self.token, current or persona.password, new)
        if changed.status == 204:
            persona.password = new
        return changed

    async def change_password(self) -> None:
        expect_status(await self.try_change_password(), 204, f"{self.persona.name} changes her password")
