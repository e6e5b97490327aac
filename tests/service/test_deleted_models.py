"""Issue 10, findings 1 and 7 in the service: every process's predictor cache forgets a deleted
model, and a run that ends after its model was deleted leaves no file behind."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from u22a8 import service
from u22a8.runs import execute_run
from u22a8.server import build_platform
from u22a8.service import Platform
from u22a8.settings import Settings
from u22a8.store.tables import ModelRow, VersionRow

from ..conftest import throwaway_pg_database, tone_samples, wait_for
from .conftest import make_key

H = "acme.tone"


def _model_with_samples(platform: Platform) -> tuple[service.ApiKey, int]:
    key, _ = make_key(platform)
    model = service.create_model(platform, key, H, "classify")
    body = json.dumps({"samples": tone_samples(12)}).encode()
    service.add_samples(platform, key, H, body, "application/json")
    return key, model.id


def _train_now(platform: Platform) -> None:
    run = platform.store.runs.enqueue_search(H, "low")
    claimed = platform.store.runs.claim(run.id, "test-worker", 60)
    assert claimed is not None
    execute_run(platform.store, platform.settings, claimed, "test-worker")


def test_every_api_process_forgets_a_deleted_models_predictors(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", poll_seconds=0.05)
    first = build_platform(settings, with_executor=False)
    second = build_platform(settings, with_executor=False)  # another API process on the same database
    first.store.upgrade()
    first.events.start()
    second.events.start()
    try:
        key, model_id = _model_with_samples(first)
        _train_now(first)
        assert service.predict(second, key, H, ["thanks, wonderful"]).predictions
        assert second.predictors.holds(model_id)

        service.delete_model(first, key, H)

        wait_for(lambda: not second.predictors.holds(model_id), 10, 0.05)
        assert not first.predictors.holds(model_id)
    finally:
        for p in (first, second):
            p.events.stop()
            p.store.close()


def _files(root: Path) -> list[Path]:
    # The deletion runs in another thread or process, so the tree may vanish while it is walked:
    # a directory gone mid-walk counts as no files, and the caller polls again.
    try:
        return [p for p in root.rglob("*") if p.is_file()]
    except FileNotFoundError:
        return []


def test_a_run_ending_after_its_model_was_deleted_leaves_nothing(platform: Platform) -> None:
    key, _ = _model_with_samples(platform)
    artifacts = Path(platform.settings.resolved_artifacts)
    counts = platform.settings.resolved_feature_cache_dir / "counts"
    run = platform.store.runs.enqueue_search(H, "low")
    claimed = platform.store.runs.claim(run.id, "test-worker", 600)
    assert claimed is not None

    deleted = threading.Event()

    def delete_once_trials_ran() -> None:
        # Called in the worker's thread after each commit that wrote events (its progress):
        # the operator deletes the model while the run still trains.
        if deleted.is_set():
            return
        now = platform.store.runs.get_by_id(run.id)
        if now is not None and now.trials_done >= 1:
            deleted.set()
            service.delete_model(platform, key, H)

    platform.store.events.on_written(delete_once_trials_ran)
    execute_run(platform.store, platform.settings, claimed, "test-worker")

    assert deleted.is_set()
    wait_for(lambda: not _files(artifacts / H) and not _files(counts), 30, 0.05)
    assert not (artifacts / H).exists()


@pytest.fixture
def pg_platform(tmp_path: Path) -> Iterator[Platform]:
    for url in throwaway_pg_database("u22a8_delete"):
        built = build_platform(Settings(home=tmp_path / "home", database_url=url), with_executor=False)
        built.store.upgrade()
        yield built
        built.store.close()


def test_a_run_finishing_after_its_model_was_deleted_removes_its_artifact(pg_platform: Platform) -> None:
    """The delete commits while the run waits to record its version: the run's finish finds no
    model, records nothing, and removes the artifact it had just written."""
    platform = pg_platform
    _model_with_samples(platform)
    artifacts = Path(platform.settings.resolved_artifacts)
    counts = platform.settings.resolved_feature_cache_dir / "counts"
    run = platform.store.runs.enqueue_search(H, "low")
    claimed = platform.store.runs.claim(run.id, "test-worker", 600)
    assert claimed is not None
    worker = threading.Thread(target=execute_run, args=(platform.store, platform.settings, claimed, "test-worker"))
    with platform.store.db.session() as s:
        # An operator's delete that holds the model's row while the run trains and stores its
        # artifact; the run's finish then waits for that row.
        model = s.scalar(select(ModelRow).where(ModelRow.handle == H).with_for_update())
        worker.start()
        wait_for(lambda: _files(artifacts / H), 120, 0.02)
        time.sleep(0.5)  # the run is in finish now, waiting for the model's row
        assert worker.is_alive()
        s.delete(model)
    worker.join(60)

    wait_for(lambda: not _files(artifacts / H) and not _files(counts), 30, 0.05)
    assert not (artifacts / H).exists()
    with platform.store.db.session(write=False) as s:
        assert s.scalar(select(VersionRow.id)) is None
