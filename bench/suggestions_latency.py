"""How fast suggestions are served: cold (a new version scores the pool), warm (cached), after a label.

A real ``u22a8 serve`` (embedded SQLite), Banking77: 1,000 labeled train texts (stratified,
seed 0) trained at effort low, the other 9,003 train texts in the pool. Measured over HTTP on
loopback with one keep-alive client, beside a one-text predict on the same server as the
baseline of "what a cheap request costs here".

    python bench/suggestions_latency.py
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Server, banking77, percentile, write_section  # noqa: E402
from active_learning import stratified_start  # noqa: E402

HANDLE = "bench.suggest"


def timed(call) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    r = call()
    r.raise_for_status()
    return (time.perf_counter() - t0) * 1000


def main() -> None:
    train = banking77("train")
    start = set(stratified_start([r["label"] for r in train], 1000, 0))
    labeled = [train[i] for i in sorted(start)]
    pool = [train[i]["text"] for i in range(len(train)) if i not in start]
    with Server(U22A8_DEFAULT_QUIET_SECONDS="3600") as server, server.client() as http:
        http.post("/v1/models", json={"handle": HANDLE, "task": "classify", "auto_retrain": False}).raise_for_status()
        http.post(f"/v1/models/{HANDLE}/samples", json={"samples": labeled}).raise_for_status()
        http.post(f"/v1/models/{HANDLE}/train", json={"effort": "low"}).raise_for_status()
        while http.get(f"/v1/models/{HANDLE}").json()["state"] != "ready":
            time.sleep(0.5)
        t0 = time.perf_counter()
        http.post(f"/v1/models/{HANDLE}/pool", json={"texts": pool}).raise_for_status()
        add_ms = (time.perf_counter() - t0) * 1000
        url = f"/v1/models/{HANDLE}/suggestions"
        cold = timed(lambda: http.get(url, params={"limit": 50}))
        warm = [timed(lambda: http.get(url, params={"limit": 50})) for _ in range(200)]
        predict = [timed(lambda: http.post(f"/v1/models/{HANDLE}/predict", json={"inputs": ["where is my card?"]}))
                   for _ in range(200)]
        after_label = []
        for _ in range(10):
            top = http.get(url, params={"limit": 1}).json()["items"][0]
            http.post(f"/v1/models/{HANDLE}/samples",
                      json={"samples": [{"text": top["text"], "label": top["guess"]["label"]}]}).raise_for_status()
            after_label.append(timed(lambda: http.get(url, params={"limit": 50})))
        new_text = [0.0]
        http.post(f"/v1/models/{HANDLE}/pool", json={"texts": ["a brand new text about my card and a refund"]})
        new_text[0] = timed(lambda: http.get(url, params={"limit": 50}))

    p50 = statistics.median(warm)
    rows = [
        ("add 9,003 texts to the pool (one JSON request)", f"{add_ms:.0f} ms", ""),
        ("first suggestions after the version (scores the pool)", f"{cold:.0f} ms", "once per version"),
        ("suggestions, cached: p50", f"{p50:.1f} ms", "milliseconds"),
        ("suggestions, cached: p99", f"{percentile(warm, 99):.1f} ms", ""),
        ("one-text predict on the same server: p50 (baseline)", f"{statistics.median(predict):.1f} ms", ""),
        ("cached suggestions / predict, p50", f"{p50 / statistics.median(predict):.2f}x", ""),
        ("suggestions right after labeling one (text left the pool): p50 of 10",
         f"{statistics.median(after_label):.1f} ms", ""),
        ("suggestions right after adding one pool text (scored alone)", f"{new_text[0]:.1f} ms", ""),
    ]
    lines = [
        "## Suggestions latency (`bench/suggestions_latency.py`)",
        f"`python bench/suggestions_latency.py` on {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
        f"{os.cpu_count()} cores shared with other jobs (load average at the end {os.getloadavg()[0]:.1f}); "
        "a real `u22a8 serve` (SQLite), one keep-alive client on loopback. Banking77: 1,000 labeled texts "
        "(effort low), the other 9,003 train texts in the pool, `limit=50`.",
        "",
        "| measure | value | target |",
        "|---|---|---|",
        *[f"| {a} | {b} | {c} |" for a, b, c in rows],
        "",
        "Absolute times follow the machine's load (a one-text predict takes about 5 ms on an idle run of "
        "`bench/predict_latency.py`); the ratio to predict, measured in the same run, is the figure to compare.",
    ]
    text = "\n".join(lines)
    print(text)
    if "--no-write" not in sys.argv:
        write_section("suggestions-latency", text)


if __name__ == "__main__":
    main()
