from collections.abc import Iterator

import pytest

from support.stack.embedded_stack import EmbeddedStack


@pytest.fixture(scope="session")
def stack() -> Iterator[EmbeddedStack]:
    """A real PostgreSQL and reference platform, shared by the tests that talk to the platform directly."""
    embedded = EmbeddedStack().start()
    yield embedded
    embedded.stop()
