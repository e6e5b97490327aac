"""Webhooks: event → first delivery attempt, and predict latency while deliveries drain.

    python bench/webhooks.py [--events 200] [--queued 1000] [--rounds 20] [--block 40]
                             [--baseline-src PATH]

1. A real server (embedded default, SQLite) and a real receiver on loopback: ``--events``
   model.deleted events (create + delete a model), one after another; for each, the time from the
   event's ``timestamp`` to the receiver getting the first attempt. Target: p50 ≤ 1 s.
2. A trained model and ``--queued`` pings queued to a receiver that takes 200 ms per answer (in a
   process of its own, so that its threads do not share the measuring client's GIL). Predict is
   timed in alternating blocks of ``--block`` calls, ``--rounds`` times: idle (the endpoint
   disabled, nothing in flight) then loaded (enabled, deliveries draining). Alternating blocks in
   one run keep a machine shared with other work from moving the baseline between the two.
   Target: loaded p50 no more than 10% above idle p50.
3. Where the cost is paid: CPU seconds of the serving process, and of its child processes, over
   a few seconds of draining with no predicts, minus the same window with the endpoint disabled;
   per delivery made.
``--baseline-src`` runs 2 and 3 again against another checkout's ``src`` (e.g. the code before a
change), in the same run. Writes the "webhooks" section of bench/RESULTS.md.
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


def _predict_times(http, handle: str, n: int) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        http.post(f"/v1/models/{handle}/predict", json={"inputs": ["thanks so much, wonderful"]}).raise_for_status()
        times.append((time.perf_counter() - t0) * 1000)
    return times


def _slow_receiver(delay: float, port, count) -> None:  # type: ignore[no-untyped-def]
    """A receiver process: answers 200 after ``delay``, counts what it got in ``count``."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("content-length", "0")))
            with count.get_lock():
                count.value += 1
            time.sleep(delay)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 128
    port.value = server.server_address[1]
    server.serve_forever()


def _cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for task in os.listdir(f"/proc/{p}/task"):
            try:
                kids = open(f"/proc/{p}/task/{task}/children").read().split()
            except OSError:
                continue
            for k in kids:
                out.append(int(k))
                todo.append(int(k))
    return out


def _cpu(pid: int) -> tuple[float, float]:
    """CPU seconds so far of the process itself and of its descendants together."""
    own, kids = _cpu_seconds(pid), 0.0
    for k in _descendants(pid):
        try:
            kids += _cpu_seconds(k)
        except OSError:
            pass
    return own, kids


