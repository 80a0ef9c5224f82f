"""Signing up and erasing the account: what makes the person a customer, and what ends it."""

from collections.abc import Mapping

from support.abilities.persona import Persona
from support.abilities.provider import Provider
from support.abilities.session import Session
from support.clients.http_client import ApiResponse, expect_status


class Account:
    def __init__(self, persona: Persona, session: Session, provider: Provider) -> None:
        self.persona = persona
        self.session = session
        self.provider = provider

    async def try_sign_up(
        self, email: str | None = None, password: str | None = None, asking: Mapping[str, str] | None = None
    ) -> ApiResponse:
        """`asking`: fields beyond an email and a password, which the platform must not obey."""
        persona = self.persona
        response = await persona.api.sign_up(email or persona.email, password or persona.password, asking)
        if response.status == 201:
            persona.evidence.redactor.remember(password)
            persona.email, persona.password = email or persona.email, password or persona.password
            persona.user_id = response.body["id"]
        persona.last_response = response
        return response

    async def sign_up(self) -> None:
        expect_status(await self.try_sign_up(), 201, f"{self.persona.name} signs up as {self.persona.email}")

    async def sign_up_and_log_in(self, asking: Mapping[str, str] | None = None) -> None:
        signed_up = await self.try_sign_up(asking=asking)
        expect_status(signed_up, 201, f"{self.persona.name} signs up as {self.persona.email}")
        await self.session.log_in()

    async def erase_account(self, with_password: bool = True) -> None:
        """Erase her account; an account with no password proves it is her by a recent sign-in instead."""
        persona = self.persona
        erased = await persona.api.delete_account(self.session.token, persona.password if with_password else None)
        expect_status(erased, 204, f"{persona.name} erases her account")
        persona.user_id = None

    async def close(self) -> None:
        """Erase the account this scenario created, whatever happened before (the clean-up)."""
        persona = self.persona
        if persona.user_id is None:
            untraded = self.provider.untraded_sign_in()
            if untraded is None:
                return
            await self.provider.sign_in_with_provider(untraded.login_name)  # the same identity: her account
        if self.session.access_token is None:
            await self.session.log_in()
        erased = await persona.api.delete_account(self.session.token, persona.password)
        if erased.status == 401:  # her session ended or expired in the scenario
            await self.session.log_in()
            erased = await persona.api.delete_account(self.session.token, persona.password)
        expect_status(erased, 204, f"clean-up: delete {persona.name}'s account")
        persona.user_id = None
