# mypy: disable-error-code="untyped-decorator"
"""Hooks that break on purpose, to show how the report formatter labels them."""

from behave.model import Feature, Scenario
from behave.runner import Context


def before_feature(context: Context, feature: Feature) -> None:
    if "broken_before_feature" in feature.tags:
        raise RuntimeError("before_feature broke on purpose")


def before_scenario(context: Context, scenario: Scenario) -> None:
    if "broken_before_scenario" in scenario.tags:
        raise RuntimeError("before_scenario broke on purpose")


def after_scenario(context: Context, scenario: Scenario) -> None:
    if "broken_after_scenario" in scenario.tags:
        raise RuntimeError("after_scenario broke on purpose")
