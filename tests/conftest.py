from collections.abc import Iterator

import pytest

from support.stack.embedded_stack import EmbeddedStack


@pytest.fixture(scope="session")
def stack() -> Iterator[EmbeddedStack]:
    """A real PostgreSQL and reference platform on two instances, shared by the tests that talk to it directly."""
    embedded = EmbeddedStack(instances=2).start()
    yield embedded
    embedded.stop()
