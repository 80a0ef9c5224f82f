"""Identity providers that misbehave, one per way a relying party must refuse a login.

The platform is these providers' client as it is the embedded provider's: they publish discovery and a
JWKS, show a login page, check the client's secret and the PKCE verifier, and answer the code with an ID
token. Each one spoils one thing, so a journey can show that the platform refuses exactly that:

- `forged_signature`: the ID token is signed by a key the provider never published (same kid);
- `foreign_issuer`: the ID token names another issuer;
- `foreign_audience`: the ID token was issued for another client;
- `expired_token`: the ID token expired a minute ago;
- `code_refuser`: the token endpoint refuses every code as invalid_grant.

Run as `python -m support.stack.hostile_provider <fd> <settings JSON>`: it serves on the listening socket
handed down as `fd`, each provider under its own path (its issuer), and its settings are
{base_url, client_id, client_secret, callback} where callback has `{}` for the provider's name.
"""

import base64
import hashlib
import html
import json
import secrets
import socket
import sys
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

FLAWS = ("forged_signature", "foreign_issuer", "foreign_audience", "expired_token", "code_refuser")
KEY_ID = "hostile-1"


@dataclass(frozen=True)
class Authorization:
    flaw: str
    redirect_uri: str
    state: str
    nonce: str
    code_challenge: str
    login_name: str = ""


def oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


async def url_encoded_form(request: Request) -> dict[str, str]:
    """A form body, read without python-multipart: these forms are never multipart."""
    return dict(parse_qsl((await request.body()).decode()))


class HostileProviders:
    def __init__(self, base_url: str, client_id: str, client_secret: str, callback: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.callback = callback
        self.published = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.pending: dict[str, Authorization] = {}  # login page id -> authorization request
        self.codes: dict[str, Authorization] = {}

    def issuer(self, flaw: str) -> str:
        return f"{self.base_url}/{flaw}"

    def flaw(self, request: Request) -> str:
        flaw = str(request.path_params["flaw"])
        if flaw not in FLAWS:
            raise LookupError(flaw)
        return flaw

    async def discovery(self, request: Request) -> Response:
        issuer = self.issuer(self.flaw(request))
        return JSONResponse({
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        })  # fmt: skip

    async def jwks(self, request: Request) -> Response:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.published.public_key()))
        return JSONResponse({"keys": [{**public, "kid": KEY_ID, "use": "sig", "alg": "RS256"}]})

    async def authorize(self, request: Request) -> Response:
        flaw, asked = self.flaw(request), request.query_params
        if asked.get("client_id") != self.client_id or asked.get("redirect_uri") != self.callback.format(flaw):
            return oauth_error("invalid_request", "unknown client or redirect_uri")
        if asked.get("code_challenge_method") != "S256" or not asked.get("code_challenge"):
            return oauth_error("invalid_request", "PKCE S256 is required")
        page = secrets.token_urlsafe(16)
        self.pending[page] = Authorization(
            flaw, asked["redirect_uri"], asked.get("state", ""), asked.get("nonce", ""), asked["code_challenge"]
        )
        action = html.escape(f"{self.issuer(flaw)}/login/{page}")
        return HTMLResponse(
            f'<!doctype html><title>Sign in</title><form method="post" action="{action}">'
            '<input name="login"><input name="password" type="password"><button>Sign in</button></form>'
        )

    async def log_in(self, request: Request) -> Response:
        authorization = self.pending.pop(str(request.path_params["page"]), None)
        if authorization is None:
            return oauth_error("invalid_request", "no such login page")
        form = await url_encoded_form(request)
        code = secrets.token_urlsafe(24)
        self.codes[code] = Authorization(**{**authorization.__dict__, "login_name": str(form.get("login", ""))})
        answer = urlencode({"code": code, "state": authorization.state})
        return RedirectResponse(f"{authorization.redirect_uri}?{answer}", status_code=303)

    async def token(self, request: Request) -> Response:
        flaw, form = self.flaw(request), await url_encoded_form(request)
        if not self.client_authenticated(request):
            return oauth_error("invalid_client", "client authentication failed", 401)
        authorization = self.codes.pop(str(form.get("code", "")), None)
        if authorization is None or authorization.flaw != flaw or flaw == "code_refuser":
            return oauth_error("invalid_grant", "the code is unknown, used or refused")
        verifier = str(form.get("code_verifier", "")).encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
        if not secrets.compare_digest(challenge, authorization.code_challenge):
            return oauth_error("invalid_grant", "PKCE verification failed")
        id_token = self.id_token(authorization)
        return JSONResponse(
            {"access_token": secrets.token_urlsafe(24), "token_type": "Bearer", "expires_in": 60, "id_token": id_token},
            headers={"Cache-Control": "no-store"},
        )

    def client_authenticated(self, request: Request) -> bool:
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        client_id, _, secret = base64.b64decode(credentials).decode().partition(":")
        return client_id == self.client_id and secrets.compare_digest(secret, self.client_secret)

    def id_token(self, authorization: Authorization) -> str:
        flaw, now = authorization.flaw, int(time.time())
        claims: dict[str, Any] = {
            "iss": "https://impostor.example" if flaw == "foreign_issuer" else self.issuer(flaw),
            "aud": "another-client" if flaw == "foreign_audience" else self.client_id,
            "sub": authorization.login_name,
            "email": authorization.login_name,
            "email_verified": True,
            "nonce": authorization.nonce,
            "iat": now - 120 if flaw == "expired_token" else now,
            "exp": now - 60 if flaw == "expired_token" else now + 300,
        }
        key = self.forger if flaw == "forged_signature" else self.published
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KEY_ID})


def application(providers: HostileProviders) -> Starlette:
    async def unknown(request: Request, error: Exception) -> Response:
        return oauth_error("not_found", "no such provider", 404)

    return Starlette(
        routes=[
            Route("/{flaw}/.well-known/openid-configuration", providers.discovery),
            Route("/{flaw}/jwks", providers.jwks),
            Route("/{flaw}/authorize", providers.authorize),
            Route("/{flaw}/login/{page}", providers.log_in, methods=["POST"]),
            Route("/{flaw}/token", providers.token, methods=["POST"]),
        ],
        exception_handlers={LookupError: unknown},
    )


def main() -> None:
    fd, settings = int(sys.argv[1]), json.loads(sys.argv[2])
    providers = HostileProviders(**settings)
    config = uvicorn.Config(application(providers), log_level="warning", lifespan="off")
    uvicorn.Server(config).run(sockets=[socket.socket(fileno=fd)])


if __name__ == "__main__":
    main()
