"""The step catalogue (`make steps`): every step sentence the features may use, grouped by domain (its steps file),
each with the file and line that defines it. Read from behave's own step registry, as behave loads the steps."""

import argparse
import importlib
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

from behave.runner_util import load_step_modules
from behave.step_registry import registry

STEPS = Path("steps")


class StepDefinition(NamedTuple):
    keyword: str
    pattern: str
    file: str
    line: int


def step_definitions(steps: Path = STEPS) -> list[StepDefinition]:
    """Every step definition, as behave registers it (environment.py's parameter types included)."""
    importlib.import_module("environment")  # registers {person:Person} and {server:Server}
    if not any(registry.steps.values()):
        load_step_modules([str(steps)])
    return sorted(
        StepDefinition(keyword.capitalize(), matcher.pattern, str(matcher.location.filename), matcher.location.line)
        for keyword, matchers in registry.steps.items()
        for matcher in matchers
    )


def domain(file: str) -> str:
    return Path(file).stem.removesuffix("_steps").replace("_", " ").capitalize()


def catalogue(definitions: list[StepDefinition]) -> str:
    by_file: dict[str, list[StepDefinition]] = defaultdict(list)
    for definition in definitions:
        by_file[definition.file].append(definition)
    lines = [f"{len(definitions)} step definitions in {len(by_file)} domains\n"]
    for file, in_file in sorted(by_file.items()):
        lines.append(f"{domain(file)}  ({file})")
        width = max(len(f"{d.keyword} {d.pattern}") for d in in_file)
        for d in sorted(in_file, key=lambda d: d.line):
            lines.append(f"  {f'{d.keyword} {d.pattern}':<{width}}  {d.file}:{d.line}")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m support.report.step_catalogue", description=__doc__)
    parser.parse_args()
    print(catalogue(step_definitions()))


if __name__ == "__main__":
    main()
