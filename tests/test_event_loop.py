import asyncio
import threading

import pytest

from support.event_loop import LoopThread


def test_coroutines_run_on_one_background_loop_across_calls() -> None:
    runner = LoopThread()
    try:

        async def where() -> tuple[int, asyncio.AbstractEventLoop]:
            return threading.get_ident(), asyncio.get_running_loop()

        first, second = runner.run(where(), 1), runner.run(where(), 1)
        assert first == second and first[0] != threading.get_ident()
    finally:
        runner.close()


def test_a_slow_coroutine_times_out_naming_what_was_awaited() -> None:
    runner = LoopThread()
    try:
        with pytest.raises(TimeoutError, match=r"Then the run ends did not finish within 0.2 s"):
            runner.run(asyncio.sleep(5), 0.2, "Then the run ends")
    finally:
        runner.close()


def test_background_tasks_keep_running_between_calls() -> None:
    runner = LoopThread()
    try:
        ticks: list[int] = []

        async def tick() -> None:
            while True:
                ticks.append(1)
                await asyncio.sleep(0.01)

        async def start() -> asyncio.Task[None]:
            return asyncio.create_task(tick())

        task = runner.run(start(), 1)
        seen = len(ticks)
        threading.Event().wait(0.2)
        assert len(ticks) > seen + 5
        runner.loop.call_soon_threadsafe(task.cancel)
    finally:
        runner.close()
