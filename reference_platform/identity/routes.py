"""The identity part's endpoints: sign-up, login, refresh, logout, a new password, sign-in through an identity
provider, the token keys, and the caller's own account."""

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from reference_platform.endpoints import Endpoints, by_method, json_body
from reference_platform.identity.accounts import normalize_email
from reference_platform.identity.sessions import DEFAULT_CLIENT, TokenSet
from reference_platform.limits.rate_limits import LOGIN_ACCOUNT, LOGIN_ADDRESS

ATTEMPT_COOKIE = "oidc_attempt"


def client_of(body: dict[str, Any]) -> str:
    """The client a token request is for (each client has its own token lifetimes); a client id that is not a
    string names no client."""
    client_id = body.get("client_id", DEFAULT_CLIENT)
    return client_id if isinstance(client_id, str) else repr(client_id)


class IdentityEndpoints(Endpoints):
    def routes(self) -> list[BaseRoute]:
        return [
            Route("/auth/signup", self.sign_up, methods=["POST"]),
            Route("/auth/login", self.log_in, methods=["POST"]),
            Route("/auth/refresh", self.refresh, methods=["POST"]),
            Route("/auth/logout", self.log_out, methods=["POST"]),
            Route("/auth/oidc/exchange", self.oidc_exchange, methods=["POST"]),
            Route("/auth/oidc/{provider}/start", self.oidc_start),
            Route("/auth/oidc/{provider}/callback", self.oidc_callback),
            Route(self.parts.settings.app_signed_in_path, self.app_signed_in),
            Route("/me/password", self.change_password, methods=["POST"]),
            Route("/.well-known/jwks.json", self.jwks),
            by_method("/me", GET=self.me, DELETE=self.delete_me),
        ]

    def tokens_response(self, tokens: TokenSet) -> Response:
        return JSONResponse(tokens.public(), headers=self.parts.sessions.response_headers())

    async def sign_up(self, request: Request) -> Response:
        body = await json_body(request, "email", "password")
        user = await self.parts.accounts.sign_up(body["email"], body["password"])
        return JSONResponse(user.public(), status_code=201)

    async def log_in(self, request: Request) -> Response:
        body = await json_body(request, "email", "password")
        address = request.client.host if request.client else "unknown"
        if address not in self.parts.settings.login_limit_exempt:
            await self.parts.limiter.enforce(address, "*", LOGIN_ADDRESS)
        await self.parts.limiter.enforce(normalize_email(body["email"]), "*", LOGIN_ACCOUNT)
        return self.tokens_response(await self.parts.accounts.log_in(body["email"], body["password"], client_of(body)))

    async def refresh(self, request: Request) -> Response:
        body = await json_body(request, "refresh_token")
        return self.tokens_response(await self.parts.sessions.refresh(body["refresh_token"]))

    async def log_out(self, request: Request) -> Response:
        caller = await self.caller(request)
        await self.parts.sessions.log_out(caller.session_id)
        return Response(status_code=204)

    async def change_password(self, request: Request) -> Response:
        caller = await self.caller(request)
        body = await json_body(request, "current_password", "new_password")
        await self.parts.accounts.change_password(
            caller.user_id, caller.session_id, body["current_password"], body["new_password"]
        )
        return Response(status_code=204)

    async def oidc_start(self, request: Request) -> Response:
        provider = request.path_params["provider"]
        url, attempt = await self.parts.oidc.start(provider)
        response = RedirectResponse(url, status_code=302, headers={"Cache-Control": "no-store"})
        response.set_cookie(ATTEMPT_COOKIE, attempt, **self.parts.oidc.attempt_cookie())
        return response

    async def oidc_callback(self, request: Request) -> Response:
        provider = request.path_params["provider"]
        user_id = await self.parts.oidc.finish(
            provider, dict(request.query_params), request.cookies.get(ATTEMPT_COOKIE)
        )
        landing = await self.parts.oidc.landing(user_id, self.parts.settings.app_signed_in_path)
        response = RedirectResponse(landing, status_code=302, headers={"Cache-Control": "no-store"})
        response.delete_cookie(ATTEMPT_COOKIE, path="/auth/oidc")
        return response

    async def app_signed_in(self, request: Request) -> Response:
        return HTMLResponse(
            "<!doctype html><title>Signed in</title><p>Signed in. The app now exchanges its one-time login code.",
            headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
        )

    async def oidc_exchange(self, request: Request) -> Response:
        body = await json_body(request, "login_code")
        self.parts.sessions.policy(client_of(body))
        user_id = await self.parts.oidc.redeem_login_code(body["login_code"])
        return self.tokens_response(await self.parts.sessions.start(user_id, client_of(body)))

    async def jwks(self, request: Request) -> Response:
        return JSONResponse(self.parts.access_tokens.jwks())

    async def me(self, request: Request) -> Response:
        user = await self.parts.users.get(await self.user(request))
        assert user is not None
        return JSONResponse(user.public())

    async def delete_me(self, request: Request) -> Response:
        caller = await self.caller(request)
        body = await json_body(request) if await request.body() else {}
        password = body.get("password")
        await self.parts.erasure.erase(caller, password if isinstance(password, str) else None)
        return Response(status_code=204)
