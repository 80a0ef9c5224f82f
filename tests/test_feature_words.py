"""Features a product manager reads without a glossary of protocols: no sentence names a WebSocket close code, an
HTTP status code or a header. The steps and checks keep those, and their failure messages name them."""

import re
from pathlib import Path

import pytest

from tests.behave_runs import ROOT

FEATURES = sorted((ROOT / "features").glob("*.feature"))
CLOSE_CODE = re.compile(r"\b10(0\d|1[0-5])\b")  # RFC 6455's close codes
STATUS_CODE = re.compile(r"\b[2-5]\d\d\b")
HEADERS = ("Allow", "Retry-After", "RateLimit", "X-Request-Id", "Cache-Control", "Content-Type", "Authorization",
           "Location", "Set-Cookie", "WWW-Authenticate", "Referrer-Policy")  # fmt: skip
HEADER = re.compile(r"\b(" + "|".join(re.escape(name) for name in HEADERS) + r")\b")


@pytest.mark.parametrize("feature", FEATURES, ids=lambda path: path.stem)
def test_no_sentence_names_a_close_code_a_status_code_or_a_header(feature: Path) -> None:
    lines = [line for line in feature.read_text().splitlines() if not line.strip().startswith(("#", "@"))]
    protocol = [
        line.strip() for line in lines if CLOSE_CODE.search(line) or STATUS_CODE.search(line) or HEADER.search(line)
    ]
    assert protocol == [], "say what the customer sees; the step and its check keep the protocol's numbers"
