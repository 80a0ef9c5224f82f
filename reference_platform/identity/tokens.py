"""Signed access tokens (RFC 9068 JWT profile), their verification and the JWKS."""

import base64
import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from jwt.types import Options

ALGORITHM = "RS256"
ACCESS_TOKEN_TYPE = "at+jwt"
REQUIRED_CLAIMS = ["iss", "aud", "sub", "exp", "iat", "jti", "client_id", "sid"]


class InvalidToken(Exception):
    pass


@dataclass(frozen=True)
class AccessClaims:
    subject: str
    session_id: str
    token_id: str
    expires_at: int


def jwk_thumbprint(public_jwk: dict[str, Any]) -> str:
    """RFC 7638 thumbprint of an RSA public key, used as its kid."""
    canonical = json.dumps({k: public_jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class AccessTokens:
    def __init__(
        self,
        issuer: str,
        audience: str,
        private_key: rsa.RSAPrivateKey | None = None,
        token_type: str = ACCESS_TOKEN_TYPE,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.token_type = token_type
        self.leeway_seconds = 0  # exp is exact: our own clock signs and checks
        self._private_key = private_key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._public_jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self._private_key.public_key()))
        self.kid = jwk_thumbprint(self._public_jwk)

    def issue(self, subject: str, session_id: str, client_id: str, ttl_seconds: int) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "sid": session_id,
            "client_id": client_id,
            "iat": now,
            "exp": now + ttl_seconds,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._private_key, ALGORITHM, headers={"kid": self.kid, "typ": self.token_type})

    checks: ClassVar[Options] = {"require": REQUIRED_CLAIMS}  # PyJWT's: signature, exp, aud and iss as well

    def of_our_type(self, header: dict[str, Any]) -> bool:
        return header.get("typ") == self.token_type

    def verify(self, token: str) -> AccessClaims:
        try:
            header = jwt.get_unverified_header(token)
            if not self.of_our_type(header):
                raise InvalidToken(f"token type is not {self.token_type}")
            if header.get("kid") != self.kid:
                raise InvalidToken("unknown signing key")
            claims = jwt.decode(
                token,
                self._private_key.public_key(),
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options=self.checks,
                leeway=self.leeway_seconds,
            )
        except jwt.ExpiredSignatureError as error:
            raise InvalidToken("The access token expired") from error
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from error
        return AccessClaims(claims["sub"], claims["sid"], claims["jti"], claims["exp"])

    def jwks(self) -> dict[str, Any]:
        return {"keys": [{**self._public_jwk, "kid": self.kid, "use": "sig", "alg": ALGORITHM}]}
