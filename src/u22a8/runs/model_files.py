"""What a model keeps outside the database, named in one place and removed with the model.

A run writes two kinds of files: its artifact (one per run, ``{handle}/{run_id}.u22a8`` in the
artifact store) and n-gram count snapshots (in the feature cache, named by the model's id,
which is never given to another model). Deleting a model removes both, and the stored
``Idempotency-Key`` answers about it; a run still in flight when its model is deleted removes
what it wrote once it ends (:func:`clean_up_after_run`).

The shared embedding cache (``features.sqlite3`` in the feature cache) is not the model's: it
maps the SHA-256 of a text to its vector for every model at once, and keeps no text.
"""

from __future__ import annotations

import logging
import threading

from .. import engine
from ..settings import Settings
from ..store import DeletedModel, Run, Store

__all__ = ["artifact_key", "counts_key", "remove_model_files", "clean_up_after_run"]

log = logging.getLogger("u22a8.runs")


def artifact_key(handle: str, run_id: str) -> str:
    """Where a run's artifact goes in the artifact store (run ids are never reused)."""
    return f"{handle}/{run_id}.u22a8"


def counts_key(model_id: int) -> str:
    """The name of a model's n-gram count snapshots (a snapshot is keyed by text hashes inside,
    so it is never wrong, only stale)."""
    return f"model-{model_id}"


def remove_model_files(store: Store, settings: Settings, deleted: DeletedModel) -> None:
    """Remove every file the deleted model left: artifacts of its versions and runs, its count
    snapshots, and the stored answers to requests about it."""
    keys = set(deleted.artifact_keys) | {artifact_key(deleted.handle, run_id) for run_id in deleted.run_ids}
    for key in sorted(keys):
        store.artifacts.delete(key)
    engine.forget_counts(settings.resolved_feature_cache_dir, counts_key(deleted.model_id))
    store.idempotency.forget_model(deleted.handle)


def clean_up_after_run(store: Store, settings: Settings, run: Run) -> threading.Thread:
    """After a run ends: once its count snapshots are written, if its model was deleted meanwhile,
    remove what the run wrote. Off the run's path (a thread, not a daemon, so a worker that
    exits still finishes it).

    Checking after the snapshots are on disk closes the race with the delete: either the
    delete's own cleanup came after them and removed them, or this check comes after the
    delete and does.
    """
    thread = threading.Thread(target=_clean_up, args=(store, settings, run), name=f"cleanup-{run.id}")
    thread.start()
    return thread


def _clean_up(store: Store, settings: Settings, run: Run) -> None:
    try:
        engine.wait_for_counts_saves()
        if store.models.exists(run.model_id):
            return
        store.artifacts.delete(artifact_key(run.handle, run.id))
        engine.forget_counts(settings.resolved_feature_cache_dir, counts_key(run.model_id))
        log.info("run %s ended after its model %s was deleted; removed what it wrote", run.id, run.handle)
    except Exception:
        log.warning("cleaning up after run %s failed", run.id, exc_info=True)
