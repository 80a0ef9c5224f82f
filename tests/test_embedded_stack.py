import socket
import tempfile
from pathlib import Path

import pytest

from support.stack import embedded_stack
from support.stack.embedded_stack import EmbeddedPostgres


def test_postgres_moves_to_another_port_when_its_first_pick_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as squatter, tempfile.TemporaryDirectory(prefix="chat-acceptance-test-") as workdir:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        picks = iter([taken, embedded_stack.free_port()])
        monkeypatch.setattr(embedded_stack, "free_port", lambda: next(picks))
        postgres = EmbeddedPostgres(Path(workdir))
        try:
            postgres.start()
            assert postgres.port != taken
        finally:
            postgres.stop()
