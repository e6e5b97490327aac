"""A million samples per model: ingest rate, effort wall time against its ceiling, memory, accuracy.

    python bench/scale.py [--sizes 100000,300000,1000000] [--efforts low,medium] [--ingest-only] [--retrain]

For each size, a synthetic set is made from Banking77's train.csv by seeded, paraphrase-free
perturbation of its texts (a word dropped, two neighbouring words swapped, a typo: a letter
dropped, doubled or swapped), each text made distinct by a short suffix, labels kept. One real
``u22a8 serve`` per size: the set is uploaded over HTTP in requests of 20,000 samples, half
NDJSON and half CSV; the estimate endpoint is asked; each effort is trained (POST /train →
ready, wall clock) while the resident memory of every process of the server (API, executor,
workers) is summed every 0.2 s; the model then predicts Banking77's test.csv over HTTP.
Figures go to the ``scale`` section of bench/RESULTS.md, one row per size and effort;
``--ingest-only`` uploads and asks for the estimate only, and writes its own ``scale-ingest`` section.
``--database-url`` serves from that database instead of the home's SQLite file (an empty
PostgreSQL database, say: the run adds to it and does not clean up).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import time
from pathlib import Path

from _common import PeakRss, Server, banking77, write_section

_PER_REQUEST = 20_000
_CEILING = {"low": 20.0, "medium": 180.0, "high": 600.0, "max": 1800.0}


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return word[:i] + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i] + word[i:]
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]


def perturb(text: str, rng: random.Random) -> str:
    words = text.split()
    for _ in range(rng.randrange(1, 3)):
        op = rng.randrange(3)
        if op == 0 and len(words) > 3:
            del words[rng.randrange(len(words))]
        elif op == 1 and len(words) > 2:
            i = rng.randrange(len(words) - 1)
            words[i], words[i + 1] = words[i + 1], words[i]
        elif words:
            i = rng.randrange(len(words))
            words[i] = _typo(words[i], rng)
    return " ".join(words)


def synthetic(train: list[dict[str, str]], n: int, seed: int = 0) -> list[dict[str, str]]:
    rng = random.Random(seed)
    out = [dict(x) for x in train[:n]]
    while len(out) < n:
        base = train[rng.randrange(len(train))]
        out.append({"text": f"{perturb(base['text'], rng)} #{len(out)}", "label": base["label"]})
    return out


def _body(items: list[dict[str, str]], kind: str) -> tuple[bytes, str]:
    if kind == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, ["text", "label"])
        w.writeheader()
        w.writerows(items)
        return buf.getvalue().encode(), "text/csv"
    return "\n".join(json.dumps(x) for x in items).encode(), "application/x-ndjson"


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) of one process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ingest(http, pid: int, handle: str, samples: list[dict[str, str]]) -> dict[str, float]:
    """Upload in 20k-sample requests, alternating NDJSON and CSV: samples per wall second (bodies
    are encoded before the clock starts) and per CPU second of the API process, per format. On a
    shared machine the second is the one that says what the code costs."""
    seconds = {"ndjson": 0.0, "csv": 0.0}
    cpu = {"ndjson": 0.0, "csv": 0.0}
    counts = {"ndjson": 0, "csv": 0}
    for i in range(0, len(samples), _PER_REQUEST):
        kind = "ndjson" if (i // _PER_REQUEST) % 2 == 0 else "csv"
        chunk = samples[i : i + _PER_REQUEST]
        body, ctype = _body(chunk, kind)
        c, t = _cpu(pid), time.perf_counter()
        r = http.post(f"/v1/models/{handle}/samples", content=body, headers={"Content-Type": ctype})
        seconds[kind] += time.perf_counter() - t
        cpu[kind] += _cpu(pid) - c
        r.raise_for_status()
        counts[kind] += len(chunk)
    out = {k: counts[k] / seconds[k] for k in seconds if seconds[k]}
    out.update({f"{k}_cpu": counts[k] / cpu[k] for k in cpu if cpu[k]})
    # CPU seconds of the API process per request: what one upload costs a machine it shares.
    out.update({f"{k}_cpu_per_request": cpu[k] / (counts[k] / _PER_REQUEST) for k in cpu if counts[k]})
    return out


def train(http, server: Server, handle: str, effort: str, test: list[dict[str, str]]) -> dict:
    with PeakRss(server.proc.pid) as peak:  # type: ignore[union-attr]
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        run_id = http.post(f"/v1/models/{handle}/train", json={"effort": effort, "reoptimize_params": True}).json()
        run_id = run_id.get("run_id")
        while True:
            run = http.get(f"/v1/models/{handle}/runs/{run_id}").json()
            if run["state"] in ("succeeded", "failed", "canceled"):
                break
            time.sleep(0.2)
        wall = time.perf_counter() - t0
    rss = peak.peak
    if run["state"] != "succeeded":
        raise RuntimeError(f"training failed: {run}")
    version = http.get(f"/v1/models/{handle}/versions/{run['version']}").json()
    report = http.get(f"/v1/models/{handle}/versions/{run['version']}/report").json()
    notes = (report.get("data") or {}).get("notes") or []
    hits = 0
    for i in range(0, len(test), 500):
        batch = test[i : i + 500]
        out = http.post(f"/v1/models/{handle}/predict", json={"inputs": [x["text"] for x in batch]}).json()
        hits += sum(p["label"] == x["label"] for p, x in zip(out["predictions"], batch))
    return {"wall": wall, "rss": rss, "accuracy": hits / len(test), "cpu": run.get("cpu_seconds"), "load": load,
            "trials": run.get("trials_done"), "notes": notes, "n_fit": _trained_on(version, notes)}


def retrain(http, handle: str, version: int) -> dict:
    """Automatic retraining on the large model: 10 new samples (quiet period 1 s) → the new version
    serving, or the guard's decision to keep the old one; wall clock and the run's CPU seconds."""
    http.patch(f"/v1/models/{handle}", json={"auto_retrain": {"enabled": True, "quiet_seconds": 1.0}}).raise_for_status()
    new = [{"text": f"please check my card payment {i} again", "label": "card_payment_not_recognised"} for i in range(10)]
    t0 = time.perf_counter()
    http.post(f"/v1/models/{handle}/samples", json={"samples": new}).raise_for_status()
    while True:
        runs = [r for r in http.get(f"/v1/models/{handle}/runs").json()["items"] if r["kind"] == "retrain"]
        if runs and runs[0]["state"] in ("succeeded", "failed", "canceled"):
            break
        time.sleep(0.2)
    wall = time.perf_counter() - t0
    run = runs[0]
    notes = []
    if run.get("version"):
        notes = (http.get(f"/v1/models/{handle}/versions/{run['version']}/report").json().get("data") or {}).get("notes") or []
    return {"wall": wall, "cpu": run.get("cpu_seconds"), "state": run["state"], "decision": run.get("decision") or run.get("error"),
            "notes": notes, "load": os.getloadavg()[0]}


def _ingest_section(sizes: str, rows: list, backend: str) -> str:
    load = os.getloadavg()
    flag = "" if backend == "sqlite" else " --database-url ..."
    lines = [
        f"### Ingest only: samples per second over HTTP, 20k samples per request ({backend})",
        f"`python bench/scale.py --sizes {sizes} --ingest-only{flag}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"one API process on 2 cores shared with the benchmark's client and other jobs (load average at the end "
        f"{load[0]:.1f}).",
        "",
        "| samples | format | samples per wall s | samples per API-process CPU s | API-process CPU s per 20k request |",
        "|---|---|---|---|---|",
    ]
    for n, _effort, rates, _est, _got in rows:
        for kind in ("ndjson", "csv"):
            if kind in rates:
                lines.append(f"| {n:,} | {kind} | {rates[kind]:,.0f} | {rates[kind + '_cpu']:,.0f} "
                             f"| {rates[kind + '_cpu_per_request']:.2f} |")
    text = "\n".join(lines)
    print(text)
    return text


def _trained_on(version: dict, notes: list[str]) -> str:
    """How many rows the version was fitted on: its params' cap when it was sub-sampled."""
    cap = (version.get("params") or {}).get("max_rows")
    said = next((n.split(" of ")[0].rsplit(" ", 1)[-1] for n in notes if n.startswith("searched and fitted on")), None)
    return said or (f"{cap:,}" if cap else "all")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100000,300000,1000000")
    ap.add_argument("--efforts", default="low,medium")
    ap.add_argument("--ingest-only", action="store_true")
    ap.add_argument("--retrain", action="store_true", help="after the last effort, 10 new samples → automatic retrain")
    ap.add_argument("--database-url", help="serve from this database (default: SQLite in the server's home)")
    args = ap.parse_args()
    train_set, test = banking77("train"), banking77("test")
    rows = []
    retrains: list[tuple[int, dict]] = []
    for n in [int(s) for s in args.sizes.split(",")]:
        samples = synthetic(train_set, n)
        # --retrain adds 10 samples to a full model: the limit (a million by default) makes room.
        room = {"U22A8_MAX_SAMPLES_PER_MODEL": str(max(n + 1000, 1_000_000))} if args.retrain else {}
        if args.database_url:
            room["U22A8_DATABASE_URL"] = args.database_url
        with Server(U22A8_PREPARE_MODELS="false", U22A8_DEFAULT_QUIET_SECONDS="3600", **room) as server, \
                server.client() as http:
            handle = f"bench.scale-{n}"
            http.post("/v1/models", json={"handle": handle, "task": "classify", "auto_retrain": False}).raise_for_status()
            rates = ingest(http, server.proc.pid, handle, samples)  # type: ignore[union-attr]
            estimate = http.get(f"/v1/models/{handle}/train/estimate").json()["efforts"]
            print(f"{n}: ingest {rates}; estimate {estimate}", flush=True)
            for effort in ([] if args.ingest_only else args.efforts.split(",")):
                got = train(http, server, handle, effort, test)
                print(f"{n} {effort}: {got}", flush=True)
                rows.append((n, effort, rates, estimate[effort]["seconds"], got))
            if args.retrain and not args.ingest_only:
                again = retrain(http, handle, 1)
                print(f"{n} retrain: {again}", flush=True)
                retrains.append((n, again))
            if args.ingest_only:
                rows.append((n, "-", rates, None, None))
    if args.ingest_only:
        backend = (args.database_url or "sqlite").split(":", 1)[0].split("+", 1)[0]
        write_section("scale-ingest" if backend == "sqlite" else f"scale-ingest-{backend}",
                      _ingest_section(args.sizes, rows, backend))
        return
    load = os.getloadavg()
    lines = [
        "## Scale: synthetic Banking77 sets of 100k-1M samples (ingest, effort wall time, memory, accuracy)",
        f"`python bench/scale.py --sizes {args.sizes} --efforts {args.efforts}` on {time.strftime('%Y-%m-%d')}, "
        f"2 cores shared with other jobs (load average at the end {load[0]:.1f}): wall times are inflated "
        "by the load; CPU seconds are the run's own.",
        "",
        "| samples | ingest NDJSON / CSV: samples per wall s (per API-process CPU s), 20k per request | effort | ceiling | estimate (÷ actual) | POST /train → ready (load average at POST) | run CPU s | trained on | peak RSS, all server processes | test accuracy |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n, effort, rates, est, got in rows:
        ingest_cell = (f"{rates.get('ndjson', 0):,.0f} ({rates.get('ndjson_cpu', 0):,.0f}) / "
                       f"{rates.get('csv', 0):,.0f} ({rates.get('csv_cpu', 0):,.0f})")
        if got is None:
            lines.append(f"| {n:,} | {ingest_cell} | – | – | – | – | – | – | – | – |")
            continue
        lines.append(f"| {n:,} | {ingest_cell} | {effort} | {_CEILING[effort]:.0f} s | {est:.0f} s ({est / got['wall']:.2f}) "
                     f"| {got['wall']:.1f} s ({got['wall'] / _CEILING[effort]:.0%} of the ceiling; load {got['load']:.1f}) "
                     f"| {got['cpu']} | {got['n_fit']} | "
                     f"{got['rss'] / 2**30:.2f} GiB | {got['accuracy']:.2%} |")
    if retrains:
        lines += ["", "Automatic retrain of the last effort's version: 10 new samples (quiet period 1 s) → run ended",
                  "", "| samples | sample POST → retrain ended (load average at the end) | retrain CPU s | decision | trained on |",
                  "|---|---|---|---|---|"]
        for n, r in retrains:
            said = next((x.split(" of ")[0].rsplit(" ", 1)[-1] for x in r["notes"] if x.startswith("searched and fitted on")), "–")
            lines.append(f"| {n:,} | {r['wall']:.1f} s (load {r['load']:.1f}) | {r['cpu']} | {r['decision']} | {said} |")
    notes = sorted({note for *_, got in rows if got for note in got["notes"]})
    if notes:
        lines += ["", "Notes the runs' reports gave: " + "; ".join(notes)]
    text = "\n".join(lines)
    print(text)
    write_section("scale", text)


if __name__ == "__main__":
    main()
