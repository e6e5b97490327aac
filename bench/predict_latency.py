"""Predict over HTTP against the same pipeline in-process and against `mlflow models serve`.

    python bench/predict_latency.py [--skip-mlflow]

One keep-alive client on loopback; client and server share the machine's cores. Also measures
predict latency while a parameter search runs in the background (target: within 2x of idle).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import httpx

from _common import DATA, ROOT, Server, banking77, free_port, percentile, train_model, write_section

PEER_VENV = ROOT / "bench" / ".peers" / "mlflow-venv"
ONE = "I still have not received my new card, what should I do?"


def _latencies(call: Callable[[], Any], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        call()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _throughput(call: Callable[[list[str]], Any], texts: list[str], batches: int) -> float:
    t0 = time.perf_counter()
    for i in range(batches):
        call(texts[(i * 100) % (len(texts) - 100):][:100])
    return batches * 100 / (time.perf_counter() - t0)


def _measure(single: Callable[[], Any], batch: Callable[[list[str]], Any], texts: list[str], n: int) -> dict[str, float]:
    for _ in range(20):
        single()
    lat = _latencies(single, n)
    return {"p50": percentile(lat, 50), "p99": percentile(lat, 99), "tps": _throughput(batch, texts, 40)}


def _mlflow_peer(texts: list[str], n: int) -> dict[str, float] | None:
    py = PEER_VENV / "bin" / "python"
    if not py.exists():
        print("setting up the mlflow peer venv (once)...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "mlflow", "scikit-learn", "skops"], check=True)
    model_dir = Path(tempfile.mkdtemp()) / "model"
    subprocess.run([str(py), str(ROOT / "bench" / "peers" / "mlflow_model.py"), str(DATA / "banking77" / "train.csv"),
                    str(model_dir)], check=True)
    port = free_port()
    env = {**os.environ, "PATH": f"{PEER_VENV / 'bin'}:{os.environ['PATH']}"}
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(PEER_VENV / "bin" / "mlflow"), "models", "serve", "-m", str(model_dir),
                             "--env-manager", "local", "-h", "127.0.0.1", "-p", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            def body(xs: list[str]) -> dict[str, Any]:
                return {"dataframe_split": {"columns": ["text"], "data": [[x] for x in xs]}}

            while True:
                try:
                    if http.get("/ping").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            start = time.perf_counter() - t0
            got = http.post("/invocations", json=body([ONE])).json()
            assert got["predictions"][0] == "card_arrival", got
            res = _measure(lambda: http.post("/invocations", json=body([ONE])),
                           lambda xs: http.post("/invocations", json=body(xs)), texts, n)
            res["ping"] = percentile(_latencies(lambda: http.get("/ping"), n), 50)
            res["start"] = start
            return res
    finally:
        proc.terminate()
        proc.wait(20)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-mlflow", action="store_true")
    ap.add_argument("-n", type=int, default=500)
    args = ap.parse_args()
    train, test = banking77("train"), banking77("test")
    texts = [x["text"] for x in test]
    rows: dict[str, dict[str, float]] = {}
    with Server() as server, server.client() as http:
        trained = train_model(http, "bench.banking77", train, "low")
        H = "/v1/models/bench.banking77"
        export = http.get(f"{H}/versions/1/export").content
        from u22a8.engine.bundle import load_bundle

        predictor, _ = load_bundle(export)
        rows["in-process"] = _measure(lambda: predictor.predict([ONE]), lambda xs: predictor.predict(xs), texts, args.n)
        rows["u22a8 HTTP"] = _measure(lambda: http.post(f"{H}/predict", json={"inputs": [ONE]}),
                                      lambda xs: http.post(f"{H}/predict", json={"inputs": xs}), texts, args.n)
        rows["u22a8 HTTP"]["ping"] = percentile(_latencies(lambda: http.get("/healthz"), args.n), 50)
        # Same measure while a medium search on 10k samples runs in a worker process.
        run_id = http.post(f"{H}/train", json={"effort": "medium", "reoptimize_params": True}).json()["run_id"]
        while http.get(f"{H}/runs/{run_id}").json()["state"] != "running":
            time.sleep(0.2)
        time.sleep(3)
        busy = _measure(lambda: http.post(f"{H}/predict", json={"inputs": [ONE]}),
                        lambda xs: http.post(f"{H}/predict", json={"inputs": xs}), texts, args.n)
        still_running = http.get(f"{H}/runs/{run_id}").json()["state"] == "running"
        http.post(f"{H}/runs/{run_id}/cancel")
        rows["u22a8 HTTP, search running"] = busy
    if not args.skip_mlflow:
        peer = _mlflow_peer(texts, args.n)
        if peer:
            rows["mlflow serve"] = peer
    u, ip = rows["u22a8 HTTP"], rows["in-process"]
    lines = [
        "## Predict latency: u22a8 over HTTP vs in-process vs mlflow serve (Banking77, effort low)",
        f"`python bench/predict_latency.py` on {time.strftime('%Y-%m-%d')}; one keep-alive client on loopback, "
        f"n={args.n} single-text calls, 40 batches of 100; client and server share 2 cores.",
        "",
        "| setup | 1 text p50 | 1 text p99 | batches of 100 | bare round trip p50 |",
        "|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        lines.append(f"| {name} | {r['p50']:.2f} ms | {r['p99']:.2f} ms | {r['tps']:,.0f} texts/s | "
                     f"{r.get('ping', float('nan')):.2f} ms |")
    lines += ["", "Ratios (same run):", "",
              f"- u22a8 HTTP p50 / in-process p50: {u['p50'] / ip['p50']:.2f}x; throughput {u['tps'] / ip['tps']:.2f}x of in-process",
              f"- during a running search / idle, p50: {busy['p50'] / u['p50']:.2f}x, p99: {busy['p99'] / u['p99']:.2f}x "
              f"(target ≤ 2x; search still running at the end: {still_running})"]
    if "mlflow serve" in rows:
        m = rows["mlflow serve"]
        lines += [f"- mlflow p50 / u22a8 p50: {m['p50'] / u['p50']:.2f}x; u22a8 throughput / mlflow: {u['tps'] / m['tps']:.2f}x; "
                  f"mlflow start to first answer {m['start']:.1f} s",
                  "- not like for like on batches: u22a8 answers each text with its label, confidence and all "
                  "77 calibrated scores (about 3 KB of JSON); mlflow answers the label alone"]
    lines.append(f"- train time for this model (POST /train → ready): {trained['wall_seconds']:.1f} s")
    text = "\n".join(lines)
    print(text)
    write_section("predict-latency", text)
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
