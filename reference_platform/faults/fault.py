"""One named defect: the parts it replaces, and the server settings it changes."""

from typing import Any, NamedTuple


class Fault(NamedTuple):
    description: str
    parts: dict[str, Any]
    server: dict[str, Any] = {}  # noqa: RUF012 -- uvicorn settings the defect changes; never mutated
