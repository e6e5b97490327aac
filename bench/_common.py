"""Shared benchmark plumbing: data from ../shared/data, a real server, RESULTS.md sections."""

from __future__ import annotations

import csv
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("U22A8_BENCH_DATA", ROOT.parent / "shared" / "data"))
RESULTS = ROOT / "bench" / "RESULTS.md"


def banking77(split: str) -> list[dict[str, str]]:
    with open(DATA / "banking77" / f"{split}.csv", newline="", encoding="utf-8") as f:
        return [{"text": r["text"], "label": r["category"]} for r in csv.DictReader(f)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A real ``u22a8 serve`` in a temporary home."""

    def __init__(self, *, workers: int | None = 1, home: Path | None = None, key_limits: str | None = None,
                 args: tuple[str, ...] = (), **env: str) -> None:
        self.workers, self.key_limits, self.args = workers, key_limits, args
        self.home = home or Path(tempfile.mkdtemp(prefix="u22a8-bench-"))
        self.port = free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("U22A8_")}
        self.env.update({"U22A8_HOME": str(self.home), **env})
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "Server":
        log = open(self.home / "server.log", "wb")
        # workers=None: no --workers flag, for a baseline checkout older than the option.
        workers = [] if self.workers is None else ["--workers", str(self.workers)]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "u22a8.cli", "serve", *workers, "--port", str(self.port), "--log-level", "warning",
             *self.args],
            env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        for _ in range(3000):  # several API processes on a busy machine take minutes to import
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        from u22a8.settings import Settings
        from u22a8.store import Store

        s = Settings(home=self.home, database_url=self.env.get("U22A8_DATABASE_URL"),
                     artifacts_dir=self.env.get("U22A8_ARTIFACTS_DIR"))
        store = Store(s.resolved_database_url, s.resolved_artifacts)
        store.upgrade()
        _, self.key = store.keys.create("bench", ["read", "write", "train", "admin"], rate_limits=self.key_limits)
        store.close()
        return self

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.key}"}, timeout=600)

    def __exit__(self, *exc: Any) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(20)


def upload(http: httpx.Client, handle: str, samples: list[dict[str, Any]], task: str = "classify") -> None:
    """Create the model and upload its samples, 5,000 per request."""
    http.post("/v1/models", json={"handle": handle, "task": task}).raise_for_status()
    for i in range(0, len(samples), 5000):
        http.post(f"/v1/models/{handle}/samples", json={"samples": samples[i : i + 5000]}).raise_for_status()


def train_and_wait(http: httpx.Client, handle: str, effort: str) -> dict[str, Any]:
    """POST /train and wait until the model is no longer busy; the wall time from the POST and the run."""
    t0 = time.perf_counter()
    run_id = http.post(f"/v1/models/{handle}/train", json={"effort": effort}).json()["run_id"]
    while http.get(f"/v1/models/{handle}").json()["state"] == "busy":
        time.sleep(0.1)
    wall = time.perf_counter() - t0
    run = http.get(f"/v1/models/{handle}/runs/{run_id}").json()
    if run["state"] != "succeeded":
        raise RuntimeError(f"training failed: {run}")
    return {"wall_seconds": wall, "run": run}


def train_model(http: httpx.Client, handle: str, samples: list[dict[str, Any]], effort: str) -> dict[str, Any]:
    """Create, upload, train; return timings measured from the train POST."""
    upload(http, handle, samples)
    return train_and_wait(http, handle, effort)


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and every descendant (a server's API, executor and worker processes), from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            status = (entry / "status").read_text()
        except OSError:
            continue
        children.setdefault(parent, []).append(int(entry.name))
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[int(entry.name)] = int(line.split()[1]) * 1024
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total


class PeakRss:
    """``with PeakRss(pid) as rss: ...``: the largest :func:`tree_rss` seen every 0.2 s meanwhile, in ``rss.peak`` (bytes)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._halt = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._halt.wait(0.2):
            self.peak = max(self.peak, tree_rss(self.pid))

    def __enter__(self) -> "PeakRss":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._halt.set()
        self._thread.join(2)


def write_section(name: str, body: str) -> None:
    """Replace (or add) the section ``name`` of RESULTS.md, leaving the others as they are."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\nEach section is rewritten by the script named in it.\n"
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{body.strip()}\n{end}"
    if start in text:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(text)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]
