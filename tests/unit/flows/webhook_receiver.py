"""A local HTTP server standing in for a webhook: it keeps every JSON body POSTed to it, in order.

``answer`` chooses what it does: ``ok`` (200), ``fail`` (500), or ``hang`` (reads the body, then
never answers until the receiver is closed); ``hang_on`` limits hanging to some events, and
``on_receive`` is called with each body as it arrives.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    at: float  # time.monotonic() when the body was read
    path: str
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class Receiver:
    answer: str = "ok"
    hang_on: tuple[str, ...] = ()  # with answer="hang": only these events hang (all when empty)
    on_receive: Callable[[dict[str, Any]], None] | None = None
    received: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _closing: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/hook"

    @property
    def events(self) -> list[str]:
        return [r.body.get("event", r.body.get("text", "")) for r in self.received]

    def __enter__(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                receiver.received.append(Received(time.monotonic(), self.path, body, dict(self.headers)))
                if receiver.on_receive is not None:
                    receiver.on_receive(body)
                if receiver.hangs_on(body):
                    receiver._closing.wait(120)
                    return
                self.send_response(500 if receiver.answer == "fail" else 200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def hangs_on(self, body: dict[str, Any]) -> bool:
        return self.answer == "hang" and (not self.hang_on or body.get("event") in self.hang_on)

    def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return list(self.received)
