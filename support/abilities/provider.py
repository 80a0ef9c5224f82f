"""Signing in through an identity provider, in a browser of her own, leg by leg."""

from support.abilities.persona import Persona
from support.abilities.session import Session
from support.clients.browser import Browser
from support.clients.http_client import ApiResponse, expect_status
from support.clients.oidc_sign_in import ProviderSignIn, SignIn
from support.clients.provider_login import load_provider_login


class Provider:
    def __init__(self, persona: Persona, session: Session) -> None:
        self.persona = persona
        self.session = session
        self.browser: Browser | None = None
        self.sign_ins: list[SignIn] = []
        self.previous_user_id: str | None = None

    async def fresh_browser(self) -> Browser:
        """A browser with an empty cookie jar, so the provider's own session cannot sign in someone else."""
        if self.browser is not None:
            await self.browser.close()
        self.browser = Browser(self.persona.name, self.persona.evidence, self.persona.target.request_timeout)
        return self.browser

    async def provider_sign_in(self, provider: str | None = None) -> ProviderSignIn:
        """A sign-in flow in a fresh browser, through the configured provider or the one named."""
        target = self.persona.target
        assert target.base_url is not None
        login = load_provider_login(target.provider_login)
        browser = await self.fresh_browser()
        return ProviderSignIn(browser, self.persona.api, target.base_url, provider or target.identity_provider, login)

    async def start_sign_in(self, login_name: str, provider: str | None = None) -> tuple[ProviderSignIn, SignIn]:
        """A new sign-in in a fresh browser, sent on its way to the provider; the steps take it from there."""
        flow, sign_in = await self.provider_sign_in(provider), SignIn(login_name)
        self.sign_ins.append(sign_in)
        await flow.begin(sign_in)
        return flow, sign_in

    async def try_to_start(self, provider: str) -> ApiResponse:
        """Ask the platform to start a sign-in through `provider`, and keep its answer whatever it is."""
        flow = await self.provider_sign_in(provider)
        return await flow.ask_to_start()

    async def sign_in_with_provider(self, login_name: str, provider: str | None = None) -> SignIn:
        """The whole sign-in, as her browser and app do it; a refusal at any leg is kept for the steps."""
        self.previous_user_id = self.persona.user_id
        flow, sign_in = await self.start_sign_in(login_name, provider)
        await flow.at_provider(sign_in)
        await flow.come_back(sign_in)
        await self.finish(flow, sign_in)
        return sign_in

    async def bring_answer(self, callback_url: str) -> SignIn:
        """Bring a provider's answer that another browser was sent, in a fresh browser of her own."""
        flow, sign_in = await self.provider_sign_in(), SignIn("(someone else's answer)")
        self.sign_ins.append(sign_in)
        await flow.come_back(sign_in, callback_url)
        await self.finish(flow, sign_in)
        return sign_in

    async def finish(self, flow: ProviderSignIn, sign_in: SignIn) -> None:
        """As her app does: trade a login code, if the platform gave one, for tokens; she is then that account."""
        persona = self.persona
        if sign_in.login_code:
            exchanged = await flow.exchange(sign_in)
            if exchanged.status == 200:
                self.session.take_tokens(exchanged)
                me = expect_status(await persona.api.me(self.session.token), 200, f"{persona.name} reads her profile")
                persona.user_id, persona.email = me.body["id"], me.body["email"]

    def untraded_sign_in(self) -> SignIn | None:
        """A sign-in that made or found an account, whose login code her app never traded for tokens."""
        return next((s for s in self.sign_ins if s.login_code and s.exchange is None), None)

    async def close(self) -> None:
        if self.browser is not None:
            await self.browser.close()
