"""Named defects for proving that the suite catches them.

Each fault replaces one part of the platform with a faulty subclass. Nothing here is imported
unless the platform is started with `--fault NAME`, which only the test harness does.
"""

from dataclasses import replace
from typing import Any

from reference_platform.app import ENDPOINTS
from reference_platform.endpoints import Endpoints
from reference_platform.parts import Blueprint

from . import (
    access_control,
    access_tokens,
    accounts,
    agent_runs,
    chat_outages,
    chat_questions,
    chat_socket,
    chat_store,
    erasure,
    exports,
    health,
    limits,
    oidc,
    requests,
    run_journal,
    sessions,
    tickets,
)
from .ag_ui import AG_UI_FAULTS
from .fault import Fault
from .timing import TIMING_FAULTS
from .vercel_ai import VERCEL_FAULTS

# One catalogue, read by the kill matrix and the docs; each part's defects are declared next to their code.
FAULTS: dict[str, Fault] = {
    **access_control.FAULTS,
    **access_tokens.FAULTS,
    **accounts.FAULTS,
    **agent_runs.FAULTS,
    **chat_outages.FAULTS,
    **chat_questions.FAULTS,
    **chat_socket.FAULTS,
    **chat_store.FAULTS,
    **erasure.FAULTS,
    **exports.FAULTS,
    **health.FAULTS,
    **limits.FAULTS,
    **oidc.FAULTS,
    **requests.FAULTS,
    **run_journal.FAULTS,
    **sessions.FAULTS,
    **tickets.FAULTS,
    **TIMING_FAULTS,
    **AG_UI_FAULTS,
    **VERCEL_FAULTS,
}


def server_options(names: list[str]) -> dict[str, Any]:
    """The uvicorn settings the named defects change."""
    return {key: value for name in names for key, value in FAULTS[name].server.items()}


def endpoints_with_faults(names: list[str]) -> tuple[type[Endpoints], ...]:
    """The platform's endpoints classes, each replaced by the named defects' subclass of it, if any."""
    replacements = [replacement for name in names for replacement in FAULTS[name].endpoints]
    return tuple(next((r for r in replacements if issubclass(r, base)), base) for base in ENDPOINTS)


def with_faults(blueprint: Blueprint, names: list[str]) -> Blueprint:
    unknown = sorted(set(names) - FAULTS.keys())
    if unknown:
        known = "\n".join(f"  {name}: {fault.description}" for name, fault in sorted(FAULTS.items()))
        raise SystemExit(f"unknown fault(s) {unknown}; known faults:\n{known}")
    for name in names:
        blueprint = replace(blueprint, **FAULTS[name].parts)
    return blueprint
