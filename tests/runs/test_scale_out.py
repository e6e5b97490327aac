"""The same code on PostgreSQL with Celery workers on Redis or RabbitMQ, including faults."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from standardwebhooks import Webhook

from ..conftest import LiveServer, descendants, free_port, still_running_after, tone_samples, wait_for, wait_state
from ..webhooks.receiver import running_receiver
from .conftest import Cluster

H = "acme.support-tone"


def _create(http: httpx.Client, n: int = 15) -> None:
    assert http.post("/v1/models", json={"handle": H, "task": "classify"}).status_code == 201
    assert http.post(f"/v1/models/{H}/samples", json={"samples": tone_samples(n)}).status_code == 200


def test_train_and_predict_through_a_worker(cluster: Cluster) -> None:
    api = cluster.add_api()
    cluster.add_worker()
    with api.client(cluster.key()) as http:
        _create(http)
        r = http.post(f"/v1/models/{H}/train", json={"effort": "low"})
        assert r.status_code == 202
        wait_state(http, H, "ready", timeout=180)
        run = http.get(f"/v1/models/{H}/runs/{r.json()['run_id']}").json()
        assert run["state"] == "succeeded"
        p = http.post(f"/v1/models/{H}/predict", json={"inputs": ["thanks, wonderful, cheers"]}).json()
        assert p["predictions"][0]["label"] == "friendly"


def test_one_run_across_two_api_processes(redis_cluster: Cluster) -> None:
    a, b = redis_cluster.add_api(), redis_cluster.add_api()
    key = redis_cluster.key()
    with a.client(key) as http:
        _create(http)

    def call(i: int) -> httpx.Response:
        with (a if i % 2 else b).client(key) as c:
            return c.post(f"/v1/models/{H}/train", json={"effort": "low"})

    with ThreadPoolExecutor(max_workers=40) as pool:
        responses = list(pool.map(call, range(40)))
    assert {r.status_code for r in responses} == {202}  # no worker yet: the run stays queued
    assert len({r.json()["run_id"] for r in responses}) == 1
    with b.client(key) as http:
        assert len(http.get(f"/v1/models/{H}/runs").json()["items"]) == 1


def _high_run_training(http: httpx.Client) -> str:
    """A model with 60 samples per label and its high-effort search, once a worker trains it."""
    _create(http, 60)
    run_id: str = http.post(f"/v1/models/{H}/train", json={"effort": "high"}).json()["run_id"]
    wait_for(lambda: http.get(f"/v1/models/{H}/runs/{run_id}").json()["state"] == "running", 120)
    return run_id


def test_sigkill_worker_mid_search_then_another_worker_finishes(redis_cluster: Cluster) -> None:
    api = redis_cluster.add_api()
    first = redis_cluster.add_worker()
    with api.client(redis_cluster.key()) as http:
        run_id = _high_run_training(http)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        redis_cluster.add_worker()

        def settled() -> dict | None:
            run = http.get(f"/v1/models/{H}/runs/{run_id}").json()
            return run if run["state"] in ("succeeded", "failed") else None

        run = wait_for(settled, 300, 0.5)
        model = http.get(f"/v1/models/{H}").json()
        if run["state"] == "succeeded":
            assert run["attempts"] == 2 and model["state"] == "ready"
            assert [v["number"] for v in http.get(f"/v1/models/{H}/versions").json()] == [1]
        else:
            assert "worker lost" in run["error"] and model["state"] == "draft"


def test_a_worker_killed_alone_leaves_no_training_process_behind(redis_cluster: Cluster) -> None:
    """kill -9 of the worker process only (not its group, as an OOM kill would): its prefork
    children must end, or one keeps training and renewing the lease of a run nobody reports.
    Celery's prefork pool sets the parent-death signal on its children; the heartbeat no longer
    checks its parent too, so this is what stands between a killed worker and an orphan."""
    api = redis_cluster.add_api()
    first = redis_cluster.add_worker()
    with api.client(redis_cluster.key()) as http:
        _high_run_training(http)
        children = descendants(first.pid)
        assert children, "a prefork worker has children"
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        left = still_running_after(children, 30)
        assert left == [], f"still running 30 s after kill -9 of the worker: {left}"


def test_sigkill_api_during_upload_stores_all_or_nothing(redis_cluster: Cluster) -> None:
    api = redis_cluster.add_api()
    key = redis_cluster.key()
    with api.client(key) as http:
        assert http.post("/v1/models", json={"handle": H, "task": "classify"}).status_code == 201
    batch = [{"text": f"sample number {i} " + "word " * 30, "label": "a" if i % 2 else "b"} for i in range(20000)]

    def upload() -> None:
        try:
            with api.client(key) as c:
                c.post(f"/v1/models/{H}/samples", json={"samples": batch}, timeout=120)
        except httpx.HTTPError:
            pass

    t = threading.Thread(target=upload)
    t.start()
    time.sleep(1.5)  # mid-upload: body sent, parsing or inserting
    assert api.proc is not None
    api.proc.send_signal(signal.SIGKILL)
    api.proc.wait()
    t.join()
    api.port = api.port + 0
    api.start()
    with api.client(key) as http:
        count = http.get(f"/v1/models/{H}").json()["sample_count"]
        assert count in (0, len(batch))


def test_postgres_restart_while_idle_is_survived(redis_cluster: Cluster) -> None:
    api = redis_cluster.add_api()
    with api.client(redis_cluster.key()) as http:
        _create(http)
        assert http.get("/readyz").status_code == 200
        ver = sorted(os.listdir("/etc/postgresql"))[-1]
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", ver, "main", "restart"], check=True)
        wait_for(lambda: _ok(http, "/readyz"), 60)
        assert http.get(f"/v1/models/{H}").json()["sample_count"] == 45
        r = http.post(f"/v1/models/{H}/samples", json={"samples": [{"text": "after restart", "label": "curt"}]})
        assert r.status_code == 200 and r.json()["added"] == 1


def _ok(http: httpx.Client, path: str) -> bool:
    try:
        return http.get(path).status_code == 200
    except httpx.HTTPError:
        return False


# --- Webhooks delivered by Celery workers ----------------------------------------------------------

def test_sigkill_worker_mid_delivery_loses_no_webhook(redis_cluster: Cluster) -> None:
    """20 state changes commit while no worker runs; a worker takes their messages and is killed
    (SIGKILL, its whole process group) while the receiver still holds the attempts open; a new
    worker delivers every one once the leases lapse, each verified as a receiver would."""
    tries = 20
    redis_cluster.env.update(U22A8_WEBHOOKS_ALLOW_PRIVATE="true", U22A8_WEBHOOKS_LEASE_SECONDS="3",
                             U22A8_WEBHOOKS_RETRY_SCHEDULE=",".join(["1"] * 30))
    api = _patient_api(redis_cluster)
    with running_receiver() as receiver, api.client(redis_cluster.key()) as http:
        r = http.post("/v1/webhooks", json={"url": receiver.url, "events": ["model.deleted"]})
        assert r.status_code == 201, r.text
        ep = r.json()
        for i in range(tries):  # each delete commits its message in the same transaction
            assert http.post("/v1/models", json={"handle": f"acme.hook-{i}", "task": "classify"}).status_code == 201
            assert http.delete(f"/v1/models/acme.hook-{i}").status_code in (200, 204)
        log_url = f"/v1/webhooks/{ep['id']}/deliveries?limit=100"
        assert [d["state"] for d in http.get(log_url).json()["items"]] == ["pending"] * tries

        receiver.delay = 30.0  # holds every attempt open: none is answered before the kill
        first = redis_cluster.add_worker()
        wait_for(lambda: receiver.received, 120, 0.1)  # the worker's attempts are in flight
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        with receiver.lock:
            held = len(receiver.received)
            receiver.delay = 0.0
        assert all(d["state"] == "pending" and d["attempt"] == 0 for d in http.get(log_url).json()["items"])

        redis_cluster.add_worker()
        wait_for(lambda: [d["state"] for d in http.get(log_url).json()["items"]] == ["succeeded"] * tries, 120, 0.3)

    handles = {f"acme.hook-{i}" for i in range(tries)}
    ids_by_handle: dict[str, set[str]] = {}
    for got in receiver.received:
        event = Webhook(ep["secret"]).verify(got.body, got.headers)  # raises unless signed by this secret
        assert event["type"] == "model.deleted"
        ids_by_handle.setdefault(event["data"]["model"], set()).add(got.headers["webhook-id"])
    assert set(ids_by_handle) == handles  # none lost
    assert all(len(ids) == 1 for ids in ids_by_handle.values())  # a retry keeps its message's id
    accepted = {json.loads(g.body)["data"]["model"] for g in receiver.received[held:]}
    assert accepted == handles  # every message was answered after the restart


def _patient_api(cluster: Cluster) -> LiveServer:
    """An API process, waited for as long as a busy machine needs (the fixture waits 60 s)."""
    server = LiveServer(home=cluster.home / f"api{len(cluster.apis)}", port=free_port(), env={**cluster.env})
    cluster.apis.append(server)  # stopped at teardown even if it was slow to start
    try:
        server.start()
    except RuntimeError as exc:
        if "did not start" not in str(exc):
            raise
        wait_for(lambda: _ok(httpx.Client(base_url=server.url, timeout=2), "/healthz"), 240, 0.5)
    return server
