"""The embedded executor's training processes: ready before their first run."""

from __future__ import annotations

import sys
from pathlib import Path

from u22a8.runs import EventDispatcher
from u22a8.runs.local import LocalExecutor
from u22a8.settings import Settings
from u22a8.store import NewSample, Store

from ..conftest import tone_samples, wait_for


def _loaded() -> dict[str, bool]:
    """What a run submitted now would find already in its process."""
    from u22a8.engine import _kernels

    return {"artifact_format": "skops.io" in sys.modules, "kernels": _kernels.dual_steps.signatures != []}


def test_a_training_process_loads_the_artifact_format_and_kernels_before_its_first_run(tmp_path: Path) -> None:
    """Every run ends by writing an artifact: importing its format (seconds) inside the first run
    would count against that run's time ceiling."""
    settings = Settings(home=tmp_path)
    store = Store(settings.resolved_database_url, settings.resolved_artifacts)
    store.upgrade()
    executor = LocalExecutor(store, settings, EventDispatcher(store, poll_seconds=60))
    executor.start()
    try:
        assert executor._pool is not None
        found = executor._pool.submit(_loaded).result(timeout=120)
    finally:
        executor.stop()
        store.close()
    assert found == {"artifact_format": True, "kernels": True}


def test_a_run_handed_to_a_process_still_starting_keeps_its_lease(tmp_path: Path) -> None:
    """The training process starts at boot and loads the engine, its compiled loops and the
    artifact format before it takes a run: seconds, more on a busy machine. A run claimed in the
    meantime must not lose its lease to the reaper (it would be queued and started twice, its
    events sent twice)."""
    settings = Settings(home=tmp_path, lease_seconds=1.0)  # far shorter than a process's start
    store = Store(settings.resolved_database_url, settings.resolved_artifacts)
    store.upgrade()
    store.models.create("acme.tone", "classify", quiet_seconds=60)
    store.samples.upsert("acme.tone", [NewSample(s["text"], {"label": s["label"]}) for s in tone_samples(15)],
                         max_per_model=1000)
    events = EventDispatcher(store, poll_seconds=0.2)
    executor = LocalExecutor(store, settings, events)
    executor.start()  # the pool's process begins to start now
    try:
        run = store.runs.enqueue_search("acme.tone", "low")  # claimed by the next pass, at once
        done = wait_for(lambda: (r := store.runs.get_by_id(run.id)) is not None and r.state in {"succeeded", "failed"}
                        and r, timeout=180)
    finally:
        executor.stop()
        store.close()
    assert done.state == "succeeded", done.error
    assert done.attempts == 1
