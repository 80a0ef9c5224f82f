import asyncio

import pytest

from reference_platform.app import ENDPOINTS
from reference_platform.chat.agent import Planner, PlannerAgent, ToolCall
from reference_platform.chat.tools import Calculator, CostEstimator, ToolError, ToolTimedOut, Wait
from reference_platform.faults import FAULTS, endpoints_with_faults, server_options, with_faults
from reference_platform.parts import Blueprint

TOOLS = frozenset({"calculator", "cost_estimator"})


@pytest.mark.parametrize(
    ("question", "tool", "arguments"),
    [
        ("What would 1M tokens a day cost per month?", "cost_estimator", {"tokens_per_day": 1e6, "days": 30}),
        ("and 250k tokens per day for a week?", "cost_estimator", {"tokens_per_day": 250e3, "days": 7}),
        ("What is (3 + 4) * 6?", "calculator", {"expression": "(3 + 4) * 6"}),
    ],
)
def test_the_planner_picks_a_tool_and_its_arguments(question: str, tool: str, arguments: dict[str, object]) -> None:
    [call] = Planner().plan(question, TOOLS)
    assert (call.tool, call.arguments) == (tool, arguments)
    assert call.id.startswith("call_")


def test_a_question_without_numbers_needs_no_tool() -> None:
    assert Planner().plan("Hello, who are you?", TOOLS) == []


def test_the_wait_tool_is_planned_only_where_it_is_offered() -> None:
    [call] = Planner().plan("Please wait 60 seconds, then say done", TOOLS | {"wait"})
    assert (call.tool, call.arguments) == ("wait", {"seconds": 60.0})
    assert Planner().plan("Please wait 60 seconds, then say done", TOOLS) == []


def test_a_tool_slower_than_the_timeout_ends_in_tool_timed_out() -> None:
    agent = PlannerAgent(Planner(), [Wait()], tool_timeout_seconds=0.05)
    with pytest.raises(ToolTimedOut, match=r"wait did not answer within 0\.05 s"):
        asyncio.run(agent.call(ToolCall("wait", {"seconds": 5})))


def test_the_tools_compute_and_fail_loudly() -> None:
    assert asyncio.run(Calculator().run({"expression": "(3 + 4) * 6"}))["value"] == 42
    assert asyncio.run(CostEstimator(2.5).run({"tokens_per_day": 1e6, "days": 30}))["cost_usd"] == 75.0
    with pytest.raises(ToolError, match="division by zero"):
        asyncio.run(Calculator().run({"expression": "1 / 0"}))
    with pytest.raises(ToolError, match="unsupported expression"):
        asyncio.run(Calculator().run({"expression": "__import__('os')"}))


@pytest.mark.parametrize("expression", ["(10**100)**100", "10 ** 400", "1e308 * 10", "(-8) ** 0.5"])
def test_a_result_out_of_range_is_the_tools_own_failure(expression: str) -> None:
    with pytest.raises(ToolError, match=r"too large|not a real number"):
        asyncio.run(Calculator().run({"expression": expression}))


def test_small_negative_powers_are_computed() -> None:
    assert asyncio.run(Calculator().run({"expression": "2**-200"}))["value"] == 2.0**-200


def test_every_fault_changes_what_it_names_and_unknown_faults_are_refused() -> None:
    for name, fault in FAULTS.items():
        changed = [field for field, value in vars(with_faults(Blueprint(), [name])).items()
                   if value is not getattr(Blueprint(), field)]  # fmt: skip
        assert changed == sorted(fault.parts, key=list(vars(Blueprint())).index), (name, changed)
        swapped = set(endpoints_with_faults([name])) - set(ENDPOINTS)
        assert len(swapped) == len(fault.endpoints), f"{name} replaces endpoints the platform does not mount"
        assert changed or server_options([name]) or swapped, f"{name} changes nothing"
    with pytest.raises(SystemExit, match="unknown fault"):
        with_faults(Blueprint(), ["no_such_fault"])
