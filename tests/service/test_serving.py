"""The API process's predictor cache: one load per version, however many predicts ask at once."""

from __future__ import annotations

import threading

from u22a8 import engine
from u22a8.service import PredictorCache
from u22a8.store import Store
from u22a8.store.artifacts import ArtifactCorrupt

from ..engine.conftest import classify_data
from ..runs.test_stored_predictors import PARAMS, _add_version, store  # noqa: F401 (the store fixture)

THREADS = 8


def _all_at_once(cache: PredictorCache, version: object) -> list[object]:
    """What each of THREADS threads got (a predictor or an exception), started together."""
    start, got = threading.Barrier(THREADS), [None] * THREADS

    def ask(i: int) -> None:
        start.wait()
        try:
            got[i] = cache.get(version)  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001 - what the caller would see
            got[i] = exc

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return got


def test_a_burst_of_predicts_on_a_cold_version_loads_it_once(store: Store) -> None:
    artifact = engine.refit(classify_data(), PARAMS).artifact
    version = _add_version(store, artifact)
    got = _all_at_once(PredictorCache(store), version)
    # Every caller holds the one predictor the one load built (a load per thread would give
    # each its own copy of the artifact in memory).
    assert all(isinstance(p, engine.Predictor) for p in got)
    assert len({id(p) for p in got}) == 1


def test_a_failed_load_reaches_every_waiter_and_is_not_remembered(store: Store) -> None:
    artifact = engine.refit(classify_data(), PARAMS).artifact
    version = _add_version(store, artifact)
    store.artifacts.put(version.artifact_key, artifact[:-10] + b"0123456789")  # bytes the row did not record
    cache = PredictorCache(store)
    got = _all_at_once(cache, version)
    assert all(isinstance(e, ArtifactCorrupt) for e in got), got
    store.artifacts.put(version.artifact_key, artifact)  # restored: the next predict loads it
    assert isinstance(cache.get(version), engine.Predictor)
