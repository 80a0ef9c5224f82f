"""Editor support: the Cucumber extension for VS Code finds the steps (`steps/`, not its default folders) and knows
every parameter our step sentences use, so go-to-definition works from any feature line."""

import json
import re

from environment import parse_person, parse_server
from support.report.step_catalogue import step_definitions
from tests.behave_runs import ROOT

SETTINGS = ROOT / ".vscode" / "settings.json"
TYPED = {"Person": parse_person.pattern, "Server": parse_server.pattern, "d": r"-?\d+"}


def test_the_extension_looks_for_steps_where_they_are() -> None:
    settings = json.loads(SETTINGS.read_text())
    assert "steps/**/*.py" in settings["cucumber.glue"]
    assert "features/**/*.feature" in settings["cucumber.features"]
    assert (
        "CucumberOpen.cucumber-official"
        in json.loads((ROOT / ".vscode" / "extensions.json").read_text())["recommendations"]
    )


def test_every_parameter_a_step_uses_is_declared_with_the_pattern_behave_matches() -> None:
    """behave's `{name:Type}` reads as a parameter type named "name:Type" to the extension's Cucumber Expressions."""
    declared = {p["name"]: p["regexp"] for p in json.loads(SETTINGS.read_text())["cucumber.parameterTypes"]}
    used = {name for d in step_definitions() for name in re.findall(r"\{(\w+(?::\w+)?)\}", d.pattern)}
    assert used - declared.keys() == set(), "add these to cucumber.parameterTypes in .vscode/settings.json"
    for name in used:
        kind = name.partition(":")[2]
        assert declared[name] == TYPED.get(kind, ".+?"), f"{name}: {declared[name]!r}"
