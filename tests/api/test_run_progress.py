"""A run's progress as the API shows it: the phase before the first trial (max: fine-tuning MiniLM).

Progress is written the way a worker writes it (``runs.worker._report`` with the engine's
``Progress``) into the app's real SQLite store; no search runs.
"""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from u22a8 import engine
from u22a8.runs.worker import _report
from u22a8.store import Store

from .conftest import make_key

H = "acme.tone"
PHASE = "fine-tuning MiniLM: 120/940 steps"


def _store(client: TestClient) -> Store:
    return client.app.state.platform.store  # type: ignore[attr-defined,no-any-return]


def test_get_run_shows_the_phase_until_the_trials_start(app_client: TestClient) -> None:
    auth = make_key(app_client)
    assert app_client.post("/v1/models", json={"handle": H, "task": "classify"}, headers=auth).status_code == 201
    store = _store(app_client)
    run = store.runs.enqueue_search(H, "max")
    assert app_client.get(f"/v1/models/{H}/runs/{run.id}", headers=auth).json()["phase"] is None
    claimed = store.runs.claim(run.id, "w1", 30)
    assert claimed is not None

    _report(store, claimed, "w1", engine.Progress(trials_planned=40, trials_done=0, best_score=None,
                                                  elapsed_seconds=12.0, eta_seconds=600.0, phase=PHASE))
    body = app_client.get(f"/v1/models/{H}/runs/{run.id}", headers=auth).json()
    assert (body["state"], body["phase"], body["trials_done"], body["eta_seconds"]) == ("running", PHASE, 0, 600.0)
    assert app_client.get(f"/v1/models/{H}/runs", headers=auth).json()["items"][0]["phase"] == PHASE
    assert app_client.get(f"/v1/models/{H}", headers=auth).json()["last_run"]["phase"] == PHASE

    _report(store, claimed, "w1", engine.Progress(
        trials_planned=40, trials_done=1, best_score=0.8, elapsed_seconds=130.0, eta_seconds=300.0,
        last_trial={"number": 0, "score": 0.8, "params": {"c": 1.0}, "elapsed": 2.0}))
    body = app_client.get(f"/v1/models/{H}/runs/{run.id}", headers=auth).json()
    assert body["phase"] is None and body["trials_done"] == 1

    store.runs.finish(run.id, "w1", "canceled", error="canceled")
    body = app_client.get(f"/v1/models/{H}/runs/{run.id}", headers=auth).json()
    assert body["state"] == "canceled" and body["phase"] is None

    # The event stream carries the phase on each progress event (the run is over: the stream ends).
    stream = app_client.get(f"/v1/models/{H}/runs/{run.id}/events", headers=auth)
    progress = [json.loads(line[len("data: "):]) for line in stream.text.splitlines()
                if line.startswith("data: ") and '"type": "progress"' in line]
    assert [p["phase"] for p in progress] == [PHASE, None]
    assert progress[1]["trial"]["run_elapsed_seconds"] == 130.0
