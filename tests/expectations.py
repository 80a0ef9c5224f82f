"""What the kill matrix expects of a defect: the scenario that must catch it, and what its failure must say."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Expectation:
    scenario: str
    message: str


def expect(scenario: str, message: str) -> tuple[Expectation, ...]:
    return (Expectation(scenario, message),)
