"""A max-effort search spreads its trials over two worker processes through Optuna's RDB storage."""

from __future__ import annotations

import threading
from pathlib import Path

import optuna
from sqlalchemy import create_engine, inspect
from sqlalchemy.pool import NullPool

from u22a8.runs.shared_search import shared_study_for
from u22a8.settings import Settings
from u22a8.store import Run, Store

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
        assert run["state"] == "succeeded", run.get("error") or run
        assert http.get(f"/v1/models/{H}").json()["state"] == "ready"

    storage = optuna.storages.RDBStorage(redis_cluster.env["U22A8_DATABASE_URL"])
    study = optuna.load_study(study_name=f"u22a8-{run_id}-a1", storage=storage)
    workers = {t.user_attrs.get("worker") for t in study.trials}
    assert len(workers - {None}) == 2, workers
    finished = [t for t in study.trials if t.state != optuna.trial.TrialState.RUNNING]
    assert len(finished) >= 4


def _max_run(pg_url: str, tmp_path: Path, handle: str) -> tuple[Settings, Run]:
    store = Store(pg_url, tmp_path / "artifacts")
    store.upgrade()
    store.models.create(handle, "classify", quiet_seconds=60)
    run = store.runs.enqueue_search(handle, "max")
    store.close()
    return Settings(home=tmp_path / "home", database_url=pg_url, search_helpers=1), run


def test_the_runs_worker_makes_optunas_tables_before_it_invites_helpers(pg_url: str, tmp_path: Path) -> None:
    # A helper opening the study at the same moment as the run's own search used to race it to
    # create Optuna's tables on a fresh database, and the run failed with a duplicate type.
    settings, run = _max_run(pg_url, tmp_path, H)
    engine = create_engine(pg_url, poolclass=NullPool)
    assert "studies" not in inspect(engine).get_table_names()
    assert shared_study_for(settings, run) is not None
    assert {"studies", "trials", "version_info"} <= set(inspect(engine).get_table_names())


def test_workers_making_optunas_tables_at_once_all_succeed(pg_url: str, tmp_path: Path) -> None:
    settings, run = _max_run(pg_url, tmp_path, H)
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker() -> None:
        start.wait()
        try:
            shared_study_for(settings, run)
        except BaseException as exc:  # the test reports what any of them raised
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    optuna.create_study(storage=pg_url, study_name="after", direction="maximize")  # the tables are whole
