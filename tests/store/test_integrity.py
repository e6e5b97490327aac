"""Issue 10, findings 1, 5 and 6 at the store: ids never reused, promotion as a compare-and-set,
one running run per model enforced by the database (on every backend)."""

from __future__ import annotations

import threading

import pytest

from sqlalchemy import select

from u22a8.events import VersionKept
from u22a8.store import NewSample, NewVersion, Store
from u22a8.store.tables import SampleRow

H = "acme.tone"


def _version(sha: str = "0") -> NewVersion:
    return NewVersion(params={"c": 1}, metrics={"primary": 0.9}, report={}, sample_ids=["a"], artifact_key="k",
                      artifact_sha256=sha * 64)


def _trained(store: Store, handle: str, versions: int = 1) -> None:
    store.models.create(handle, "classify", quiet_seconds=0.0)
    for _ in range(versions):
        run = store.runs.enqueue_search(handle, "low")
        assert store.runs.claim(run.id, "w", 30) is not None
        store.runs.finish(run.id, "w", "succeeded", version=_version(), promote=True)


def test_ids_of_deleted_rows_are_never_reused(store: Store) -> None:
    _trained(store, "acme.first")
    store.samples.upsert("acme.first", [NewSample("hello", {"label": "x"})], max_per_model=10)
    first = store.models.get("acme.first")
    assert first.active_version is not None
    with store.db.session(write=False) as s:
        first_sample = s.scalar(select(SampleRow.pk))
    store.models.delete("acme.first")

    _trained(store, "globex.second")
    store.samples.upsert("globex.second", [NewSample("hello", {"label": "x"})], max_per_model=10)
    second = store.models.get("globex.second")
    assert second.active_version is not None
    with store.db.session(write=False) as s:
        second_sample = s.scalar(select(SampleRow.pk))
    assert second.id != first.id
    assert second.active_version.id != first.active_version.id
    assert second_sample != first_sample


def test_a_run_started_before_a_rollback_does_not_undo_it(store: Store) -> None:
    _trained(store, H, versions=2)
    store.samples.upsert(H, [NewSample("new", {"label": "x"})], max_per_model=10)
    [retrain] = store.runs.enqueue_due_retrains()
    assert store.runs.claim(retrain.id, "w", 30) is not None  # starts from version 2
    store.versions.activate(H, 1)  # the operator rolls back while it trains

    done = store.runs.finish(retrain.id, "w", "succeeded", decision="held-out score within tolerance",
                             version=_version("3"), promote=True)

    assert done is not None and done.version_number == 3
    assert done.decision is not None and done.decision.startswith("not promoted: version 1 was activated")
    assert store.models.active_version(H).number == 1  # type: ignore[union-attr]
    assert [v.number for v in store.versions.list(H)] == [3, 2, 1]
    kept = [e for e in store.events.after(0, limit=1000) if isinstance(e, VersionKept) and e.run_id == retrain.id]
    assert len(kept) == 1 and kept[0].version == 1 and kept[0].candidate == 3
    assert kept[0].decision == done.decision


def test_a_run_still_promotes_when_nobody_changed_the_active_version(store: Store) -> None:
    _trained(store, H, versions=2)
    store.versions.activate(H, 1)
    run = store.runs.enqueue_search(H, "low")
    store.runs.claim(run.id, "w", 30)  # starts from version 1, which still serves at the end
    done = store.runs.finish(run.id, "w", "succeeded", decision="fresh parameter search", version=_version(),
                             promote=True)
    assert done is not None and done.decision == "fresh parameter search"
    assert store.models.active_version(H).number == 3  # type: ignore[union-attr]


def _queued_search_and_retrain(store: Store, handle: str) -> tuple[str, str]:
    _trained(store, handle)
    store.samples.upsert(handle, [NewSample("new", {"label": "x"})], max_per_model=10)
    [retrain] = store.runs.enqueue_due_retrains()
    search = store.runs.enqueue_search(handle, "low")
    return search.id, retrain.id


def test_claims_racing_on_two_runs_of_one_model_leave_one_running(store: Store) -> None:
    rounds, claimers_per_run = 25, 3
    for i in range(rounds):
        handle = f"acme.race-{i}"
        run_ids = _queued_search_and_retrain(store, handle)
        start = threading.Barrier(2 * claimers_per_run)
        won: list[str] = []

        def claim(run_id: str, worker: str) -> None:
            start.wait()
            if store.runs.claim(run_id, worker, 30) is not None:
                won.append(run_id)

        threads = [threading.Thread(target=claim, args=(run_id, f"w{j}-{run_id}"))
                   for run_id in run_ids for j in range(claimers_per_run)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        running = [r for r in store.runs.list(handle) if r.state == "running"]
        assert len(running) == 1 and len(won) == 1, f"round {i}: {len(running)} running, {len(won)} claims won"


def test_a_deleted_models_idempotent_answers_are_forgotten_and_no_other(store: Store) -> None:
    about = ["k:/v1/models/acme.t_x/samples:1", "k:/v1/models/acme.t_x/train:2"]
    others = ["k:/v1/models/acme.tax/samples:3", "k:/v1/models/acme.t_x2/train:4", "k:/v1/keys:5"]
    for key in [*about, *others, "k:/v1/models:6", "k:/v1/models:7"]:
        assert store.idempotency.reserve(key, "h") is None
    store.idempotency.complete("k:/v1/models:6", 201, '{"handle":"acme.t_x","task":"classify"}', "application/json")
    store.idempotency.complete("k:/v1/models:7", 201, '{"handle":"acme.tax","task":"classify"}', "application/json")
    assert store.idempotency.forget_model("acme.t_x") == 3
    assert all(store.idempotency.get(k) is None for k in [*about, "k:/v1/models:6"])
    assert all(store.idempotency.get(k) is not None for k in [*others, "k:/v1/models:7"])


def test_deleting_an_artifact_removes_its_folder_once_empty(store: Store) -> None:
    store.artifacts.put("acme.tone/run_1.u22a8", b"one")
    store.artifacts.put("acme.tone/run_2.u22a8", b"two")
    root = store.artifacts.root  # type: ignore[attr-defined]
    store.artifacts.delete("acme.tone/run_1.u22a8")
    assert (root / "acme.tone").is_dir()
    store.artifacts.delete("acme.tone/run_2.u22a8")
    store.artifacts.delete("acme.tone/run_2.u22a8")  # a second delete is no error
    assert not (root / "acme.tone").exists() and root.is_dir()
