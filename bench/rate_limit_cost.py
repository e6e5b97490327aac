"""What per-key request limits cost a predict call: p50 with limits on vs off, in one run.

    python bench/rate_limit_cost.py [--calls 3000]

Two real servers from one home each, the same small model trained on both (Banking77's first
2,000 samples at low effort); one counts every predict against a limit it never reaches (memory
counters, the embedded default), the other has every class lifted (``none``). Calls alternate
between the two on keep-alive connections, so load on the machine falls on both alike.
Target: the limits cost at most 0.2 ms at the median.
"""

from __future__ import annotations

import argparse
import time

from _common import Server, banking77, percentile, train_model, write_section

H = "bench.intents"
ONE = "I still have not received my new card, what should I do?"
_OFF = {"U22A8_RATE_LIMIT_PREDICT": "none", "U22A8_RATE_LIMIT_WRITES": "none", "U22A8_RATE_LIMIT_TRAIN": "none"}
_ON = {"U22A8_RATE_LIMIT_PREDICT": "100000000/minute"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=3000)
    args = parser.parse_args()
    samples = banking77("train")[:2000]
    common = {"U22A8_PREPARE_MODELS": "false"}
    with Server(**common, **_ON) as on, Server(**common, **_OFF) as off, on.client() as http_on, off.client() as http_off:
        for http in (http_on, http_off):
            train_model(http, H, samples, "low")
        timings: dict[str, list[float]] = {"on": [], "off": []}
        for _ in range(100):  # warm both: loaded predictors, open connections
            http_on.post(f"/v1/models/{H}/predict", json={"inputs": [ONE]})
            http_off.post(f"/v1/models/{H}/predict", json={"inputs": [ONE]})
        for i in range(2 * args.calls):
            name, http = ("on", http_on) if i % 2 == 0 else ("off", http_off)
            t0 = time.perf_counter()
            http.post(f"/v1/models/{H}/predict", json={"inputs": [ONE]}).raise_for_status()
            timings[name].append((time.perf_counter() - t0) * 1000)
    p50 = {k: percentile(v, 50) for k, v in timings.items()}
    p99 = {k: percentile(v, 99) for k, v in timings.items()}
    cost = p50["on"] - p50["off"]
    body = (
        "## Rate-limit cost (`bench/rate_limit_cost.py`)\n\n"
        f"One predict of one text over HTTP, {args.calls} calls each, alternating between a server counting "
        "every call against a per-key limit (memory counters) and one with limits lifted.\n\n"
        "| limits | p50 ms | p99 ms |\n|---|---|---|\n"
        f"| on | {p50['on']:.3f} | {p99['on']:.3f} |\n| off | {p50['off']:.3f} | {p99['off']:.3f} |\n\n"
        f"Cost at the median: {cost:.3f} ms (target: at most 0.2 ms)."
    )
    print(body)
    write_section("rate-limit-cost", body)


if __name__ == "__main__":
    main()
