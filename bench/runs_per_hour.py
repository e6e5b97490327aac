"""Runs per hour with one and with two Celery workers, as a ratio in one run.

    python bench/runs_per_hour.py [--models 6] [--broker redis://127.0.0.1:6379/15]

Needs the local PostgreSQL and Redis (`make services`). Each model gets the same small
dataset and a low-effort search; the measure is wall time from the first POST /train to the
last model ready.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from _common import Server, write_section

PG_ADMIN = os.environ.get("U22A8_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _samples(n: int = 2000) -> list[dict[str, str]]:
    rng = random.Random(0)
    vocab = {lab: [f"{lab}{i}" for i in range(30)] for lab in ("alpha", "beta", "gamma", "delta")}
    common = [f"w{i}" for i in range(200)]
    return [{"text": " ".join(rng.sample(vocab[lab], 3) + rng.sample(common, 8)), "label": lab}
            for lab in vocab for _ in range(n // 4)]


def _train_all(http: httpx.Client, handles: list[str]) -> None:
    for h in handles:
        http.post(f"/v1/models/{h}/train", json={"effort": "low"}).raise_for_status()
    pending = set(handles)
    while pending:
        for h in list(pending):
            if http.get(f"/v1/models/{h}").json()["state"] != "busy":
                pending.discard(h)
        time.sleep(0.2)


def _round(workers: int, models: int, broker: str) -> float:
    db = f"u22a8_bench_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{db}"'))
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + db
    shared = Path(tempfile.mkdtemp(prefix="u22a8-rph-"))
    env = {"U22A8_DATABASE_URL": url, "U22A8_BROKER_URL": broker, "U22A8_ARTIFACTS_DIR": str(shared)}
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with Server(**env) as server, server.client() as http:
            wenv = {**server.env}
            for _ in range(workers):
                procs.append(subprocess.Popen([sys.executable, "-m", "u22a8.cli", "worker"], env=wenv,
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            handles = [f"bench.m{i}" for i in range(models)]
            warm = [f"bench.warm{i}" for i in range(workers)]
            for h in handles + warm:
                http.post("/v1/models", json={"handle": h, "task": "classify"}).raise_for_status()
                http.post(f"/v1/models/{h}/samples", json={"samples": _samples()}).raise_for_status()
            # Warm-up: one run per worker, so start-up (imports in each worker process) is not measured.
            _train_all(http, warm)
            t0 = time.perf_counter()
            _train_all(http, handles)
            return time.perf_counter() - t0
    finally:
        for p in procs:
            p.terminate()
            p.wait(30)
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", type=int, default=6)
    ap.add_argument("--broker", default="redis://127.0.0.1:6379/15")
    args = ap.parse_args()
    one = _round(1, args.models, args.broker)
    two = _round(2, args.models, args.broker)
    rph1, rph2 = args.models / one * 3600, args.models / two * 3600
    text_ = "\n".join([
        "## Scale-out: runs per hour with one and two Celery workers (PostgreSQL + Redis)",
        f"`python bench/runs_per_hour.py --models {args.models}` on {time.strftime('%Y-%m-%d')}, 2 cores shared by "
        "the API, the workers, PostgreSQL and Redis; low-effort searches on 2,000 samples each, one warm-up run per worker first.",
        "",
        "| workers | wall for all runs | runs per hour |",
        "|---|---|---|",
        f"| 1 | {one:.1f} s | {rph1:,.0f} |",
        f"| 2 | {two:.1f} s | {rph2:,.0f} |",
        "",
        f"Ratio two/one: {rph2 / rph1:.2f}x (this machine has 2 cores, so 2x is the ceiling).",
    ])
    print(text_)
    write_section("runs-per-hour", text_)


if __name__ == "__main__":
    main()
