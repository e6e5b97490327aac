"""Run lifecycle against a real server: serving during reoptimization, failures, cancel, retrain, crash."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from ..conftest import LiveServer, free_port, server_env, tone_samples, wait_for, wait_state

H = "acme.support-tone"


def _trained(http: httpx.Client, n: int = 15) -> dict:
    assert http.post("/v1/models", json={"handle": H, "task": "classify"}).status_code == 201
    assert http.post(f"/v1/models/{H}/samples", json={"samples": tone_samples(n)}).status_code == 200
    assert http.post(f"/v1/models/{H}/train", json={"effort": "low"}).status_code == 202
    return wait_state(http, H, "ready")


def test_predict_serves_old_version_during_reoptimization_then_new(live_server: LiveServer) -> None:
    with live_server.client(live_server.key()) as http:
        _trained(http)
        r = http.post(f"/v1/models/{H}/train", json={"effort": "low", "reoptimize_params": True})
        assert r.status_code == 202
        versions_seen = set()
        while True:
            p = http.post(f"/v1/models/{H}/predict", json={"inputs": ["thanks so much, wonderful"]})
            assert p.status_code == 200, p.text
            versions_seen.add(p.json()["version"])
            assert p.json()["predictions"][0]["label"] == "friendly"
            if http.get(f"/v1/models/{H}").json()["state"] == "ready":
                break
            assert p.json()["version"] == 1
            time.sleep(0.05)
        p = http.post(f"/v1/models/{H}/predict", json={"inputs": ["thanks so much, wonderful"]})
        assert p.json()["version"] == 2
        assert 1 in versions_seen


def test_failed_search_returns_model_to_where_it_was(live_server: LiveServer) -> None:
    with live_server.client(live_server.key()) as http:
        # A real failure: the artifact directory for this model cannot be created.
        blocker = live_server.home / "artifacts" / H
        blocker.parent.mkdir(parents=True, exist_ok=True)
        blocker.write_text("not a directory")
        assert http.post("/v1/models", json={"handle": H, "task": "classify"}).status_code == 201
        http.post(f"/v1/models/{H}/samples", json={"samples": tone_samples(15)})
        run_id = http.post(f"/v1/models/{H}/train", json={"effort": "low"}).json()["run_id"]
        run = wait_for(lambda: (r := http.get(f"/v1/models/{H}/runs/{run_id}").json())["state"] == "failed" and r)
        assert run["error"]
        model = http.get(f"/v1/models/{H}").json()
        assert model["state"] == "draft" and model["active_version"] is None
        assert model["last_run"]["state"] == "failed"

        # From ready: the failed reoptimization leaves the old version serving.
        blocker.unlink()
        http.post(f"/v1/models/{H}/train", json={"effort": "low"})
        wait_state(http, H, "ready")
        moved = blocker.with_name(blocker.name + ".moved")
        blocker.rename(moved)  # the served version was loaded already; new artifacts cannot be written
        blocker.write_text("not a directory")
        try:
            run_id = http.post(f"/v1/models/{H}/train", json={"effort": "low", "reoptimize_params": True}).json()["run_id"]
            run = wait_for(lambda: (r := http.get(f"/v1/models/{H}/runs/{run_id}").json())["state"] == "failed" and r)
            assert run["error"]
            model = http.get(f"/v1/models/{H}").json()
            assert model["state"] == "ready" and model["active_version"]["number"] == 1
        finally:
            blocker.unlink()
            moved.rename(blocker)
        assert http.post(f"/v1/models/{H}/predict", json={"inputs": ["sorry, our mistake"]}).json()["version"] == 1


def test_cancel_a_queued_or_running_search(live_server: LiveServer) -> None:
    with live_server.client(live_server.key()) as http:
        assert http.post("/v1/models", json={"handle": H, "task": "classify"}).status_code == 201
        http.post(f"/v1/models/{H}/samples", json={"samples": tone_samples(300)})
        run_id = http.post(f"/v1/models/{H}/train", json={"effort": "max"}).json()["run_id"]
        # Max may fine-tune MiniLM before its first trial: cancel as soon as the run is running.
        wait_for(lambda: http.get(f"/v1/models/{H}/runs/{run_id}").json()["state"] == "running", 60, 0.05)
        r = http.post(f"/v1/models/{H}/runs/{run_id}/cancel")
        assert r.status_code == 200 and r.json()["state"] == "running"
        run = wait_for(lambda: (x := http.get(f"/v1/models/{H}/runs/{run_id}").json())["state"] == "canceled" and x, 90)
        assert run["finished_at"]
        assert http.get(f"/v1/models/{H}").json()["state"] == "draft"


def test_auto_retrain_after_new_samples(live_server: LiveServer) -> None:
    with live_server.client(live_server.key()) as http:
        _trained(http)
        r = http.post(f"/v1/models/{H}/samples", json={"samples": [
            {"text": "thanks, glad it worked, cheers", "label": "friendly"},
            {"text": "refused per policy, closed", "label": "curt"},
        ]})
        assert r.json()["added"] == 2

        def retrained() -> dict | None:
            runs = http.get(f"/v1/models/{H}/runs").json()["items"]
            done = [x for x in runs if x["kind"] == "retrain" and x["state"] in ("succeeded", "failed")]
            return done[0] if done else None

        run = wait_for(retrained, 90)
        assert run["state"] == "succeeded" and run["decision"]
        model = http.get(f"/v1/models/{H}").json()
        assert model["state"] == "ready"
        if run["version"] is not None:
            assert model["active_version"]["number"] == run["version"] == 2
            versions = http.get(f"/v1/models/{H}/versions").json()
            assert versions[0]["sample_count"] == model["sample_count"]


def test_sse_events_stream_until_the_run_ends(live_server: LiveServer) -> None:
    with live_server.client(live_server.key()) as http:
        assert http.post("/v1/models", json={"handle": H, "task": "classify"}).status_code == 201
        http.post(f"/v1/models/{H}/samples", json={"samples": tone_samples(15)})
        run_id = http.post(f"/v1/models/{H}/train", json={"effort": "low"}).json()["run_id"]
        types = []
        with http.stream("GET", f"/v1/models/{H}/runs/{run_id}/events", timeout=120) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    types.append(line.removeprefix("event: "))
        assert types[0] == "queued" and "started" in types and "progress" in types
        assert types[-1] == "succeeded"


def test_sigkill_during_a_run_is_recovered_on_restart(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = server_env(home, U22A8_LEASE_SECONDS="3")
    server = LiveServer(home=home, port=free_port(), env=env)
    server.start()
    key = server.key()
    with server.client(key) as http:
        assert http.post("/v1/models", json={"handle": H, "task": "classify"}).status_code == 201
        http.post(f"/v1/models/{H}/samples", json={"samples": tone_samples(60)})
        run_id = http.post(f"/v1/models/{H}/train", json={"effort": "high"}).json()["run_id"]
        wait_for(lambda: http.get(f"/v1/models/{H}/runs/{run_id}").json()["state"] == "running", 60)
    assert server.proc is not None
    os.kill(server.proc.pid, signal.SIGKILL)
    server.proc.wait()
    time.sleep(1)

    server.port = free_port()
    server.start()
    try:
        with server.client(key) as http:
            def settled() -> dict | None:
                run = http.get(f"/v1/models/{H}/runs/{run_id}").json()
                return run if run["state"] in ("succeeded", "failed") else None

            run = wait_for(settled, 240, 0.5)
            assert run["attempts"] >= 1
            if run["state"] == "failed":
                assert "worker lost" in run["error"]
            model = http.get(f"/v1/models/{H}").json()
            assert model["state"] == ("ready" if run["state"] == "succeeded" else "draft")
    finally:
        server.stop()


@pytest.mark.parametrize("handle", [H])
def test_delete_model_removes_everything(live_server: LiveServer, handle: str) -> None:
    with live_server.client(live_server.key()) as http:
        _trained(http)
        assert http.delete(f"/v1/models/{handle}").status_code == 204
        assert http.get(f"/v1/models/{handle}").status_code == 404
        assert http.post("/v1/models", json={"handle": handle, "task": "score"}).status_code == 201
        assert http.get(f"/v1/models/{handle}").json()["sample_count"] == 0
