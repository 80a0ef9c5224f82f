"""Credentials an attacker might present at the chat handshake, built from a real victim's token."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

if TYPE_CHECKING:
    from support.actors import Actor


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


async def handshake_credentials(kind: str, victim: "Actor") -> HandshakeCredentials:
    """The credentials named in a scenario, built from the victim's real session where that makes them convincing."""
    match kind:
        case "no credentials":
            return HandshakeCredentials()
        case "a garbage access token":
            return HandshakeCredentials(bearer=GARBAGE_TOKEN)
        case "an access token with alg none":
            return HandshakeCredentials(bearer=with_alg_none(victim.token))
        case "an access token signed by a stranger":
            return HandshakeCredentials(bearer=signed_by_stranger(victim.token))
        case "a made-up ticket":
            return HandshakeCredentials(ticket=MADE_UP_TICKET)
        case "a ticket that was already used":
            ticket = await victim.chat_ticket()
            await victim.try_connect(ticket=ticket)
            assert victim.connection is not None, (
                f"{victim.name} could not use her own ticket: {victim.handshake_refusal}"
            )
            return HandshakeCredentials(ticket=ticket)
    raise ValueError(f"unknown kind of handshake credentials: {kind!r}")
