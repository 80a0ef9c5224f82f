"""Signing up and erasing the account: what makes the person a customer, and what ends it."""

from typing import TYPE_CHECKING

from support.clients.http_client import ApiResponse, expect_status

if TYPE_CHECKING:
    from support.actors import Actor


class Account:
    def __init__(self, actor: "Actor") -> None:
        self.actor = actor

    async def try_sign_up(self, email: str | None = None, password: str | None = None) -> ApiResponse:
        actor = self.actor
        response = await actor.api.sign_up(email or actor.email, password or actor.password)
        if response.status == 201:
            actor.evidence.redactor.remember(password)
            actor.email, actor.password = email or actor.email, password or actor.password
            actor.user_id = response.body["id"]
        actor.last_response = response
        return response

    async def sign_up(self) -> None:
        expect_status(await self.try_sign_up(), 201, f"{self.actor.name} signs up as {self.actor.email}")

    async def sign_up_and_log_in(self) -> None:
        await self.sign_up()
        await self.actor.session.log_in()

    async def erase_account(self, with_password: bool = True) -> None:
        """Erase her account; an account with no password proves it is her by a recent sign-in instead."""
        actor = self.actor
        erased = await actor.api.delete_account(actor.session.token, actor.password if with_password else None)
        expect_status(erased, 204, f"{actor.name} erases her account")
        actor.user_id = None

    async def close(self) -> None:
        """Erase the account this scenario created, whatever happened before (the clean-up)."""
        actor = self.actor
        if actor.user_id is None:
            untraded = actor.provider.untraded_sign_in()
            if untraded is None:
                return
            await actor.provider.sign_in_with_provider(untraded.login_name)  # the same identity: her account
        if actor.session.access_token is None:
            await actor.session.log_in()
        erased = await actor.api.delete_account(actor.session.token, actor.password)
        if erased.status == 401:  # her session ended or expired in the scenario
            await actor.session.log_in()
            erased = await actor.api.delete_account(actor.session.token, actor.password)
        expect_status(erased, 204, f"clean-up: delete {actor.name}'s account")
        actor.user_id = None
