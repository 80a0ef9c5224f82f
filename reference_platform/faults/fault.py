"""One named defect: the parts it replaces, the endpoints it replaces, and the server settings it changes."""

from typing import Any, NamedTuple

from reference_platform.endpoints import Endpoints


class Fault(NamedTuple):
    description: str
    parts: dict[str, Any]
    server: dict[str, Any] = {}  # noqa: RUF012 -- uvicorn settings the defect changes; never mutated
    endpoints: tuple[type[Endpoints], ...] = ()  # each replaces the endpoints class it subclasses
