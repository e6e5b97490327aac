"""The embedded executor's training processes: ready before their first run."""

from __future__ import annotations

import sys
from pathlib import Path

from u22a8.runs import EventDispatcher
from u22a8.runs.local import LocalExecutor
from u22a8.settings import Settings
from u22a8.store import Store


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
