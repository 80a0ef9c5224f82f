"""One asyncio loop for the whole run, in a background thread.

Sync steps submit coroutines with a timeout; sockets keep answering pings between steps.
"""

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="acceptance-loop", daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float, what: str = "step") -> T:
        """Run a coroutine on the loop; raise TimeoutError naming `what` if it takes longer than `timeout`."""

        async def bounded() -> T:
            try:
                return await asyncio.wait_for(coroutine, timeout)
            except TimeoutError:
                raise TimeoutError(f"{what} did not finish within {timeout:g} s") from None

        future = asyncio.run_coroutine_threadsafe(bounded(), self.loop)
        try:
            return future.result(timeout + 5)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"{what} did not finish within {timeout:g} s (event loop unresponsive)") from None

    def close(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self.loop.close()
