"""Bearer access tokens on a request: who is calling, or a 401 problem."""

import uuid

from reference_platform.identity.accounts import UserStore
from reference_platform.identity.tokens import AccessTokens, InvalidToken
from reference_platform.problems import unauthorized


class BearerAuth:
    def __init__(self, access_tokens: AccessTokens, users: UserStore) -> None:
        self.access_tokens = access_tokens
        self.users = users

    async def user_for(self, authorization: str) -> uuid.UUID:
        """The live account named by an `Authorization: Bearer` header value."""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise unauthorized("A bearer access token is required.")
        try:
            user_id = uuid.UUID(self.access_tokens.verify(token).subject)
        except (InvalidToken, ValueError) as error:
            raise unauthorized(f"The access token is invalid: {error}") from error
        if await self.users.get(user_id) is None:
            raise unauthorized("The account no longer exists.")
        return user_id
