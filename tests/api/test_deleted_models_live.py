"""Issue 10, findings 1 and 7 over HTTP: a deleted model answers nobody, and leaves no file.

Real server processes on one SQLite file (the default deployment), no mocks.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from u22a8.store import Store
from u22a8.store.tables import IdempotencyRow, RunRow

from ..conftest import ROOT, LiveServer, free_port, server_env, tone_samples, wait_for, wait_state

A, B = "acme.tone", "globex.tone"
_B_LABELS = {"friendly": "alpha", "curt": "beta", "sorry": "gamma"}


def _train(http: httpx.Client, handle: str, samples: list[dict[str, Any]]) -> None:
    assert http.post("/v1/models", json={"handle": handle, "task": "classify"}).status_code == 201
    assert http.post(f"/v1/models/{handle}/samples", json={"samples": samples}).status_code == 200
    assert http.post(f"/v1/models/{handle}/train", json={"effort": "low"}).status_code == 202
    wait_state(http, handle, "ready")


def _labels(http: httpx.Client, handle: str) -> set[str]:
    r = http.post(f"/v1/models/{handle}/predict", json={"inputs": ["thanks, wonderful", "refused per policy"]})
    assert r.status_code == 200, r.text
    return {p["label"] for p in r.json()["predictions"]}


def _b_samples() -> list[dict[str, Any]]:
    return [{"text": s["text"], "label": _B_LABELS[s["label"]]} for s in tone_samples(15, seed=1)]


def test_another_owner_never_gets_answers_from_a_deleted_model(live_server: LiveServer) -> None:
    with live_server.client(live_server.key("acme")) as a, live_server.client(live_server.key("globex")) as b:
        _train(a, A, tone_samples(15))
        assert _labels(a, A) <= {"friendly", "curt", "sorry"}
        assert a.delete(f"/v1/models/{A}").status_code == 204

        _train(b, B, _b_samples())
        assert _labels(b, B) <= set(_B_LABELS.values())


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two API processes over one SQLite file and one artifacts directory; the first also trains."""
    home = tmp_path / "home"
    first = LiveServer(home=home, port=free_port(), env=server_env(home))
    second = LiveServer(home=tmp_path / "second", port=free_port(), env=server_env(home))
    first.start()
    try:
        _start_api_only(second)
        yield first, second
    finally:
        second.stop()
        first.stop()


def _start_api_only(server: LiveServer) -> None:
    server.home.mkdir(parents=True, exist_ok=True)
    server.proc = subprocess.Popen(
        [sys.executable, "-m", "u22a8.cli", "serve", "--no-executor", "--workers", "1", "--port", str(server.port),
         "--log-level", "warning"],
        env=server.env, stdout=open(server.log, "ab"), stderr=subprocess.STDOUT, cwd=ROOT,
    )
    wait_for(lambda: _healthy(server), 60, 0.1)


def _healthy(server: LiveServer) -> bool:
    try:
        return httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_a_delete_through_one_api_process_reaches_the_other(two_servers: tuple[LiveServer, LiveServer]) -> None:
    first, second = two_servers
    key_a, key_b = first.key("acme"), first.key("globex")
    with first.client(key_a) as a1, second.client(key_a) as a2, first.client(key_b) as b1, \
            second.client(key_b) as b2:
        _train(a1, A, tone_samples(15))
        assert _labels(a2, A) <= {"friendly", "curt", "sorry"}  # the second process loads A's predictor
        assert a1.delete(f"/v1/models/{A}").status_code == 204
        # The other process answers from its remembered serving version until the model.deleted
        # event reaches it through the outbox (U22A8_POLL_SECONDS; docs/deployment.md): then 404.
        wait_for(lambda: a2.post(f"/v1/models/{A}/predict", json={"inputs": ["thanks"]}).status_code == 404, 5, 0.05)

        _train(b1, B, _b_samples())
        assert _labels(b2, B) <= set(_B_LABELS.values())


def _files_under(root: Path) -> list[Path]:
    # The deletion runs in another thread or process, so the tree may vanish while it is walked:
    # a directory gone mid-walk counts as no files, and the caller polls again.
    try:
        return [p for p in root.rglob("*") if p.is_file()]
    except FileNotFoundError:
        return []


def _retrained(http: httpx.Client, handle: str) -> bool:
    last = http.get(f"/v1/models/{handle}").json()["last_run"]
    return bool(last["kind"] == "retrain" and last["state"] == "succeeded")


def test_delete_removes_artifacts_count_snapshots_and_idempotent_answers(live_server: LiveServer) -> None:
    artifacts = live_server.home / "artifacts"
    counts = artifacts / "feature-cache" / "counts"
    with live_server.client(live_server.key("acme")) as http:
        _train(http, A, tone_samples(15))
        more = [{"text": "thanks, glad it worked, cheers", "label": "friendly"}]
        r = http.post(f"/v1/models/{A}/samples", json={"samples": more}, headers={"Idempotency-Key": "add-1"})
        assert r.status_code == 200
        wait_for(lambda: _retrained(http, A), 120)
        assert _files_under(artifacts / A) and _files_under(counts)
        store = live_server.store()
        assert _idempotent_answers_about(store, A)

        # A search in flight when the model is deleted: whatever it writes afterwards goes too.
        assert http.post(f"/v1/models/{A}/train", json={"effort": "low", "reoptimize_params": True}).status_code == 202
        assert http.delete(f"/v1/models/{A}").status_code == 204
        try:
            wait_for(lambda: not _running(store), 60)
            wait_for(lambda: not _files_under(artifacts / A) and not _files_under(counts), 30)
            assert not (artifacts / A).exists()
            assert not _idempotent_answers_about(store, A)
        finally:
            store.close()


def _running(store: Store) -> list[str]:
    with store.db.session(write=False) as s:
        return list(s.scalars(select(RunRow.id).where(RunRow.state == "running")))


def _idempotent_answers_about(store: Store, handle: str) -> list[str]:
    with store.db.session(write=False) as s:
        return list(s.scalars(select(IdempotencyRow.key).where(IdempotencyRow.key.contains(f"/models/{handle}/"))))
