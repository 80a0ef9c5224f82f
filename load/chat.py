"""The chat socket for Locust's users: synchronous (websockets.sync.client), since Locust's gevent patches the
standard library and the suite's asyncio layer cannot run inside it. What arrives becomes the suite's own
RunRecord, which the suite's pure checks judge."""

import json
import time
from urllib.parse import urlencode

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from support.clients.run_record import REFUSAL_TYPE, SETTLE_SECONDS, TERMINAL_TYPES, Closed, RunRecord


def chat_url(base_url: str, ticket: str) -> str:
    return base_url.replace("http", "ws", 1).rstrip("/") + "/chat?" + urlencode({"ticket": ticket})


class SyncChat:
    """One open chat: send a frame, then read what arrives until its run ends (or the deadline)."""

    def __init__(self, url: str, timeout: float) -> None:
        self.connection: ClientConnection = connect(url, open_timeout=timeout, max_size=None)

    def send_text(self, text: str) -> float:
        """Send a frame as it is; the monotonic time it went."""
        self.connection.send(text)
        return time.monotonic()

    def ask(self, thread_id: str, question: str) -> float:
        """Ask a question in a chat (hers or not); the monotonic time it went."""
        return self.send_text(json.dumps({"type": "user_message", "thread_id": thread_id, "content": question}))

    def collect(self, question: str, asked_at: float, timeout: float) -> RunRecord:
        """Frames until a terminal event or a refusal (and a moment more, for a stray event), a close, or `timeout`:
        the same reading as the suite's collect_run."""
        record = RunRecord(question, asked_at=asked_at)
        deadline = asked_at + timeout
        while record.closed is None and (left := deadline - time.monotonic()) > 0:
            try:
                frame = json.loads(self.connection.recv(timeout=left))
            except TimeoutError:
                break
            except ConnectionClosed as closed:
                record.closed = Closed(
                    closed.rcvd.code if closed.rcvd else None, closed.rcvd.reason if closed.rcvd else ""
                )
                break
            record.events.append(frame)
            record.arrivals.append(time.monotonic())
            if frame.get("type") in (*TERMINAL_TYPES, REFUSAL_TYPE):
                deadline = min(deadline, time.monotonic() + SETTLE_SECONDS)
        record.waited = time.monotonic() - asked_at
        return record

    def close(self) -> None:
        self.connection.close()


def started_a_run(run: RunRecord) -> bool:
    return "agent_started" in run.types
