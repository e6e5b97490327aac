"""What per-key request limits cost a predict call: p50 with limits on vs off, in one run.

    python bench/rate_limit_cost.py [--calls 3000]

One real server, one small model (Banking77's first 2,000 samples at low effort) and two keys
of the same owner: one counted against a predict limit it never reaches (memory counters, the
embedded default), one carrying its own ``predict=none`` (not counted). Calls alternate between
the two keys on keep-alive connections, so the process, the model and the machine's load are
the same for both. Target: the limits cost at most 0.2 ms at the median.
"""

from __future__ import annotations

import argparse
import time

import httpx

from _common import Server, banking77, percentile, train_model, write_section

H = "bench.intents"
ONE = "I still have not received my new card, what should I do?"
_NEVER_REACHED = {"U22A8_RATE_LIMIT_PREDICT": "100000000/minute"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=3000)
    args = parser.parse_args()
    samples = banking77("train")[:2000]
    with Server(U22A8_PREPARE_MODELS="false", **_NEVER_REACHED) as server, server.client() as http_on:
        train_model(http_on, H, samples, "low")
        uncounted = http_on.post("/v1/keys", json={"scopes": ["read"], "rate_limits": "predict=none"}).json()["key"]
        http_off = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {uncounted}"}, timeout=600)
        timings: dict[str, list[float]] = {"on": [], "off": []}
        for _ in range(100):  # warm both: loaded predictors, open connections
            http_on.post(f"/v1/models/{H}/predict", json={"inputs": [ONE]})
            http_off.post(f"/v1/models/{H}/predict", json={"inputs": [ONE]})
        for i in range(2 * args.calls):
            name, http = ("on", http_on) if i % 2 == 0 else ("off", http_off)
            t0 = time.perf_counter()
            http.post(f"/v1/models/{H}/predict", json={"inputs": [ONE]}).raise_for_status()
            timings[name].append((time.perf_counter() - t0) * 1000)
        http_off.close()
    p50 = {k: percentile(v, 50) for k, v in timings.items()}
    p99 = {k: percentile(v, 99) for k, v in timings.items()}
    cost = p50["on"] - p50["off"]
    body = (
        "## Rate-limit cost (`bench/rate_limit_cost.py`)\n\n"
        f"One predict of one text over HTTP on one server, {args.calls} calls each, alternating between a key "
        "counted against a per-key limit (memory counters) and a key whose limit is lifted.\n\n"
        "| limits | p50 ms | p99 ms |\n|---|---|---|\n"
        f"| on | {p50['on']:.3f} | {p99['on']:.3f} |\n| off | {p50['off']:.3f} | {p99['off']:.3f} |\n\n"
        f"Cost at the median: {cost:.3f} ms (target: at most 0.2 ms)."
    )
    print(body)
    write_section("rate-limit-cost", body)


if __name__ == "__main__":
    main()
