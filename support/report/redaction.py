"""The one place secrets are removed before anything is written to a report or a log."""

import json
import re
from collections.abc import Mapping
from typing import Any

MASK = "«redacted»"
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
SECRET_QUERY = re.compile(
    r"(?i)([?&#](?:ticket|access_token|refresh_token|id_token|token|code|login_code|code_verifier|client_secret"
    r"|password|key)=)[^&#\s\"']+"
)
SECRET_FIELDS = frozenset(
    {
        "password",
        "current_password",
        "new_password",
        "access_token",
        "refresh_token",
        "id_token",
        "ticket",
        "token",
        "code",
        "login_code",
        "code_verifier",
        "client_secret",
    }
)
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
MIN_SECRET_LENGTH = 4


class Redactor:
    """Masks known secrets (every password, token and ticket the run used) and anything JWT-shaped."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()

    def remember(self, *secrets: str | None) -> None:
        for secret in secrets:
            if secret and len(secret) >= MIN_SECRET_LENGTH:
                self._secrets.add(secret)

    def known_secrets(self) -> list[str]:
        return sorted(self._secrets)

    def text(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        text = JWT_SHAPE.sub(MASK, text)
        return SECRET_QUERY.sub(lambda match: match.group(1) + MASK, text)

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {name: MASK if name.lower() in SECRET_HEADERS else self.text(value) for name, value in headers.items()}

    def data(self, value: Any) -> Any:
        """Redact a JSON-like value: secret fields are masked whole, other strings are scanned."""
        if isinstance(value, Mapping):
            return {
                key: MASK if str(key).lower() in SECRET_FIELDS and value[key] else self.data(value[key])
                for key in value
            }
        if isinstance(value, list | tuple):
            return [self.data(item) for item in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def body(self, body: str) -> str:
        """Redact a payload that may or may not be JSON."""
        try:
            parsed = json.loads(body)
        except ValueError:
            return self.text(body)
        return json.dumps(self.data(parsed), ensure_ascii=False)


RUN_REDACTOR = Redactor()
"""The run's one redactor: the hooks teach it secrets, the evidence and the report formatter apply it."""
