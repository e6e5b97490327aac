"""The seed's train table, case by case, against a real server process."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from ..conftest import LiveServer, tone_samples, wait_state

H = "acme.support-tone"


def _model(http: httpx.Client, samples: int = 15) -> None:
    assert http.post("/v1/models", json={"handle": H, "task": "classify"}).status_code == 201
    if samples:
        r = http.post(f"/v1/models/{H}/samples", json={"samples": tone_samples(samples)})
        assert r.status_code == 200, r.text


def test_draft_to_busy_to_ready_then_noop_then_reoptimize(live_server: LiveServer) -> None:
    with live_server.client(live_server.key()) as http:
        _model(http)
        r = http.post(f"/v1/models/{H}/train", json={"effort": "low"})
        assert r.status_code == 202
        body = r.json()
        assert body["state"] == "busy" and body["run_id"].startswith("run_")
        first_run = body["run_id"]

        # busy: the idempotent hit returns the run in flight, whatever the body says
        again = http.post(f"/v1/models/{H}/train", json={"effort": "high", "reoptimize_params": True})
        if again.json()["state"] == "busy":
            assert again.status_code == 202 and again.json()["run_id"] == first_run

        model = wait_state(http, H, "ready")
        assert model["active_version"]["number"] == 1
        run = http.get(f"/v1/models/{H}/runs/{first_run}").json()
        assert run["state"] == "succeeded" and run["trials_done"] >= 1 and run["cpu_seconds"] > 0

        # ready without reoptimize: a no-op
        noop = http.post(f"/v1/models/{H}/train", json={})
        assert noop.status_code == 200 and noop.json() == {"state": "ready", "run_id": None}
        noop2 = http.post(f"/v1/models/{H}/train", json={"effort": "max", "reoptimize_params": False})
        assert noop2.status_code == 200 and noop2.json() == {"state": "ready", "run_id": None}

        # ready with reoptimize: a fresh search
        re = http.post(f"/v1/models/{H}/train", json={"effort": "low", "reoptimize_params": True})
        assert re.status_code == 202 and re.json()["state"] == "busy"
        assert re.json()["run_id"] != first_run
        wait_state(http, H, "ready")
        assert http.get(f"/v1/models/{H}").json()["active_version"]["number"] == 2


def test_effort_null_means_default_and_no_body_is_accepted(live_server: LiveServer) -> None:
    with live_server.client(live_server.key()) as http:
        for handle, kwargs in (("acme.null-effort", {"json": {"effort": None}}), ("acme.no-body", {})):
            assert http.post("/v1/models", json={"handle": handle, "task": "classify"}).status_code == 201
            http.post(f"/v1/models/{handle}/samples", json={"samples": tone_samples(15)})
            r = http.post(f"/v1/models/{handle}/train", **kwargs)
            assert r.status_code == 202 and r.json()["state"] == "busy"
            run = http.get(f"/v1/models/{handle}/runs/{r.json()['run_id']}").json()
            assert run["effort"] == "medium"
            http.post(f"/v1/models/{handle}/runs/{run['id']}/cancel")


def test_bad_bodies_are_422_problems_and_queue_nothing(live_server: LiveServer) -> None:
    with live_server.client(live_server.key()) as http:
        _model(http)
        for body in ({"effort": "extreme"}, {"effort": 3}, {"reoptimize_params": "maybe"}, {"unknown": 1}, [1, 2]):
            r = http.post(f"/v1/models/{H}/train", json=body)
            assert r.status_code == 422, body
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["code"] == "invalid_request"
        bad_json = http.post(f"/v1/models/{H}/train", content=b"{not json", headers={"Content-Type": "application/json"})
        assert bad_json.status_code == 422 and bad_json.json()["code"] == "invalid_request"
        assert http.get(f"/v1/models/{H}/runs").json()["items"] == []
        assert http.get(f"/v1/models/{H}").json()["state"] == "draft"


def test_reoptimize_from_draft_is_a_first_train(live_server: LiveServer) -> None:
    with live_server.client(live_server.key()) as http:
        _model(http)
        r = http.post(f"/v1/models/{H}/train", json={"effort": "low", "reoptimize_params": True})
        assert r.status_code == 202 and r.json()["state"] == "busy"
        wait_state(http, H, "ready")


def test_too_few_samples_names_what_is_missing(live_server: LiveServer) -> None:
    with live_server.client(live_server.key()) as http:
        _model(http, samples=0)
        r = http.post(f"/v1/models/{H}/train", json={"effort": "low"})
        assert r.status_code == 422
        problem = r.json()
        assert problem["code"] == "too_few_samples" and problem["missing"]
        http.post(f"/v1/models/{H}/samples", json={"samples": [{"text": "only one", "label": "a"}]})
        r = http.post(f"/v1/models/{H}/train", json={"effort": "low"})
        assert r.status_code == 422 and r.json()["code"] == "too_few_samples"
        assert http.get(f"/v1/models/{H}/runs").json()["items"] == []
        assert http.get(f"/v1/models/{H}").json()["state"] == "draft"


def test_fifty_concurrent_identical_trains_make_one_run(live_server: LiveServer) -> None:
    key = live_server.key()
    with live_server.client(key) as http:
        _model(http)

    def call(_: int) -> httpx.Response:
        with live_server.client(key) as c:
            return c.post(f"/v1/models/{H}/train", json={"effort": "low"})

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(call, range(50)))
    # Calls that land after the run finished see a ready model (200, no run); all others the one run.
    assert all(r.status_code == 202 or r.json() == {"state": "ready", "run_id": None} for r in responses)
    run_ids = {r.json()["run_id"] for r in responses if r.status_code == 202}
    assert len(run_ids) == 1
    with live_server.client(key) as http:
        runs = http.get(f"/v1/models/{H}/runs").json()["items"]
        assert [r["id"] for r in runs] == list(run_ids)
