"""Bearer access tokens on a request: who is calling, in which session, or a 401 problem."""

import uuid
from dataclasses import dataclass

from reference_platform.identity.accounts import UserStore
from reference_platform.identity.sessions import Sessions
from reference_platform.identity.tokens import AccessTokens, InvalidToken
from reference_platform.problems import unauthorized


@dataclass(frozen=True)
class Caller:
    user_id: uuid.UUID
    session_id: uuid.UUID


class BearerAuth:
    def __init__(self, access_tokens: AccessTokens, users: UserStore, sessions: Sessions) -> None:
        self.access_tokens = access_tokens
        self.users = users
        self.sessions = sessions

    async def caller(self, authorization: str) -> Caller:
        """The live account and session named by an `Authorization: Bearer` header value."""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise unauthorized("A bearer access token is required.")
        try:
            claims = self.access_tokens.verify(token)
            caller = Caller(uuid.UUID(claims.subject), uuid.UUID(claims.session_id))
        except (InvalidToken, ValueError) as error:
            raise unauthorized(f"The access token is invalid: {error}") from error
        if await self.users.get(caller.user_id) is None:
            raise unauthorized("The account no longer exists.")
        if not await self.sessions.is_live(caller.session_id, caller.user_id):
            raise unauthorized("The session has ended.")
        return caller
