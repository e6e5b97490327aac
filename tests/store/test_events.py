"""The outbox: one typed event per state change, in the transaction of that change, on every backend."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from u22a8.errors import LimitExceeded
from u22a8.events import (
    EVENT_TYPES,
    Event,
    ModelDeleted,
    RunCanceled,
    RunCancelRequested,
    RunFailed,
    RunProgress,
    RunQueued,
    RunStarted,
    RunSucceeded,
    SamplesChanged,
    VersionActivated,
    VersionKept,
    VersionPromoted,
    event_from_json,
    event_to_json,
)
from u22a8.store import NewSample, NewVersion, SearchAlreadyActive, Store, utcnow
from u22a8.store.events import record

H = "acme.tone"


def _version(key: str = "k") -> NewVersion:
    return NewVersion(params={"c": 1}, metrics={"primary": 0.9}, report={}, sample_ids=["a"], artifact_key=key,
                      artifact_sha256="0" * 64)


def _new(store: Store, cursor: int) -> tuple[list[Event], int]:
    got = store.events.after(cursor)
    return got, (got[-1].id or cursor) if got else cursor


def _types(events: list[Event]) -> list[str]:
    return [e.type for e in events]


def test_each_run_transition_writes_one_event(store: Store) -> None:
    store.models.create(H, "classify", quiet_seconds=0)
    cursor = store.events.last_id()
    run = store.runs.enqueue_search(H, "max")
    got, cursor = _new(store, cursor)
    assert _types(got) == ["run.queued"]
    [queued] = got
    assert isinstance(queued, RunQueued) and (queued.owner, queued.handle, queued.run_id) == ("acme", H, run.id)
    assert queued.details == {"kind": "search", "effort": "max"}

    assert store.runs.claim(run.id, "w1", 30) is not None
    got, cursor = _new(store, cursor)
    assert [(type(e), e.details) for e in got] == [(RunStarted, {"attempt": 1, "worker": "w1"})]  # type: ignore[attr-defined]

    values = {"trials_planned": 4, "trials_done": 1, "best_score": 0.5, "eta_seconds": 3.0, "phase": None}
    assert store.runs.progress(run.id, "w1", values, {"number": 0})
    got, cursor = _new(store, cursor)
    assert [type(e) for e in got] == [RunProgress] and got[0].details["trial"] == {"number": 0}  # type: ignore[attr-defined]

    store.runs.request_cancel(H, run.id)
    got, cursor = _new(store, cursor)
    assert [type(e) for e in got] == [RunCancelRequested]

    store.runs.finish(run.id, "w1", "succeeded", decision="first version", version=_version(), promote=True)
    got, cursor = _new(store, cursor)
    assert [type(e) for e in got] == [RunSucceeded, VersionPromoted]
    assert got[0].details == {"error": None, "decision": "first version", "version": 1}  # type: ignore[attr-defined]
    promoted = got[1]
    assert isinstance(promoted, VersionPromoted) and (promoted.version, promoted.previous) == (1, None)

    # A lost lease writes nothing: neither the outcome nor its event.
    assert store.runs.finish(run.id, "w1", "failed", error="late") is None
    assert store.events.after(cursor) == []


def test_a_retrain_that_loses_says_which_version_it_kept(store: Store) -> None:
    store.models.create(H, "classify", quiet_seconds=0)
    first = store.runs.enqueue_search(H, "low")
    store.runs.claim(first.id, "w1", 30)
    store.runs.finish(first.id, "w1", "succeeded", version=_version(), promote=True)
    store.samples.upsert(H, [NewSample("hello", {"label": "x"})], max_per_model=10)
    [retrain] = store.runs.enqueue_due_retrains()
    store.runs.claim(retrain.id, "w1", 30)
    cursor = store.events.last_id()
    store.runs.finish(retrain.id, "w1", "succeeded", decision="kept version 1: worse")
    got, _ = _new(store, cursor)
    assert [type(e) for e in got] == [RunSucceeded, VersionKept]
    kept = got[1]
    assert isinstance(kept, VersionKept)
    assert (kept.version, kept.candidate, kept.decision) == (1, None, "kept version 1: worse")


def test_failures_cancels_and_reaping_write_their_events(store: Store) -> None:
    store.models.create(H, "classify", quiet_seconds=0)
    cursor = store.events.last_id()
    run = store.runs.enqueue_search(H, "low")
    store.runs.request_cancel(H, run.id)  # queued: ends at once
    run = store.runs.enqueue_search(H, "low")
    store.runs.claim(run.id, "w1", 30)
    store.runs.finish(run.id, "w1", "failed", error="boom")
    run = store.runs.enqueue_search(H, "low")
    store.runs.claim(run.id, "w1", -1)  # a lease that has already lapsed
    store.runs.reap_expired(max_attempts=1)
    got, _ = _new(store, cursor)
    assert _types(got) == ["run.queued", "run.canceled", "run.queued", "run.started", "run.failed",
                           "run.queued", "run.started", "run.failed"]
    assert got[1].details == {"error": "canceled before it started"}  # type: ignore[attr-defined]
    assert got[4].details == {"error": "boom", "decision": None, "version": None}  # type: ignore[attr-defined]
    assert "worker lost" in got[-1].details["reason"]  # type: ignore[attr-defined]
    assert isinstance(got[-1], RunFailed) and not isinstance(got[1], RunFailed) and isinstance(got[1], RunCanceled)


def test_versions_models_and_samples_write_their_events(store: Store) -> None:
    store.models.create(H, "classify", quiet_seconds=5)
    for key in ("k1", "k2"):
        run = store.runs.enqueue_search(H, "low")
        store.runs.claim(run.id, "w1", 30)
        store.runs.finish(run.id, "w1", "succeeded", version=_version(key), promote=True)
    cursor = store.events.last_id()
    store.versions.activate(H, 1)
    counts = store.samples.upsert(H, [NewSample("a", {"label": "x"}, id="1")], max_per_model=10)
    assert counts.added == 1
    store.samples.upsert(H, [NewSample("a", {"label": "x"}, id="1")], max_per_model=10)  # unchanged: no event
    store.samples.delete(H, "1")
    model_id = store.models.get(H).id
    store.models.delete(H)
    got, _ = _new(store, cursor)
    assert [type(e) for e in got] == [VersionActivated, SamplesChanged, SamplesChanged, ModelDeleted]
    activated, changed = got[0], got[1]
    assert isinstance(activated, VersionActivated) and (activated.version, activated.previous) == (1, 2)
    assert isinstance(changed, SamplesChanged) and changed.retrain_due_at is not None
    assert changed.retrain_due_at > changed.at + timedelta(seconds=4)
    assert got[-1].model_id == model_id and got[-1].handle == H


def test_a_transaction_that_fails_writes_no_event(store: Store) -> None:
    store.models.create(H, "classify", quiet_seconds=0)
    store.runs.enqueue_search(H, "low")
    cursor = store.events.last_id()
    with pytest.raises(SearchAlreadyActive):
        store.runs.enqueue_search(H, "max")
    with pytest.raises(LimitExceeded):
        store.samples.upsert(H, [NewSample(f"t{i}", {"label": "x"}) for i in range(5)], max_per_model=2)
    with pytest.raises(RuntimeError):
        with store.db.session() as s:
            record(s, ModelDeleted(owner="acme", model_id=1, handle=H, at=utcnow()))
            raise RuntimeError("rolled back")
    assert store.events.after(cursor) == []


def test_every_event_type_survives_json_and_the_outbox(store: Store) -> None:
    at = utcnow()
    base = {"owner": "acme", "model_id": 7, "handle": H, "at": at}
    extra = {
        "run_id": "run_1", "details": {"kind": "search"}, "version": 2, "previous": 1, "candidate": None,
        "decision": "why", "retrain_due_at": at,
    }
    cursor = store.events.last_id()
    made = []
    for cls in EVENT_TYPES.values():
        fields = {k: v for k, v in extra.items() if k in cls.__dataclass_fields__}
        event = cls(**base, **fields)  # type: ignore[arg-type]
        assert event_from_json(event_to_json(event)) == event
        made.append(event)
    with store.db.session() as s:
        for event in made:
            record(s, event)
    got = store.events.after(cursor)
    assert [type(e) for e in got] == [type(e) for e in made]
    assert [e.id for e in got] == sorted(e.id for e in got)
    for stored, event in zip(got, made):
        assert stored == event.__class__(**{**event.__dict__, "id": stored.id})


def test_prune_keeps_the_history_of_live_models(store: Store) -> None:
    store.models.create(H, "classify", quiet_seconds=0)
    store.models.create("acme.gone", "classify", quiet_seconds=0)
    store.runs.enqueue_search(H, "low")
    store.runs.enqueue_search("acme.gone", "low")
    store.samples.upsert(H, [NewSample("a", {"label": "x"})], max_per_model=10)
    store.models.delete("acme.gone")
    assert store.events.prune(utcnow() - timedelta(hours=1)) == 0  # nothing old enough yet
    assert store.events.prune(utcnow() + timedelta(seconds=1)) == 3  # the samples change and the gone model
    assert [(e.type, e.handle) for e in store.events.after(0)] == [("run.queued", H)]


def test_concurrent_writers_become_visible_in_id_order(store: Store) -> None:
    """A reader that follows the outbox by id never passes an event committed later."""
    handles = [f"acme.m{i}" for i in range(4)]
    for h in handles:
        store.models.create(h, "classify", quiet_seconds=0)
    start = store.events.last_id()
    done = threading.Event()
    seen: list[int] = []

    def follow() -> None:
        cursor = start
        while True:
            finished = done.is_set()
            for event in store.events.after(cursor):
                assert event.id is not None
                seen.append(event.id)
                cursor = event.id
            if finished:
                return

    def write(handle: str) -> None:
        for i in range(15):
            store.samples.upsert(handle, [NewSample(f"{handle} {i}", {"label": "x"})], max_per_model=100)

    reader = threading.Thread(target=follow)
    reader.start()
    writers = [threading.Thread(target=write, args=(h,)) for h in handles]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    done.set()
    reader.join()
    assert seen == [e.id for e in store.events.after(start)]
    assert len(seen) == 60


def test_upgrade_moves_recorded_run_events_into_the_outbox_with_their_ids(store: Store) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from u22a8.store.database import _MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["engine"] = store.db.engine
    command.downgrade(cfg, "0003")
    now = utcnow()
    with store.db.engine.begin() as conn:
        conn.execute(text("INSERT INTO models (id, handle, owner, task, description, auto_retrain, quiet_seconds, "
                          "created_at, updated_at) VALUES (1, :h, 'acme', 'classify', '', true, 0, :t, :t)"),
                     {"h": H, "t": now})
        conn.execute(text("INSERT INTO runs (id, model_id, kind, state, effort, created_at, trials_done, attempts, "
                          "cancel_requested) VALUES ('run_old', 1, 'search', 'queued', 'low', :t, 0, 0, false)"),
                     {"t": now})
        for event_id, type_, data in [(7, "queued", '{"kind": "search", "effort": "low"}'),
                                      (9, "cancel_requested", "{}")]:
            conn.execute(text("INSERT INTO run_events (id, run_id, at, type, data) VALUES (:i, 'run_old', :t, :y, :d)"),
                         {"i": event_id, "t": now, "y": type_, "d": data})
    store.upgrade()
    old = store.runs.events("run_old")
    assert [(e.id, e.type, e.data) for e in old] == [(7, "queued", {"kind": "search", "effort": "low"}),
                                                      (9, "cancel_requested", {})]
    assert [type(e) for e in store.events.after(0)] == [RunQueued, RunCancelRequested]
    store.runs.request_cancel(H, "run_old")
    assert [(e.id, e.type) for e in store.runs.events("run_old", after=9)] == [(10, "canceled")]
