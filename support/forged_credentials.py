"""Credentials an attacker might present at the chat handshake, forged from a real victim's session."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

import jwt
import parse
from cryptography.hazmat.primitives.asymmetric import rsa

from support.waiting import wait_out

if TYPE_CHECKING:
    from support.actors import Cast


@dataclass(frozen=True)
class HandshakeCredentials:
    ticket: str | None = None
    bearer: str | None = None


def with_alg_none(real_token: str) -> str:
    """Same header and claims as the real token, with the signature stripped and alg set to none."""
    header = jwt.get_unverified_header(real_token)
    claims = jwt.decode(real_token, options={"verify_signature": False})
    return jwt.encode(claims, "", algorithm="none", headers={**header, "alg": "none"})


def signed_by_stranger(real_token: str) -> str:
    """Same header (kid included) and claims, signed by a key the platform never published."""
    header = jwt.get_unverified_header(real_token)
    claims = jwt.decode(real_token, options={"verify_signature": False})
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, stranger, algorithm="RS256", headers=header)


GARBAGE_TOKEN = "not-a-token"
MADE_UP_TICKET = "tkt-made-up-0000000000000000000000000000"


async def handshake_credentials(kind: str, cast: "Cast") -> HandshakeCredentials:
    """The credentials a scenario names; forgeries start from the real session of the person they name."""
    match kind:
        case "no credentials":
            return HandshakeCredentials()
        case "a garbage access token":
            return HandshakeCredentials(bearer=GARBAGE_TOKEN)
        case "a made-up ticket":
            return HandshakeCredentials(ticket=MADE_UP_TICKET)
    if found := parse.parse("{owner}'s access token re-signed with alg none", kind):
        return HandshakeCredentials(bearer=with_alg_none(cast.actor(found["owner"]).session.token))
    if found := parse.parse("{owner}'s access token re-signed by a stranger's key", kind):
        return HandshakeCredentials(bearer=signed_by_stranger(cast.actor(found["owner"]).session.token))
    if found := parse.parse("a ticket {owner} let expire", kind):
        ticket, lifetime = await cast.actor(found["owner"]).chat.chat_ticket_and_lifetime()
        await wait_out(lifetime + 1, "the ticket's expiry")
        return HandshakeCredentials(ticket=ticket)
    if found := parse.parse("an access token of {owner} that has expired", kind):
        return HandshakeCredentials(bearer=await cast.actor(found["owner"]).session.expired_access_token())
    if found := parse.parse("a ticket {owner} has already used", kind):
        owner = cast.actor(found["owner"])
        ticket = await owner.chat.chat_ticket()
        await owner.chat.try_connect(ticket=ticket)
        assert owner.chat.connection is not None, (
            f"{owner.name} could not use her own ticket: {owner.chat.handshake_refusal}"
        )
        return HandshakeCredentials(ticket=ticket)
    raise ValueError(f"unknown kind of handshake credentials: {kind!r}")
