"""Control of the embedded stack from other processes: parallel workers share one stack, and still add an
instance or restart one. The runner serves it on 127.0.0.1 under a random path; workers get its URL."""

import json
import secrets
import signal
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, Protocol

import httpx2

from support.stack.embedded_stack import EmbeddedStack
from support.stack.processes import Restart

RESTART_TIMEOUT = 60.0


class StackHandle(Protocol):
    """What journeys may ask of the stack they run on: more instances, or a restart of one."""

    @property
    def instance_urls(self) -> tuple[str, ...]: ...

    def add_instances(self, count: int) -> None: ...

    def restart(self, base_url: str, sig: signal.Signals) -> Restart: ...

    def stop_database(self) -> None: ...

    def start_database(self) -> None: ...

    def sibling_apis(self) -> dict[str, str]: ...

    def start_misbehaving_providers(self) -> None: ...

    def break_export_store(self) -> None: ...

    def mend_export_store(self) -> None: ...


class StackControlServer:
    """Serves one request at a time: one change to the stack at a time."""

    def __init__(self, stack: EmbeddedStack) -> None:
        self.stack = stack
        path = f"/{secrets.token_urlsafe(16)}"
        control = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
                try:
                    answer = control.handle(self.path.removeprefix(path), body)
                    status, payload = 200, json.dumps(answer).encode()
                except Exception as error:
                    status, payload = 500, json.dumps({"error": f"{type(error).__name__}: {error}"}).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{path}"
        # A short poll: shutdown() waits for the loop to notice, half a second by default.
        self.thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), name="stack control", daemon=True
        )

    def handle(self, route: str, body: dict[str, Any]) -> dict[str, Any]:
        if route == "/instances":
            self.stack.add_instances(int(body["count"]))
        elif route == "/restart":
            restart = self.stack.restart(str(body["base_url"]), signal.Signals[str(body["signal"])])
            return {"signalled_at": restart.signalled_at.isoformat(), "exited_at": restart.exited_at.isoformat()}
        elif route == "/database/stop":
            self.stack.stop_database()
        elif route == "/database/start":
            self.stack.start_database()
        elif route == "/exports/break":
            self.stack.break_export_store()
        elif route == "/exports/mend":
            self.stack.mend_export_store()
        elif route == "/misbehaving-providers":
            self.stack.start_misbehaving_providers()
        elif route == "/siblings":
            return {"siblings": self.stack.sibling_apis()}
        elif route != "/describe":
            raise LookupError(f"no such control: {route}")
        return {"instance_urls": list(self.stack.instance_urls)}

    def start(self) -> "StackControlServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class RemoteStack:
    """The runner's embedded stack, seen from a worker."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._urls = tuple(self._call("/describe", {})["instance_urls"])

    def _call(self, route: str, body: dict[str, Any]) -> dict[str, Any]:
        response = httpx2.post(self.url + route, json=body, timeout=RESTART_TIMEOUT)
        answer: dict[str, Any] = response.json()
        if response.status_code != 200:
            raise RuntimeError(f"the stack control at 127.0.0.1 could not {route.strip('/')}: {answer.get('error')}")
        return answer

    @property
    def instance_urls(self) -> tuple[str, ...]:
        return self._urls

    def add_instances(self, count: int) -> None:
        self._urls = tuple(self._call("/instances", {"count": count})["instance_urls"])

    def restart(self, base_url: str, sig: signal.Signals) -> Restart:
        times = self._call("/restart", {"base_url": base_url, "signal": sig.name})
        return Restart(datetime.fromisoformat(times["signalled_at"]), datetime.fromisoformat(times["exited_at"]))

    def stop_database(self) -> None:
        self._call("/database/stop", {})

    def start_database(self) -> None:
        self._call("/database/start", {})

    def break_export_store(self) -> None:
        self._call("/exports/break", {})

    def mend_export_store(self) -> None:
        self._call("/exports/mend", {})

    def start_misbehaving_providers(self) -> None:
        self._call("/misbehaving-providers", {})

    def sibling_apis(self) -> dict[str, str]:
        siblings: dict[str, str] = self._call("/siblings", {})["siblings"]
        return siblings