def predict_under_load(server: Server, http, queued: int, rounds: int, block: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    import multiprocessing

    from u22a8.settings import Settings
    from u22a8.store import Store

    handle = "bench.tone"
    http.post("/v1/models", json={"handle": handle, "task": "classify"}).raise_for_status()
    http.post(f"/v1/models/{handle}/samples", json={"samples": _tone_samples()}).raise_for_status()
    http.post(f"/v1/models/{handle}/train", json={"effort": "low"}).raise_for_status()
    while http.get(f"/v1/models/{handle}").json()["state"] != "ready":
        time.sleep(0.2)
    _predict_times(http, handle, 50)  # warm
    ctx = multiprocessing.get_context("spawn")
    port, count = ctx.Value("i", 0), ctx.Value("i", 0)
    receiver = ctx.Process(target=_slow_receiver, args=(0.2, port, count), daemon=True)
    receiver.start()
    while not port.value:
        time.sleep(0.05)
    ep = http.post("/v1/webhooks", json={"url": f"http://127.0.0.1:{port.value}/hook", "events": ["run.failed"]}).json()

    def enabled(on: bool) -> None:
        http.patch(f"/v1/webhooks/{ep['id']}", json={"enabled": on}).raise_for_status()
        time.sleep(0.4)  # disabled: what was in flight (200 ms) has ended; enabled: sending again

    enabled(False)
    # Queued straight into the store while the endpoint is disabled, so that none drains before
    # the measurement starts (the API refuses a ping to a disabled endpoint).
    s = Settings(home=server.home, database_url=server.env.get("U22A8_DATABASE_URL"))
    store = Store(s.resolved_database_url, s.resolved_artifacts)
    for _ in range(queued):
        store.webhooks.add_ping(ep["id"], "bench")
    idle: list[float] = []
    loaded: list[float] = []
    during = 0
    for _ in range(rounds):
        idle += _predict_times(http, handle, block)
        enabled(True)
        before = count.value
        loaded += _predict_times(http, handle, block)
        during += count.value - before
        enabled(False)
    # Where the cost is paid: a window of draining, and the same window disabled, no predicts.
    assert server.proc is not None
    pid = server.proc.pid
    window = 4.0
    own0, kids0 = _cpu(pid)
    time.sleep(window)
    own1, kids1 = _cpu(pid)
    enabled(True)
    sent0 = count.value
    own2, kids2 = _cpu(pid)
    time.sleep(window)
    own3, kids3 = _cpu(pid)
    sent = count.value - sent0
    enabled(False)
    left = store.webhooks.pending_count()
    store.close()
    receiver.terminate()
    per = max(sent, 1)
    return {"idle": percentile(idle, 50), "loaded": percentile(loaded, 50), "idle_p90": percentile(idle, 90),
            "loaded_p90": percentile(loaded, 90), "delivered_during": during,
            "server_cpu_ms_per_delivery": ((own3 - own2) - (own1 - own0)) * 1000 / per,
            "children_cpu_ms_per_delivery": ((kids3 - kids2) - (kids1 - kids0)) * 1000 / per,
            "drain_window_deliveries": sent, "pending_at_end": left}


def _phase2(args: argparse.Namespace, src: str | None) -> dict[str, float]:
    env = {"U22A8_WEBHOOKS_ALLOW_PRIVATE": "true"}
    saved = os.environ.get("PYTHONPATH")
    if src:
        os.environ["PYTHONPATH"] = src  # the server subprocess runs that tree's code
    try:
        # The baseline predates `serve --workers` and serves in one process by default.
        with Server(workers=None if src else 1, **env) as server, server.client() as http:
            return predict_under_load(server, http, args.queued, args.rounds, args.block)
    finally:
        if src:
            if saved is None:
                os.environ.pop("PYTHONPATH", None)
            else:
                os.environ["PYTHONPATH"] = saved


def _rows(label: str, load: dict[str, float], args: argparse.Namespace) -> str:
    ratio = load["loaded"] / load["idle"]
    return (f"| {label} | {load['idle']:.2f} ms | {load['loaded']:.2f} ms | **{ratio:.2f}x** | "
            f"{load['idle_p90']:.2f} / {load['loaded_p90']:.2f} ms | {load['delivered_during']:.0f} | "
            f"{load['server_cpu_ms_per_delivery']:.2f} ms | {load['children_cpu_ms_per_delivery']:.2f} ms |\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=200)
    ap.add_argument("--queued", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--block", type=int, default=40)
    ap.add_argument("--baseline-src", default=None, help="another checkout's src/ to measure 2 and 3 against")
    args = ap.parse_args()
    with Server(U22A8_WEBHOOKS_ALLOW_PRIVATE="true") as server, server.client() as http:
        p50, p99 = event_to_attempt(http, args.events)
    load = _phase2(args, None)
    base = _phase2(args, args.baseline_src) if args.baseline_src else None
    cmd = "python bench/webhooks.py" + (f" --baseline-src {args.baseline_src}" if args.baseline_src else "")
    table = _rows("this tree", load, args) + (_rows(f"baseline ({args.baseline_src})", base, args) if base else "")
    body = f"""## Webhooks: event → first attempt, and predict while deliveries drain
`{cmd}` on {date.today().isoformat()}, {platform.machine()}, {os.cpu_count()} cores, embedded default (SQLite), receivers on loopback; the machine was shared with other work (load average at the end {os.getloadavg()[0]:.1f}).

| measure | value | target |
|---|---|---|
| event → first delivery attempt, p50 ({args.events} model.deleted events) | {p50 * 1000:.0f} ms | ≤ 1 s |
| event → first delivery attempt, p99 | {p99 * 1000:.0f} ms | |

Predict p50 while {args.queued} queued pings drain to a receiver that answers in 200 ms (its own process): {args.rounds} alternating blocks of {args.block} calls idle (endpoint disabled) and loaded (enabled). Target: loaded ≤ 1.10x idle. CPU per delivery: over {4:.0f} s of draining with no predicts, minus the same window idle.

| code | idle p50 | loaded p50 | ratio | p90 idle / loaded | deliveries in loaded blocks | serving process CPU per delivery | child processes CPU per delivery |
|---|---|---|---|---|---|---|---|
{table}"""
    write_section("webhooks", body)
    print(body)


if __name__ == "__main__":
    main()
