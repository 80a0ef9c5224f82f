"""The platform's agent for protocols whose app holds the conversation (AG-UI): it recalls what the app says was
said before, leaves the app's own tools to the app, and answers with the results the app sends back."""

import re
import uuid
from dataclasses import dataclass, field

from reference_platform.chat.agent import Agent, RunEvents

REMEMBER = re.compile(r"remember the code word:?\s+(\w+)", re.IGNORECASE)


@dataclass(frozen=True)
class Conversation:
    earlier: list[str] = field(default_factory=list)  # what either side said before the question
    app_tools: frozenset[str] = frozenset()  # tools the app declared, which only the app carries out
    app_results: list[str] = field(default_factory=list)  # what the app's tools answered since the last run


@dataclass(frozen=True)
class Answer:
    text: str
    waiting_on: list[str] = field(default_factory=list)  # calls of the app's tools the run leaves to the app


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower().replace("_", " ")))


class ConversationAgent:
    def __init__(self, agent: Agent) -> None:
        self.agent = agent

    async def answer(self, question: str, events: RunEvents, conversation: Conversation) -> Answer:
        if conversation.app_results:
            await events.thinking("Reading the result her app sent")
            return Answer(f"You chose: {conversation.app_results[-1]}.")
        named = sorted(tool for tool in conversation.app_tools if words(tool) <= words(question))
        if named:
            await events.thinking(f"Asking her app to {named[0].replace('_', ' ')}")
            call_id = f"call_{uuid.uuid4().hex[:12]}"
            await events.tool_executing(call_id, named[0], {})
            return Answer("", [call_id])
        if told := REMEMBER.search(question):
            await events.thinking("Noting the code word")
            return Answer(f"I will remember {told.group(1)}.")
        if "code word" in question.lower():
            await events.thinking("Looking for the code word in the conversation")
            word = next((found.group(1) for said in conversation.earlier if (found := REMEMBER.search(said))), None)
            return Answer(f"The code word is {word}." if word else "You have not told me a code word.")
        return Answer(await self.agent.answer(question, events))
