"""Predict latency and throughput: in-process (the limit), u22a8 over HTTP (1 and 2 API
processes), and `mlflow models serve` of the same scikit-learn pipeline, in one run.

    python bench/predict_latency.py [--skip-mlflow] [-n 300] [--seconds 5]

Banking77, effort low, trained through the API; the in-process rows load that version's export.
Every HTTP client is a plain keep-alive ``http.client`` connection on loopback that decodes each
answer with orjson (the same client for u22a8 and mlflow, so the client's own cost is alike);
clients and servers share the machine's cores. Concurrent clients are separate processes.
The mlflow peer lives in its own virtualenv (``--mlflow-venv``, default /work/mlflow-venv,
made on first use), never in the project's dependencies.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import httpx
import orjson

from _common import DATA, ROOT, Server, banking77, free_port, percentile, train_model, write_section

ONE = "I still have not received my new card, what should I do?"
HANDLE = "bench.banking77"


class Http:
    """One keep-alive connection: POST JSON, get the decoded answer."""

    def __init__(self, port: int, headers: dict[str, str] | None = None) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"Content-Type": "application/json", **(headers or {})}

    def post(self, path: str, body: Any) -> Any:
        data = orjson.dumps(body)
        try:
            self.conn.request("POST", path, data, self.headers)
            r = self.conn.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # The server closed a connection left idle past its keep-alive (a client waiting for
            # the others to start): open a new one, as any client would.
            self.conn.close()
            self.conn.request("POST", path, data, self.headers)
            r = self.conn.getresponse()
        data = r.read()
        if r.status != 200:
            raise RuntimeError(f"{r.status}: {data[:300]!r}")
        return orjson.loads(data)

    def get(self, path: str) -> bytes:
        self.conn.request("GET", path)
        return self.conn.getresponse().read()

    def server_pid(self) -> int | None:
        """The pid of the u22a8 API process that holds this connection (its /metrics names it)."""
        found = re.search(rb'u22a8_api_process\{[^}]*pid="(\d+)"', self.get("/metrics"))
        return int(found.group(1)) if found else None


# -- what one setup is: how to predict one text and a batch, from a fresh client -------------
class Setup:
    name = ""
    conn: Http | None = None  # the HTTP connection of the last client made, if any

    def client(self) -> tuple[Callable[[], Any], Callable[[list[str]], Any]]:
        raise NotImplementedError


class InProcess(Setup):
    def __init__(self, predictor: Any, name: str = "in-process", reference: bool = False) -> None:
        self.predictor, self.name, self.reference = predictor, name, reference

    def client(self) -> tuple[Callable[[], Any], Callable[[list[str]], Any]]:
        p = self.predictor
        if self.reference:  # the scikit-learn path that served before issue 13
            from u22a8.engine import get_task

            task = get_task(p.task)

            def run(xs: list[str]) -> Any:
                return task.predictions(p.reference_outputs(xs), p.labels or [], p.thresholds, None)

            return (lambda: run([ONE])), run
        return (lambda: p.predict([ONE])), p.predict


class U22a8Http(Setup):
    def __init__(self, name: str, port: int, key: str) -> None:
        self.name, self.port, self.key = name, port, key

    def client(self) -> tuple[Callable[[], Any], Callable[[list[str]], Any]]:
        h = self.conn = Http(self.port, {"Authorization": f"Bearer {self.key}"})
        path = f"/v1/models/{HANDLE}/predict"
        return (lambda: h.post(path, {"inputs": [ONE]})), (lambda xs: h.post(path, {"inputs": xs}))


class MlflowHttp(Setup):
    name = "mlflow serve"

    def __init__(self, port: int) -> None:
        self.port = port

    def client(self) -> tuple[Callable[[], Any], Callable[[list[str]], Any]]:
        h = Http(self.port)

        def run(xs: list[str]) -> Any:
            return h.post("/invocations", {"dataframe_split": {"columns": ["text"], "data": [[x] for x in xs]}})

        return (lambda: run([ONE])), run


# -- measures -------------------------------------------------------------------------------
def _latencies(call: Callable[[], Any], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        call()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _connect(setup: Setup, taken: Any) -> tuple[Callable[[], Any], int | None, int]:
    """A client whose connection is held by an API process no other client of this measure holds.

    Several API processes share one listening socket; the first to wake accepts whatever
    connections are waiting, so two clients connecting at once often land on one process and the
    other idles. A load balancer, or many clients, would spread them: here a client that lands
    on a taken process reconnects (up to 50 times). Returns (call, server pid, reconnects)."""
    single, _ = setup.client()
    if setup.conn is None:
        return single, None, 0
    for again in range(50):
        pid = setup.conn.server_pid()
        with taken.get_lock():
            if pid is None or pid not in taken[:]:
                taken[list(taken[:]).index(0)] = pid or -1
                return single, pid, again
        setup.conn.conn.close()
        single, _ = setup.client()
    return single, setup.conn.server_pid(), 50


def _loop(setup: Setup, seconds: float, start: Any, results: Any, taken: Any, spread: bool) -> None:
    if spread:
        single, pid, again = _connect(setup, taken)
    else:
        single, _ = setup.client()
        pid = setup.conn.server_pid() if setup.conn is not None else None
        again = 0
    for _ in range(20):
        single()
    start.wait()
    done, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        single()
        done += 1
    results.put((done / (time.perf_counter() - t0), pid, again))


def concurrent(setup: Setup, clients: int, seconds: float, spread: bool = False) -> tuple[float, list[int | None], int]:
    """One-text requests per second with ``clients`` client processes at once; the server pid each
    client's connection landed on; how many reconnects spreading them took (``spread``: one
    client per API process, see :func:`_connect`)."""
    ctx = mp.get_context("fork")
    start, results, taken = ctx.Barrier(clients), ctx.Queue(), ctx.Array("i", clients)
    procs = [ctx.Process(target=_loop, args=(setup, seconds, start, results, taken, spread)) for _ in range(clients)]
    for p in procs:
        p.start()
    got = [results.get(timeout=seconds * 20 + 300) for _ in procs]
    for p in procs:
        p.join()
    return sum(g[0] for g in got), [g[1] for g in got], sum(g[2] for g in got)


def measure(setup: Setup, texts: list[str], n: int, batches: int, seconds: float, spread: bool = False) -> dict[str, Any]:
    single, batch = setup.client()
    for _ in range(30):
        single()
    lat = _latencies(single, n)
    batch(texts[:100])
    t0 = time.perf_counter()
    for i in range(batches):
        batch(texts[(i * 100) % (len(texts) - 100):][:100])
    tps = batches * 100 / (time.perf_counter() - t0)
    out: dict[str, Any] = {"p50": percentile(lat, 50), "p99": percentile(lat, 99), "tps": tps}
    out["c1"], _, _ = concurrent(setup, 1, seconds)
    out["c2"], out["c2_pids"], out["c2_reconnects"] = concurrent(setup, 2, seconds, spread)
    print(setup.name, json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in out.items()}), flush=True)
    return out


def paired(a: Setup, b: Setup, texts: list[str], n: int, batches: int, rounds: int = 10) -> dict[str, float]:
    """``a`` and ``b`` in turns, block by block (``rounds`` blocks of each, n / rounds one-text
    calls or batches / rounds batches per block, after a few unrecorded calls), one client each:
    a change of the machine's load (other work on a shared machine) meets both alike, so their
    difference and ratio hold where separate measures, minutes apart, would not. Blocks rather
    than single calls: a server left idle while the other setup works would be measured
    waking up (on a busy machine a woken process waits for a core), not answering. Medians."""
    a1, ab = a.client()
    b1, bb = b.client()
    la: list[float] = []
    lb: list[float] = []
    ta: list[float] = []
    tb: list[float] = []
    per, per_batch = max(1, n // rounds), max(1, batches // rounds)
    chunks = [texts[(i * 100) % (len(texts) - 100):][:100] for i in range(per_batch)]
    for _ in range(rounds):
        for single, many, lat, tim in ((a1, ab, la, ta), (b1, bb, lb, tb)):
            for _ in range(5):
                single()
            lat += _latencies(single, per)
            many(chunks[0])
            for chunk in chunks:
                tim += _latencies(lambda: many(chunk), 1)
    return {"a_p50": percentile(la, 50), "b_p50": percentile(lb, 50),
            "a_batch": percentile(ta, 50), "b_batch": percentile(tb, 50)}


def alternating_concurrency(one: Setup, two: Setup, seconds: float, rounds: int) -> dict[str, float]:
    """1 and 2 clients on one API process and on two, in ``rounds`` interleaved rounds (1p c1, 2p c1,
    1p c2, 2p c2, ...), medians of each: the speed-up of a second process, measured alike."""
    got: dict[str, list[float]] = {"one_c1": [], "two_c1": [], "one_c2": [], "two_c2": []}
    spread = 0
    for _ in range(rounds):
        got["one_c1"].append(concurrent(one, 1, seconds)[0])
        got["two_c1"].append(concurrent(two, 1, seconds)[0])
        got["one_c2"].append(concurrent(one, 2, seconds)[0])
        rate, pids, again = concurrent(two, 2, seconds, spread=True)
        got["two_c2"].append(rate)
        spread += again + (0 if len(set(pids)) == 2 else 1000)
    out = {k: percentile(v, 50) for k, v in got.items()}
    out["reconnects"] = spread
    return out


# -- the mlflow peer ------------------------------------------------------------------------
def mlflow_venv(venv: Path) -> Path:
    if not (venv / "bin" / "mlflow").exists():
        print(f"setting up the mlflow peer venv in {venv} (once)...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "mlflow", "scikit-learn", "skops"],
                       check=True)
    return venv


def start_mlflow(venv: Path) -> tuple[subprocess.Popen[bytes], int, float]:
    model_dir = Path(tempfile.mkdtemp()) / "model"
    subprocess.run([str(venv / "bin" / "python"), str(ROOT / "bench" / "peers" / "mlflow_model.py"),
                    str(DATA / "banking77" / "train.csv"), str(model_dir)], check=True)
    port = free_port()
    # mlflow starts uvicorn through a shell: its venv's bin/ must come first on PATH (PEERS.md).
    env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}"}
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(venv / "bin" / "mlflow"), "models", "serve", "-m", str(model_dir),
                             "--env-manager", "local", "-h", "127.0.0.1", "-p", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ping", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
        if proc.poll() is not None:
            raise RuntimeError("mlflow serve exited")
    return proc, port, time.perf_counter() - t0


def _serving_pids(url: str, want: int) -> set[str]:
    seen: set[str] = set()
    for _ in range(600):
        text = httpx.get(f"{url}/metrics", timeout=30).text
        seen |= set(re.findall(r'u22a8_api_process\{[^}]*pid="(\d+)"', text))
        if len(seen) >= want:
            break
        time.sleep(0.2)
    return seen


def _ping(port: int, n: int) -> float:
    h = Http(port)
    for _ in range(20):
        h.get("/healthz")
    return percentile(_latencies(lambda: h.get("/healthz"), n), 50)


def _echo(port: int) -> None:
    with socket.create_server(("127.0.0.1", port)) as srv:
        conn, _ = srv.accept()
        with conn:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            while data := conn.recv(64):
                conn.sendall(data)


def socket_round_trip(n: int = 2000) -> dict[str, float]:
    """The machine's own floor for any client and server: one byte to another process over
    loopback TCP and back, no HTTP, no Python web stack. Where waking a sleeping process costs
    a millisecond (some VMs), every HTTP figure here carries it twice."""
    port = free_port()
    child = mp.get_context("fork").Process(target=_echo, args=(port,), daemon=True)
    child.start()
    deadline = time.monotonic() + 10
    while True:
        try:
            sock = socket.create_connection(("127.0.0.1", port))
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    times = []
    with sock:
        for i in range(n + 50):
            t0 = time.perf_counter()
            sock.sendall(b"x")
            sock.recv(64)
            if i >= 50:
                times.append((time.perf_counter() - t0) * 1000)
    child.join(5)
    return {q: percentile(times, v) for q, v in (("p10", 10), ("p50", 50), ("p90", 90))}


def asgi_overhead(home: Path, texts: list[str], n: int, batches: int) -> dict[str, float]:
    """The app called in this process, without a socket, its answer decoded as the clients do:
    what u22a8's own HTTP layers add to a predict (middleware, lane, auth, thread hop for a
    batch, encoding, and the client's decoding), unaffected by how the scheduler treats two
    processes ping-ponging over loopback on a busy machine. App and predictor in turns, blocks
    of 10 calls or 2 batches; medians and minimums (the minimum: the cost with no preemption)."""
    import asyncio

    from u22a8.server import create_app
    from u22a8.settings import Settings

    app = create_app(Settings(home=home), with_executor=False)
    platform = app.state.platform
    _, secret = platform.store.keys.create("bench", ["read"], rate_limits="predict=none")  # the model's owner
    path = f"/v1/models/{HANDLE}/predict"

    async def call(body: bytes) -> None:
        sent: list[Any] = []
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
                 "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 5555),
                 "headers": [(b"host", b"127.0.0.1:8000"), (b"authorization", f"Bearer {secret}".encode()),
                             (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]}

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: Any) -> None:
            sent.append(message)

        await app(scope, receive, send)
        assert sent[0]["status"] == 200, sent
        orjson.loads(sent[1]["body"])

    async def timed(body: bytes) -> float:
        t0 = time.perf_counter()
        await call(body)
        return (time.perf_counter() - t0) * 1000

    async def run() -> dict[str, float]:
        one = orjson.dumps({"inputs": [ONE]})
        chunks = [texts[(i * 100) % (len(texts) - 100):][:100] for i in range(2)]
        many = [orjson.dumps({"inputs": c}) for c in chunks]
        for _ in range(50):
            await call(one)
        await call(many[0])
        predictor = platform.predictors.loaded(platform.active_versions.cached(HANDLE))
        lat: list[float] = []
        direct: list[float] = []
        lat_b: list[float] = []
        direct_b: list[float] = []
        for _ in range(max(1, n // 10)):
            for _ in range(10):
                lat.append(await timed(one))
            direct += _latencies(lambda: predictor.predict([ONE]), 10)
        for _ in range(max(1, batches // 2)):
            for body in many:
                lat_b.append(await timed(body))
            for chunk in chunks:
                direct_b += _latencies(lambda: predictor.predict(chunk), 1)
        return {"asgi": percentile(lat, 50), "direct": percentile(direct, 50),
                "asgi_min": min(lat), "direct_min": min(direct),
                "asgi_batch": percentile(lat_b, 50), "direct_batch": percentile(direct_b, 50),
                "asgi_batch_min": min(lat_b), "direct_batch_min": min(direct_b)}

    try:
        return asyncio.run(run())
    finally:
        platform.store.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-mlflow", action="store_true")
    ap.add_argument("--mlflow-venv", type=Path, default=Path(os.environ.get("U22A8_BENCH_MLFLOW_VENV", "/work/mlflow-venv")))
    ap.add_argument("-n", type=int, default=300, help="single-text calls per setup")
    ap.add_argument("--batches", type=int, default=20, help="batches of 100 per setup")
    ap.add_argument("--seconds", type=float, default=5.0, help="per concurrency measure")
    ap.add_argument("--rounds", type=int, default=3,
                    help="interleaved rounds of the 1- vs 2-process concurrency measures")
    ap.add_argument("--home", type=Path, default=None,
                    help="a platform home to reuse: when it holds the trained model, training is skipped")
    args = ap.parse_args()
    load0 = os.getloadavg()
    floor0 = socket_round_trip()
    print("socket round trip", floor0, flush=True)
    train, test = banking77("train"), banking77("test")
    texts = [x["text"] for x in test]
    rows: dict[str, dict[str, float]] = {}
    m = lambda s: measure(s, texts, args.n, args.batches, args.seconds)  # noqa: E731
    # Predict calls without a per-key limit: the default (6,000/minute) would cut the run short.
    with Server(workers=1, home=args.home, key_limits="predict=none") as server, server.client() as http:
        home = server.home
        existing = http.get(f"/v1/models/{HANDLE}")
        if existing.status_code == 200 and existing.json()["state"] == "ready":
            trained = {"wall_seconds": float("nan")}  # trained by an earlier run in this home
        else:
            trained = train_model(http, HANDLE, train, "low")
        export = http.get(f"/v1/models/{HANDLE}/versions/1/export").content
        from threadpoolctl import threadpool_limits

        from u22a8.engine.bundle import load_bundle

        threadpool_limits(limits=1, user_api="blas")  # as the API process does (service.limit_inference_threads)
        predictor, _ = load_bundle(export)
        members = [f"{m.head.__class__.__name__}({getattr(m.head, 'family', 'knn')})" for m in predictor.members]
        rows["in-process"] = m(InProcess(predictor))
        rows["in-process, reference path"] = measure(InProcess(predictor, "in-process, reference path", True),
                                                     texts, max(50, args.n // 3), max(5, args.batches // 4), args.seconds)
        one = U22a8Http("u22a8 HTTP, 1 process", server.port, server.key)
        rows["u22a8 HTTP, 1 process"] = m(one)
        rows["u22a8 HTTP, 1 process"]["ping"] = _ping(server.port, args.n)
        pair = paired(InProcess(predictor), one, texts, args.n, args.batches)
        print("paired", pair, flush=True)
        # The same home and version, served by two API processes (`serve --workers 2`) beside the
        # first server (API only: the first one's executor stays the only one), so that the two
        # can be measured in turns.
        with Server(workers=2, home=home, key_limits="predict=none", args=("--no-executor",)) as server2:
            pids = _serving_pids(server2.url, 2)
            two = U22a8Http("u22a8 HTTP, 2 processes", server2.port, server2.key)
            rows["u22a8 HTTP, 2 processes"] = measure(two, texts, args.n, args.batches, args.seconds, spread=True)
            rows["u22a8 HTTP, 2 processes"]["ping"] = _ping(server2.port, args.n)
            turns = alternating_concurrency(one, two, args.seconds, args.rounds)
            print("alternating", turns, flush=True)
        ml_pair: dict[str, float] | None = None
        if not args.skip_mlflow:
            venv = mlflow_venv(args.mlflow_venv)
            proc, port, start = start_mlflow(venv)
            try:
                got = Http(port).post("/invocations", {"dataframe_split": {"columns": ["text"], "data": [[ONE]]}})
                assert got["predictions"][0] == "card_arrival", got
                rows["mlflow serve"] = m(MlflowHttp(port))
                rows["mlflow serve"]["ping"] = percentile(_latencies(lambda: httpx.get(f"http://127.0.0.1:{port}/ping"), 50), 50)
                rows["mlflow serve"]["start"] = start
                ml_pair = paired(one, MlflowHttp(port), texts, args.n, args.batches)
                print("paired with mlflow", ml_pair, flush=True)
            finally:
                proc.terminate()
                proc.wait(30)
    overhead = asgi_overhead(home, texts, args.n, args.batches)
    print("asgi", overhead, flush=True)
    load = os.getloadavg()
    floor1 = socket_round_trip()
    print("socket round trip", floor1, flush=True)
    u, ip, u2 = rows["u22a8 HTTP, 1 process"], rows["in-process"], rows["u22a8 HTTP, 2 processes"]
    lines = [
        "## Predict latency: in-process vs u22a8 over HTTP vs mlflow serve (Banking77, effort low)",
        f"`python bench/predict_latency.py -n {args.n} --batches {args.batches} --seconds {args.seconds:g} "
        f"--rounds {args.rounds}{' --skip-mlflow' if args.skip_mlflow else ''}` on "
        f"{time.strftime('%Y-%m-%d %H:%M')} UTC; the version's members: {', '.join(members)}. One keep-alive "
        f"`http.client` connection per client on loopback (answers decoded with orjson, the same client for u22a8 and "
        f"mlflow); concurrent clients are processes, and clients and servers share the machine's "
        f"{os.cpu_count()} cores. Load average (1 / 5 / 15 min) {load0[0]:.2f} / {load0[1]:.2f} / {load0[2]:.2f} "
        f"at the start, {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} at the end. The machine's own round trip "
        f"(one byte to another process over loopback TCP and back, no HTTP; p10 / p50 / p90): "
        f"{floor0['p10']:.3f} / {floor0['p50']:.3f} / {floor0['p90']:.3f} ms at the start, "
        f"{floor1['p10']:.3f} / {floor1['p50']:.3f} / {floor1['p90']:.3f} ms at the end.",
        "",
        "| setup | 1 text p50 | 1 text p99 | batches of 100 | 1 client, 1-text req/s | 2 clients, 1-text req/s | bare round trip p50 |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        ping = f"{r['ping']:.2f} ms" if "ping" in r else "–"
        lines.append(f"| {name} | {r['p50']:.2f} ms | {r['p99']:.2f} ms | {r['tps']:,.0f} texts/s | {r['c1']:,.0f} | "
                     f"{r['c2']:,.0f} | {ping} |")
    lines += ["", "Ratios (same run; \"in turns\": the two setups measured alternately in 10 blocks each (a few "
              "unrecorded calls, then n/10 one-text calls and batches/10 batches per block), medians, so that a change "
              "of the machine's load meets both alike; the table's rows were measured one after another):",
              "",
              f"- lean path: in-process p50 {ip['p50']:.2f} ms vs {rows['in-process, reference path']['p50']:.2f} ms "
              f"through scikit-learn/scipy.sparse ({rows['in-process, reference path']['p50'] / ip['p50']:.1f}x); "
              f"target ≤ 0.5 ms",
              f"- one text, in turns: u22a8 HTTP p50 {pair['b_p50']:.3f} ms vs in-process {pair['a_p50']:.3f} ms: "
              f"{pair['b_p50'] - pair['a_p50']:+.3f} ms (target ≤ +0.7 ms); from the table's rows: "
              f"{u['p50'] - ip['p50']:+.2f} ms",
              f"- batches of 100, in turns: {pair['b_batch']:.2f} ms per batch over HTTP vs {pair['a_batch']:.2f} ms "
              f"in-process: {pair['a_batch'] / pair['b_batch']:.2f}x of in-process throughput (target ≥ 0.9x); from the "
              f"table's rows: {u['tps'] / ip['tps']:.2f}x",
              f"- u22a8's own HTTP layers, the app called in this process without a socket and its answer decoded as "
              f"the clients do, in turns with the predictor alone: one text {overhead['asgi']:.3f} ms p50 vs "
              f"{overhead['direct']:.3f} ms ({overhead['asgi'] - overhead['direct']:+.3f} ms; minimums "
              f"{overhead['asgi_min']:.3f} vs {overhead['direct_min']:.3f} ms, "
              f"{overhead['asgi_min'] - overhead['direct_min']:+.3f} ms); batches of 100 {overhead['asgi_batch']:.2f} "
              f"vs {overhead['direct_batch']:.2f} ms p50 ({overhead['direct_batch'] / overhead['asgi_batch']:.2f}x; "
              f"minimums {overhead['asgi_batch_min']:.2f} vs {overhead['direct_batch_min']:.2f} ms, "
              f"{overhead['direct_batch_min'] / overhead['asgi_batch_min']:.2f}x)",
              f"- two API processes (`serve --workers 2`, {len(pids)} seen answering), {args.rounds} rounds in turns "
              f"with one process, medians: 2 clients {turns['two_c2']:,.0f} req/s vs {turns['one_c2']:,.0f} "
              f"({turns['two_c2'] / turns['one_c2']:.2f}x); 1 client {turns['two_c1']:,.0f} vs {turns['one_c1']:,.0f} "
              f"({turns['two_c1'] / turns['one_c1']:.2f}x). The two clients' connections were held by "
              f"{len(set(u2['c2_pids']))} distinct API processes in the table's row "
              f"({int(turns['reconnects']) % 1000} reconnects in all to spread them, {int(turns['reconnects']) // 1000} "
              f"rounds where they could not be: the processes share one listening socket and the first to wake "
              f"accepts what is waiting)"]
    if "mlflow serve" in rows and ml_pair is not None:
        ml = rows["mlflow serve"]
        lines += [f"- mlflow serve vs u22a8 HTTP, in turns: p50 {ml_pair['b_p50']:.2f} ms vs {ml_pair['a_p50']:.2f} ms "
                  f"({ml_pair['b_p50'] / ml_pair['a_p50']:.2f}x, target ≥ 2.4x; table: {ml['p50'] / u['p50']:.2f}x); "
                  f"batches of 100: {ml_pair['b_batch']:.2f} ms vs {ml_pair['a_batch']:.2f} ms per batch "
                  f"(u22a8 {ml_pair['b_batch'] / ml_pair['a_batch']:.2f}x mlflow's throughput); mlflow start to first "
                  f"answer {ml['start']:.1f} s",
                  "- not like for like on batches: u22a8 answers each text with its label, confidence and all 77 "
                  "calibrated scores (about 2.9 KB of JSON); mlflow answers the label alone"]
    if trained["wall_seconds"] == trained["wall_seconds"]:
        lines.append(f"- train time for this model (POST /train → ready, shared machine): {trained['wall_seconds']:.1f} s")
    text = "\n".join(lines)
    print(text)
    write_section("predict-latency", text)
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
