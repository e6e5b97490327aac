"""Webhooks: event → first delivery attempt, and predict latency while deliveries drain.

    python bench/webhooks.py [--events 200] [--queued 1000] [--predicts 300]

1. A real server (embedded default, SQLite) and a real receiver on loopback: ``--events``
   model.deleted events (create + delete a model), one after another; for each, the time from the
   event's ``timestamp`` to the receiver getting the first attempt. Target: p50 ≤ 1 s.
2. A trained model; predict p50 idle, then with ``--queued`` pings queued to a receiver that takes
   200 ms per answer, measured while they drain. Target: no more than 10% slower.
Writes the "webhooks" section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import threading
import time
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))

from _common import Server, percentile, write_section  # noqa: E402


class _Receiver:
    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.arrivals: list[tuple[float, dict]] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                now = time.time()
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with outer.lock:
                    outer.arrivals.append((now, json.loads(body)))
                if outer.delay:
                    time.sleep(outer.delay)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def _tone_samples() -> list[dict[str, str]]:
    from conftest import tone_samples  # tests/conftest.py: separable data made in code

    return tone_samples(20)


def event_to_attempt(http, n: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    receiver = _Receiver(0.0)
    http.post("/v1/webhooks", json={"url": receiver.url, "events": ["model.deleted"]}).raise_for_status()
    for i in range(n):
        handle = f"bench.event-{i}"
        http.post("/v1/models", json={"handle": handle, "task": "classify"}).raise_for_status()
        http.delete(f"/v1/models/{handle}").raise_for_status()
    deadline = time.time() + 120
    while len(receiver.arrivals) < n and time.time() < deadline:
        time.sleep(0.1)
    lags = [arrived - datetime.fromisoformat(body["timestamp"]).timestamp() for arrived, body in receiver.arrivals]
    receiver.close()
    return percentile(lags, 50), percentile(lags, 99)


def _predict_p50(http, handle: str, n: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        http.post(f"/v1/models/{handle}/predict", json={"inputs": ["thanks so much, wonderful"]}).raise_for_status()
        times.append((time.perf_counter() - t0) * 1000)
    return percentile(times, 50)


def predict_under_load(http, queued: int, n: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    handle = "bench.tone"
    http.post("/v1/models", json={"handle": handle, "task": "classify"}).raise_for_status()
    http.post(f"/v1/models/{handle}/samples", json={"samples": _tone_samples()}).raise_for_status()
    http.post(f"/v1/models/{handle}/train", json={"effort": "low"}).raise_for_status()
    while http.get(f"/v1/models/{handle}").json()["state"] != "ready":
        time.sleep(0.2)
    _predict_p50(http, handle, 50)  # warm
    idle = _predict_p50(http, handle, n)
    slow = _Receiver(0.2)
    ep = http.post("/v1/webhooks", json={"url": slow.url, "events": ["run.failed"]}).json()
    for _ in range(queued):
        http.post(f"/v1/webhooks/{ep['id']}/ping").raise_for_status()
    delivered_before = len(slow.arrivals)
    loaded = _predict_p50(http, handle, n)
    delivered_during = len(slow.arrivals) - delivered_before
    slow.close()
    return {"idle": idle, "loaded": loaded, "delivered_during": delivered_during}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=200)
    ap.add_argument("--queued", type=int, default=1000)
    ap.add_argument("--predicts", type=int, default=300)
    args = ap.parse_args()
    with Server(U22A8_WEBHOOKS_ALLOW_PRIVATE="true") as server, server.client() as http:
        p50, p99 = event_to_attempt(http, args.events)
        load = predict_under_load(http, args.queued, args.predicts)
    ratio = load["loaded"] / load["idle"]
    body = f"""## Webhooks: event → first attempt, and predict while deliveries drain
`python bench/webhooks.py` on {date.today().isoformat()}, {platform.machine()}, {os.cpu_count()} cores, embedded default (SQLite), receiver on loopback; load average at the end {os.getloadavg()[0]:.1f}.

| measure | value | target |
|---|---|---|
| event → first delivery attempt, p50 ({args.events} model.deleted events) | {p50 * 1000:.0f} ms | ≤ 1 s |
| event → first delivery attempt, p99 | {p99 * 1000:.0f} ms | |
| predict p50, idle ({args.predicts} calls) | {load['idle']:.2f} ms | |
| predict p50 with {args.queued} pings queued to a 200 ms receiver | {load['loaded']:.2f} ms | ≤ 1.10x idle |
| ratio | {ratio:.2f}x | |
| deliveries made while predict was measured | {load['delivered_during']} | |
"""
    write_section("webhooks", body)
    print(body)


if __name__ == "__main__":
    main()
