"""A real webhook receiver on loopback: records every request, answers what the test scripts."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    at: float
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    # Statuses to answer in turn; once used up, ``default_status``.
    script: list[int] = field(default_factory=list)
    default_status: int = 200
    delay: float = 0.0
    redirect_to: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def of_type(self, event_type: str) -> list[Received]:
        import json

        with self.lock:
            return [r for r in self.received if json.loads(r.body)["type"] == event_type]


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
            rec = state["r"]
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            with rec.lock:
                rec.received.append(Received(time.monotonic(), self.path, {k.lower(): v for k, v in self.headers.items()},
                                             body))
                status = rec.script.pop(0) if rec.script else rec.default_status
            if rec.delay:
                time.sleep(rec.delay)
            if rec.redirect_to:
                self.send_response(307)
                self.send_header("Location", rec.redirect_to)
            else:
                self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state["r"] = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hook")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["r"]
    finally:
        server.shutdown()
        server.server_close()
