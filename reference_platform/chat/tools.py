"""Tools the agent can call. Each takes JSON arguments and returns a JSON result."""

import ast
import asyncio
import math
import operator
from typing import Any, Protocol

PRICE_PER_MILLION_TOKENS_USD = 2.50


class ToolError(Exception):
    pass


class ToolTimedOut(Exception):
    """A tool did not answer within the agent's tool timeout."""


class Tool(Protocol):
    name: str

    async def run(self, arguments: dict[str, Any]) -> dict[str, Any]: ...


_OPERATORS: dict[type, Any] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


def _evaluate(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return float(node.value)  # float arithmetic overflows at once where int powers would run for ever
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        return _finite(_OPERATORS[type(node.op)](_evaluate(node.left), _evaluate(node.right)))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
        return _finite(_OPERATORS[type(node.op)](_evaluate(node.operand)))
    raise ToolError(f"unsupported expression: {ast.dump(node)}")


def _finite(value: float | complex) -> float:
    if isinstance(value, complex):
        raise ToolError("the result is not a real number")
    if not math.isfinite(value):
        raise ToolError("the result is too large")
    return value


class Calculator:
    name = "calculator"

    async def run(self, arguments: dict[str, Any]) -> dict[str, Any]:
        expression = str(arguments["expression"])
        try:
            value = _evaluate(ast.parse(expression, mode="eval"))
        except ZeroDivisionError as error:
            raise ToolError(f"cannot evaluate {expression}: division by zero") from error
        except OverflowError as error:
            raise ToolError(f"cannot evaluate {expression}: the result is too large") from error
        except SyntaxError as error:
            raise ToolError(f"cannot parse {expression}") from error
        return {"expression": expression, "value": value}


class CostEstimator:
    name = "cost_estimator"

    def __init__(self, price_per_million_tokens: float = PRICE_PER_MILLION_TOKENS_USD) -> None:
        self.price_per_million_tokens = price_per_million_tokens

    async def run(self, arguments: dict[str, Any]) -> dict[str, Any]:
        tokens_per_day = float(arguments["tokens_per_day"])
        days = int(arguments.get("days", 30))
        if tokens_per_day < 0 or days <= 0:
            raise ToolError("token volume and days must be positive")
        cost = tokens_per_day * days / 1_000_000 * self.price_per_million_tokens
        return {
            "tokens_per_day": tokens_per_day,
            "days": days,
            "price_per_million_tokens_usd": self.price_per_million_tokens,
            "cost_usd": round(cost, 2),
        }


class Wait:
    """A diagnostic tool, off unless the platform runs with --diagnostic-tools: it waits, as a tool whose
    upstream hangs would. Journals use it to check the tool timeout, restarts and resuming mid-run."""

    name = "wait"
    longest = 600.0

    async def run(self, arguments: dict[str, Any]) -> dict[str, Any]:
        seconds = float(arguments["seconds"])
        if not 0 <= seconds <= self.longest:
            raise ToolError(f"can wait between 0 and {self.longest:g} seconds")
        await asyncio.sleep(seconds)
        return {"waited_seconds": seconds}
