"""A healthy start prints our own lines only: no library banners, load reports, progress bars or
advisory warnings from `u22a8 serve` or `u22a8 worker`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from .conftest import ROOT, free_port, server_env


def _own(line: str) -> bool:
    return line.startswith("u22a8 ")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(10)


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "u22a8.cli", *args], env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
                            stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True)


def test_serve_and_worker_start_with_our_own_lines_only(tmp_path: Path) -> None:
    port = free_port()
    env = server_env(tmp_path / "home", U22A8_BROKER_URL=f"redis://127.0.0.1:6379/{uuid.uuid4().int % 14 + 1}")
    env.pop("PYTHONUNBUFFERED", None)  # as an operator would start them
    serve_log, worker_log = tmp_path / "serve.log", tmp_path / "worker.log"
    serve = _start(["serve", "--port", str(port)], env, serve_log)  # the default log level, as documented
    worker = _start(["worker"], env, worker_log)
    try:
        deadline = time.time() + 180
        healthy = ready = False
        while time.time() < deadline and not (healthy and ready):
            assert serve.poll() is None, serve_log.read_text()
            assert worker.poll() is None, worker_log.read_text()
            try:
                healthy = healthy or httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                pass
            ready = ready or "worker ready" in worker_log.read_text()
            time.sleep(0.3)
        assert healthy and ready, (serve_log.read_text(), worker_log.read_text())
        time.sleep(2)  # anything printed just after the start counts too
        printed = {log: log.read_text() for log in (serve_log, worker_log)}  # before the stop's own lines
    finally:
        _stop(serve)
        _stop(worker)
    for log, first in ((serve_log, f"serving http://127.0.0.1:{port}"), (worker_log, "worker ready")):
        lines = [line for line in printed[log].splitlines() if line.strip()]
        assert lines and all(_own(line) for line in lines), f"{log.name}:\n" + "\n".join(lines)
        assert first in lines[0]


def test_prepare_on_a_fresh_machine_prints_its_own_line_only(tmp_path: Path) -> None:
    # What the first `make run` shows while the models are made: distilling the static vectors and
    # exporting MiniLM loads the packaged network into transformers, whose load report used to
    # print a table of model keys.
    models = tmp_path / "models"
    env = server_env(tmp_path / "home", U22A8_MODELS_DIR=str(models))
    done = subprocess.run([sys.executable, "-m", "u22a8.cli", "prepare"], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.strip().splitlines() == [f"models ready in {models.resolve()}"]
