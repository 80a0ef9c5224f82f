"""The scripted model behind pydantic-ai's agent: deterministic and offline, so every run is repeatable.

It thinks aloud, calls the calculator for arithmetic, calls a tool the app declared when the question names it,
and recalls a code word from the history the app sent. Only this script and its tools are ours; the agent loop
and the AG-UI encoding are pydantic-ai's.
"""

import ast
import operator
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, ModelRequest, TextPart, ToolReturnPart, UserPromptPart
from pydantic_ai.models.function import (
    AgentInfo,
    DeltaThinkingCalls,
    DeltaThinkingPart,
    DeltaToolCall,
    DeltaToolCalls,
    FunctionModel,
)

ARITHMETIC = re.compile(r"[-+*/().\d\s]*\d\s*[-+*/]\s*[-+*/().\d\s]*\d[)\s]*")
REMEMBER = re.compile(r"remember the code word:?\s+(\w+)", re.IGNORECASE)
OPERATORS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def calculate(expression: str) -> float:
    """Evaluate + - * / and parentheses over numbers; 1 / 0 raises, which makes the tool fail."""

    def value(node: ast.expr) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
            return float(OPERATORS[type(node.op)](value(node.left), value(node.right)))
        raise ValueError(f"not arithmetic: {ast.dump(node)}")

    return value(ast.parse(expression, mode="eval").body)


def last_question(messages: list[ModelMessage]) -> str:
    for message in reversed(messages):
        if isinstance(message, ModelRequest):
            for part in reversed(message.parts):
                if isinstance(part, UserPromptPart) and isinstance(part.content, str):
                    return part.content
    return ""


def told_code_word(messages: list[ModelMessage]) -> str | None:
    """The code word the conversation's history holds, in any message the app sent before."""
    for message in messages:
        parts = message.parts
        for part in parts:
            text = part.content if isinstance(part, UserPromptPart | TextPart) else None
            if isinstance(text, str) and (told := REMEMBER.search(text)):
                return told.group(1)
    return None


def words(name: str) -> set[str]:
    return set(name.lower().split("_"))


async def script(
    messages: list[ModelMessage], info: AgentInfo
) -> AsyncIterator[str | DeltaToolCalls | DeltaThinkingCalls]:
    """One model response: text, or a tool call, after a thought."""
    latest = messages[-1]
    returned = (
        [part for part in latest.parts if isinstance(part, ToolReturnPart)] if isinstance(latest, ModelRequest) else []
    )
    if returned:
        result = returned[-1]
        content: Any = result.content
        if result.tool_name == "calculator" and isinstance(content, dict):
            yield f"{content['expression']} = {content['value']:g}."
        else:
            yield f"You chose: {result.content}."
        return
    question = last_question(messages)
    app_tools = [tool for tool in info.function_tools if tool.kind == "external"]
    chosen = next((tool for tool in app_tools if words(tool.name) <= set(re.findall(r"\w+", question.lower()))), None)
    arithmetic = ARITHMETIC.search(question)
    yield {0: DeltaThinkingPart(content=f"Reading the question: {question[:60]}")}
    if chosen is not None:
        yield {1: DeltaToolCall(name=chosen.name, json_args="{}")}
    elif arithmetic:
        yield {1: DeltaToolCall(name="calculator", json_args=f'{{"expression": "{arithmetic.group(0).strip()}"}}')}
    elif told := REMEMBER.search(question):
        yield f"I will remember {told.group(1)}."
    elif "code word" in question.lower():
        word = told_code_word(messages[:-1])
        yield f"The code word is {word}." if word else "You have not told me a code word."
    else:
        yield "I can do arithmetic and keep a code word for you. Try asking what 12 * 7 is."


def scripted_agent() -> Agent[None, str]:
    """pydantic-ai's adapter adds the output for tools left to the app (DeferredToolRequests) itself."""
    agent: Agent[None, str] = Agent(FunctionModel(stream_function=script))

    @agent.tool_plain
    def calculator(expression: str) -> dict[str, Any]:
        """Evaluate an arithmetic expression."""
        return {"expression": expression, "value": calculate(expression)}

    return agent
