"""Schemathesis against the reference platform, as `make fuzz` runs it: every operation of the OpenAPI document,
with a customer's token and without one, valid and invalid input, along the document's links. Nothing it finds
may be open: each finding is fixed in the platform or written down in docs/contract/fuzz-baseline.json."""

from collections.abc import Iterator

import pytest

from support.running.fuzz import customer_token, fuzz
from support.stack.embedded_stack import EmbeddedStack


@pytest.fixture(scope="module")
def platform() -> Iterator[EmbeddedStack]:
    stack = EmbeddedStack().start()  # of its own: thousands of generated accounts and chats stay out of the others'
    yield stack
    stack.stop()


def test_schemathesis_finds_nothing_open(platform: EmbeddedStack, capsys: pytest.CaptureFixture[str]) -> None:
    token = customer_token(platform.base_url, None, None, platform.admin_token)
    with capsys.disabled():  # its figures belong in make test's output
        status, figures = fuzz(platform.base_url, token, writes=True, max_examples=50)
    assert figures.operations >= 28 and figures.cases > 1000, f"Schemathesis tried too little: {figures.line()}"
    assert status == 0 and figures.failures == 0, f"Schemathesis found something: {figures.line()} (above)"
