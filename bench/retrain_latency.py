"""Automatic retraining: from the POST of 10 new samples to the new version serving.

    python bench/retrain_latency.py [--case low-sparse] [--case low-sparse-cold] [--case low] [--case medium]

Trains Banking77 (10k samples), then posts 10 new samples and measures until predict answers
from the new version. Cases: ``low-sparse`` is low on a server without the static embeddings
(an empty models directory, ``U22A8_PREPARE_MODELS=false``), so the model is n-grams only;
``low`` may add the kNN partner on static embeddings; ``medium`` uses MiniLM. A ``-cold`` case
deletes the model's warm starts before the new samples arrive, so its SVM fits start from zero
as they did before warm starts: the baseline of the same run. Targets: 5 s with sparse models,
10 s with embeddings. Includes the model's quiet period
(U22A8_DEFAULT_QUIET_SECONDS). The server's log (worker phase timings) is printed per case.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

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


def _case(case: str, quiet: str, train: list[dict[str, str]], test: list[dict[str, str]]) -> tuple:
    effort = case.split("-")[0]
    env = {"U22A8_DEFAULT_QUIET_SECONDS": quiet}
    if "-sparse" in case:
        env.update(U22A8_MODELS_DIR=tempfile.mkdtemp(prefix="u22a8-no-models-"), U22A8_PREPARE_MODELS="false")
    with Server(**env) as server, server.client() as http:
        handle = f"bench.retrain-{case}"
        trained = train_model(http, handle, train, effort)
        new = [{"text": x["text"] + " please", "label": x["label"]} for x in test[:10]]
        # A ready model in service: it has answered a prediction, so the API holds its version
        # (before, the API loaded version 1 at the first poll below, on the cores the retrain ran on).
        http.post(f"/v1/models/{handle}/predict", json={"inputs": ["card not arrived"]}).raise_for_status()
        if case.endswith("-cold"):
            from u22a8.settings import Settings

            for path in Settings(home=server.home).resolved_feature_cache_dir.glob("counts/*-warm-*"):
                path.unlink()
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
        report = http.get(f"/v1/models/{handle}/versions/1/report").json()
        notes = (report.get("data") or {}).get("notes") or []
        log = (Path(server.home) / "server.log").read_text(errors="replace")
        print(f"--- {case}: worker lines of the server log\n" +
              "\n".join(line for line in log.splitlines() if " run " in line and " s" in line) +
              (f"\nfirst version's notes: {notes}" if notes else ""))
        newest = max(versions, key=lambda v: v["number"])
        warm = (newest.get("metrics") or {}).get("warm_fits", "–")
        return (case, trained["wall_seconds"], seconds, run["cpu_seconds"], decision or run["decision"],
                _kind(newest["params"]), warm)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", action="append", choices=["low-sparse", "low-sparse-cold", "low", "medium", "medium-cold"])
    ap.add_argument("--quiet", default="1.0")
    args = ap.parse_args()
    train, test = banking77("train"), banking77("test")
    rows = [_case(case, args.quiet, train, test) for case in args.case or ["low-sparse", "low", "medium"]]
    lines = [
        "## Automatic retraining: 10 new samples on a ready 10k-sample model → new version serving",
        f"`python bench/retrain_latency.py` on {time.strftime('%Y-%m-%d')}, quiet period {args.quiet} s included, 2 cores, predict polled at 10 Hz.",
        "",
        "| case (effort of the first train) | model | first train (wall) | sample POST → new version serving | retrain CPU s | warm-started fits | decision |",
        "|---|---|---|---|---|---|---|",
    ]
    for effort, first, seconds, cpu, decision, kind, warm in rows:
        lines.append(f"| {effort} | {kind} | {first:.1f} s | {seconds:.2f} s | {cpu} | {warm} | {decision} |")
    lines += ["", "Targets: ≤ 5 s (sparse: n-grams only) and ≤ 10 s (with embeddings: static or MiniLM). "
              "A `-cold` case is the same retrain with the warm starts deleted first (SVM fits from zero, "
              "as before warm starts): the baseline of the same run."]
    text = "\n".join(lines)
    print(text)
    write_section("retrain-latency", text)


if __name__ == "__main__":
    main()
