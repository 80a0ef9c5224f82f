"""The journeys as behave parses them: which feature holds a scenario, and which step definitions it uses."""

import functools
from dataclasses import dataclass
from pathlib import Path

from behave.model import ScenarioOutline
from behave.parser import parse_file
from behave.runner_util import exec_file
from behave.step_registry import registry

from tests.behave_runs import ROOT

FEATURES = ROOT / "features"
ScenarioOutline.annotation_schema = "{name}"  # as behave.ini names outline rows


@dataclass(frozen=True)
class ScenarioEntry:
    feature: Path
    steps: tuple[tuple[str, str], ...]  # (step type, pattern of the step definition that matches it)
    names: tuple[str, ...]  # each step as the report names it: its keyword and its text
    modules: tuple[str, ...] = ()  # the file of each step's definition

    def step_named(self, name: str) -> tuple[str, str]:
        """The (type, pattern) of the step the report names so."""
        return self.steps[self.names.index(name)]


@functools.cache
def load_steps() -> None:
    import environment  # noqa: F401  (registers the parameter types the step patterns use)

    for module in sorted((ROOT / "steps").glob("*.py")):
        exec_file(str(module), {})


@functools.cache
def scenarios() -> dict[str, ScenarioEntry]:
    """Every scenario by name (outline rows by their own names), with the step patterns it uses."""
    load_steps()
    index: dict[str, ScenarioEntry] = {}
    for path in sorted(FEATURES.glob("*.feature")):
        for scenario in parse_file(str(path)).walk_scenarios():
            steps, names, modules = [], [], []
            for step in scenario.all_steps:
                match = registry.find_step_definition(step)
                assert match is not None, f"undefined step in {path.name}: {step.keyword} {step.name}"
                steps.append((step.step_type, match.pattern))
                names.append(f"{step.keyword} {step.name}")
                modules.append(Path(match.location.filename).name)
            index[scenario.name] = ScenarioEntry(path.relative_to(ROOT), tuple(steps), tuple(names), tuple(modules))
    return index


def then_patterns() -> set[str]:
    return {pattern for entry in scenarios().values() for kind, pattern in entry.steps if kind == "then"}
