"""Automatic retraining: from the POST of 10 new samples to the new version serving.

    python bench/retrain_latency.py [--effort low] [--effort medium]

Trains Banking77 (10k samples) at each effort, then posts 10 new samples and measures until
predict answers from the new version. Targets: 5 s with sparse models (low), 10 s with
embeddings (medium). Includes the model's quiet period (U22A8_DEFAULT_QUIET_SECONDS).
"""

from __future__ import annotations

import argparse
import time

from _common import Server, banking77, train_model, write_section


def _kind(params: dict) -> str:
    """What the retrain had to refit: linear models on n-grams, with MiniLM, kNN partners."""
    parts = []
    for m in params.get("members", []):
        f, family = m["features"], m["model"]["family"]
        if family == "knn":
            parts.append(f"kNN on {f['embed']}")
        else:
            parts.append(f"{family} on n-grams" + (f" ⊕ {f['embed']}" if f.get("embed") else ""))
    return " + ".join(parts)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--effort", action="append")
    ap.add_argument("--quiet", default="1.0")
    args = ap.parse_args()
    efforts = args.effort or ["low", "medium"]
    train, test = banking77("train"), banking77("test")
    rows = []
    with Server(U22A8_DEFAULT_QUIET_SECONDS=args.quiet) as server, server.client() as http:
        for effort in efforts:
            handle = f"bench.retrain-{effort}"
            trained = train_model(http, handle, train, effort)
            new = [{"text": x["text"] + " please", "label": x["label"]} for x in test[:10]]
            t0 = time.perf_counter()
            http.post(f"/v1/models/{handle}/samples", json={"samples": new}).raise_for_status()
            decision = ""
            polls = 0
            while True:
                # Poll gently (10 Hz, the run list once a second): the API shares the 2 cores with
                # the training process, which runs at a lower priority so that predictions stay
                # fast; a client hammering the API would measure its own load.
                p = http.post(f"/v1/models/{handle}/predict", json={"inputs": ["card not arrived"]}).json()
                if p["version"] == 2:
                    break
                polls += 1
                if polls % 10 == 0:
                    runs = http.get(f"/v1/models/{handle}/runs").json()["items"]
                    done = [r for r in runs if r["kind"] == "retrain" and r["state"] in ("succeeded", "failed")]
                    if done and done[0]["version"] is None:
                        decision = done[0]["decision"] or done[0]["error"]
                        break
                time.sleep(0.1)
            seconds = time.perf_counter() - t0
            run = [r for r in http.get(f"/v1/models/{handle}/runs").json()["items"] if r["kind"] == "retrain"][0]
            versions = http.get(f"/v1/models/{handle}/versions").json()
            rows.append((effort, trained["wall_seconds"], seconds, run["cpu_seconds"], decision or run["decision"],
                         _kind(max(versions, key=lambda v: v["number"])["params"])))
    lines = [
        "## Automatic retraining: 10 new samples on a ready 10k-sample model → new version serving",
        f"`python bench/retrain_latency.py` on {time.strftime('%Y-%m-%d')}, quiet period {args.quiet} s included, 2 cores, predict polled at 10 Hz.",
        "",
        "| effort of the first train | model | first train (wall) | sample POST → new version serving | retrain CPU s | decision |",
        "|---|---|---|---|---|---|",
    ]
    for effort, first, seconds, cpu, decision, kind in rows:
        lines.append(f"| {effort} | {kind} | {first:.1f} s | {seconds:.2f} s | {cpu} | {decision} |")
    lines += ["", "Targets: ≤ 5 s (sparse, low) and ≤ 10 s (with embeddings, medium)."]
    text = "\n".join(lines)
    print(text)
    write_section("retrain-latency", text)


if __name__ == "__main__":
    main()
