"""Writes that count against her plan's limits, kept so their answers can be compared."""

import asyncio
import secrets
import time
from collections.abc import Callable

from support.abilities.persona import Persona
from support.abilities.session import Session
from support.checks.limits import LIMIT
from support.clients.http_client import ApiResponse


class Limits:
    def __init__(self, persona: Persona, session: Session) -> None:
        self.persona = persona
        self.session = session
        self.writes: list[ApiResponse] = []  # her requests that count against a limit, in order
        self.plan_answer: ApiResponse | None = None  # what the admin API said when her plan changed
        self.plan_answer_before: ApiResponse | None = None  # what it said the time before
        self.round_seconds = 0.0  # from sending the first write of a timed round to receiving the last answer
        self.write_round: Callable[[], None] = lambda: None
        self.address_tries: list[ApiResponse] = []  # her logins from one address, every round
        self.address_refused_at = 0.0  # when (monotonic) she sent the login that address's limit refused

    async def open_thread(self) -> ApiResponse:
        """One write: open a chat thread (no socket)."""
        response = await self.persona.api.create_thread(self.session.token, "Another chat")
        self.writes.append(response)
        return response

    async def ask_for_export(self) -> ApiResponse:
        """One request that counts against the exports limit."""
        response = await self.persona.api.request_export(self.session.token)
        self.writes.append(response)
        return response

    async def try_admin_upgrade(self, plan: str, token: str | None, forwarded_from: str | None = None) -> ApiResponse:
        """Ask the admin API to put her on `plan`, with `token` and nothing else that is hers; her write limit
        is taken first, so a Then can tell whether it changed."""
        await self.open_thread()
        user_id = str(self.persona.user_id)
        self.persona.last_response = await self.persona.api.set_plan(token, user_id, plan, forwarded_from)
        return self.persona.last_response

    def timed_round(self, write_round: Callable[[], None]) -> None:
        """Run a round of writes (a step's, on the step's loop) and time it, so a Then can tell whether the
        limit could have refilled meanwhile, and run it again on a full limit if so."""
        self.write_round = write_round
        started = time.monotonic()
        write_round()
        self.round_seconds = time.monotonic() - started

    def repeat_round(self) -> None:
        self.writes.clear()
        self.timed_round(self.write_round)

    async def write_until_refused(self, most: int = 300, at_once: int = 10) -> ApiResponse:
        """Open chats until one is refused; the refusal is kept last. After the first, as many at once as the
        last answer says are left, plus one (ten at most): one at a time, a busy machine may never outrun a
        large plan's refill (the pro plan's: one write every 0.1 s), and more than one refusal at a time would
        count more refused requests than a customer sends."""
        batch = 1
        while len(self.writes) < most:
            answers = await asyncio.gather(*(self.persona.api.create_thread(self.session.token, "Another chat")
                                             for _ in range(batch)))  # fmt: skip
            refused = [answer for answer in answers if answer.status != 201]  # the Then says whether as too many
            self.writes += [answer for answer in answers if answer.status == 201] + refused
            if refused:
                return self.writes[-1]
            batch = min(at_once, min(left_of(answer) for answer in answers) + 1)
        raise AssertionError(f"{self.persona.name} opened {len(self.writes)} chats and was never refused")

    async def log_in_from_until_refused(self, address: str, most: int = 150) -> ApiResponse:
        """Logins to accounts nobody has, over connections from `address`, until one is refused as too many;
        the last answer. Every try is kept in `address_tries`, and when the refused one was sent."""
        api = self.persona.api.from_address(address)
        try:
            for attempt in range(most):
                self.address_refused_at = time.monotonic()
                answer = await api.log_in(f"nobody-{attempt}-{secrets.token_hex(4)}@example.com", "not a password")
                self.address_tries.append(answer)
                if answer.status == 429:
                    break
        finally:
            await api.http.aclose()
        return self.address_tries[-1]

    async def export_until_refused(self, most: int = 50) -> ApiResponse:
        """Ask for exports of her data until the exports limit refuses one."""
        for _ in range(most):
            self.writes.append(await self.persona.api.request_export(self.session.token))
            if self.writes[-1].status == 429:
                return self.writes[-1]
        raise AssertionError(f"{self.persona.name} asked for {most} exports and was never refused")


def left_of(answer: ApiResponse) -> int:
    """What an answer's RateLimit field says is left of its limit; 0 when it says nothing readable."""
    match = LIMIT.match(answer.headers.get("ratelimit", ""))
    return int(match["remaining"]) if match else 0
