"""A max-effort search spreads its trials over two worker processes through Optuna's RDB storage."""

from __future__ import annotations

import optuna

from ..conftest import tone_samples, wait_for
from .conftest import Cluster

H = "acme.support-tone"


def test_max_search_trials_run_on_two_workers(redis_cluster: Cluster) -> None:
    redis_cluster.env["U22A8_SEARCH_TIME_LIMIT_SECONDS"] = "40"
    redis_cluster.env["U22A8_SEARCH_HELPERS"] = "1"
    api = redis_cluster.add_api()
    redis_cluster.add_worker()
    redis_cluster.add_worker()
    with api.client(redis_cluster.key()) as http:
        assert http.post("/v1/models", json={"handle": H, "task": "classify"}).status_code == 201
        http.post(f"/v1/models/{H}/samples", json={"samples": tone_samples(80)})
        run_id = http.post(f"/v1/models/{H}/train", json={"effort": "max"}).json()["run_id"]

        def done() -> dict | None:
            run = http.get(f"/v1/models/{H}/runs/{run_id}").json()
            return run if run["state"] in ("succeeded", "failed") else None

        run = wait_for(done, 240, 0.5)
        assert run["state"] == "succeeded", run
        assert http.get(f"/v1/models/{H}").json()["state"] == "ready"

    storage = optuna.storages.RDBStorage(redis_cluster.env["U22A8_DATABASE_URL"])
    study = optuna.load_study(study_name=f"u22a8-{run_id}-a1", storage=storage)
    workers = {t.user_attrs.get("worker") for t in study.trials}
    assert len(workers - {None}) == 2, workers
    finished = [t for t in study.trials if t.state != optuna.trial.TrialState.RUNNING]
    assert len(finished) >= 4
