"""Reading and changing a URL's query, as a browser (or an attacker in it) can."""

import re
import uuid
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def query_secrets(url: str | None) -> list[str]:
    """The values in a URL's query, which for a link like a download link are its secrets."""
    return list(query(url).values()) if url else []


def with_query(url: str, **changes: str) -> str:
    """The same URL with some query parameters changed."""
    return urlunsplit(urlsplit(url)._replace(query=urlencode({**query(url), **changes})))


def with_another_id(url: str) -> str:
    """The same URL naming something that does not exist: its first id replaced by a fresh one."""
    return UUID.sub(str(uuid.uuid4()), url, count=1)
