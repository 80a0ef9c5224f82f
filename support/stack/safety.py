"""Scenarios that destroy data or exhaust limits run against a shared environment only when allowed."""

from collections.abc import Iterable

from support.stack.config import TargetConfig

DESTRUCTIVE_TAG = "destructive"


class UnsafeTarget(Exception):
    pass


def refuse_if_unsafe(tags: Iterable[str], target: TargetConfig) -> None:
    if DESTRUCTIVE_TAG in tags and not target.is_local and not target.allow_destructive:
        raise UnsafeTarget(
            f"Refusing a @{DESTRUCTIVE_TAG} scenario against {target.base_url}: it is not a local target. "
            "Allow it with -D allow_destructive=true or CHAT_ACCEPTANCE_ALLOW_DESTRUCTIVE=true, "
            f"or leave it out with --tags='not @{DESTRUCTIVE_TAG}'."
        )
