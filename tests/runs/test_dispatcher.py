"""One dispatcher per process: outbox events reach every subscriber once, in order, promptly."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from u22a8.events import Event, RunEvent, RunQueued, RunStarted, SamplesChanged
from u22a8.runs import EventDispatcher, RunExecutor
from u22a8.settings import Settings
from u22a8.store import NewSample, NewVersion, Store

from ..conftest import wait_for

H = "acme.tone"
# Long enough that a test passing within it proves the event, not the poll, did the work.
LONG_POLL = 60.0


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'u22a8.db'}", tmp_path / "artifacts")
    s.upgrade()
    s.models.create(H, "classify", quiet_seconds=0)
    yield s
    s.close()


@pytest.fixture
def dispatcher(store: Store) -> Iterator[EventDispatcher]:
    d = EventDispatcher(store, poll_seconds=LONG_POLL)
    d.start()
    yield d
    d.stop()


def _collect(dispatcher: EventDispatcher, types: tuple[type[Event], ...] | None = None) -> list[Event]:
    got: list[Event] = []
    dispatcher.subscribe(got.append, types=types)
    return got


def test_each_event_reaches_each_subscriber_once_in_id_order(store: Store, dispatcher: EventDispatcher) -> None:
    everything, runs_only = _collect(dispatcher), _collect(dispatcher, (RunEvent,))
    run = store.runs.enqueue_search(H, "low")
    store.runs.claim(run.id, "w1", 30)
    store.samples.upsert(H, [NewSample("a", {"label": "x"})], max_per_model=10)
    store.runs.progress(run.id, "w1", {"trials_done": 1}, None)
    wait_for(lambda: len(everything) == 4, timeout=10, interval=0.02)
    dispatcher.deliver_new()  # a second read finds nothing new: nothing is delivered twice
    assert [e.type for e in everything] == ["run.queued", "run.started", "samples.changed", "run.progress"]
    assert [e.id for e in everything] == sorted({e.id for e in everything})
    assert [e.type for e in runs_only] == ["run.queued", "run.started", "run.progress"]


def test_a_failing_subscriber_keeps_no_other_from_the_event(store: Store, dispatcher: EventDispatcher,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    def broken(event: Event) -> None:
        raise RuntimeError("subscriber bug")

    dispatcher.subscribe(broken)
    got = _collect(dispatcher)
    with caplog.at_level(logging.ERROR, logger="u22a8.events"):
        store.runs.enqueue_search(H, "low")
        store.samples.upsert(H, [NewSample("a", {"label": "x"})], max_per_model=10)
        wait_for(lambda: len(got) == 2, timeout=10, interval=0.02)
    assert [type(e) for e in got] == [RunQueued, SamplesChanged]
    assert sum("failed on" in r.getMessage() for r in caplog.records) == 2


def test_history_is_not_replayed_and_a_canceled_subscription_hears_nothing(store: Store) -> None:
    store.runs.enqueue_search(H, "low")  # before the dispatcher starts
    dispatcher = EventDispatcher(store, poll_seconds=LONG_POLL)
    got = _collect(dispatcher)
    gone: list[Event] = []
    dispatcher.subscribe(gone.append).cancel()
    sub = dispatcher.subscribe(gone.append)
    sub.cancel()
    dispatcher.start()
    try:
        store.samples.upsert(H, [NewSample("a", {"label": "x"})], max_per_model=10)
        wait_for(lambda: got, timeout=10, interval=0.02)
        assert [type(e) for e in got] == [SamplesChanged]
        assert gone == []
    finally:
        dispatcher.stop()


def test_another_process_events_arrive_by_the_poll(tmp_path: Path, store: Store) -> None:
    dispatcher = EventDispatcher(store, poll_seconds=0.05)
    got = _collect(dispatcher, (RunStarted,))
    dispatcher.start()
    other = Store(f"sqlite:///{tmp_path / 'u22a8.db'}", tmp_path / "artifacts")  # as a worker process would
    try:
        run = other.runs.enqueue_search(H, "low")
        other.runs.claim(run.id, "w1", 30)
        wait_for(lambda: got, timeout=10, interval=0.02)
        assert [e.run_id for e in got] == [run.id]  # type: ignore[attr-defined]
    finally:
        other.close()
        dispatcher.stop()


class _CountingExecutor(RunExecutor):
    def __init__(self, store: Store, settings: Settings, events: EventDispatcher) -> None:
        super().__init__(store, settings, events)
        self.dispatched = threading.Semaphore(0)

    def dispatch(self) -> None:
        self.dispatched.release()


def test_the_executor_wakes_on_queued_runs_and_when_a_quiet_period_ends(tmp_path: Path, store: Store,
                                                                        dispatcher: EventDispatcher) -> None:
    executor = _CountingExecutor(store, Settings(home=tmp_path, poll_seconds=LONG_POLL), dispatcher)
    executor.start()
    try:
        assert executor.dispatched.acquire(timeout=10)  # the first pass at start
        run = store.runs.enqueue_search(H, "low")
        assert executor.dispatched.acquire(timeout=10)  # woken by run.queued, not by the poll
        store.runs.claim(run.id, "w1", 30)
        store.runs.finish(run.id, "w1", "succeeded", version=NewVersion(
            params={}, metrics={}, report={}, sample_ids=[], artifact_key="k", artifact_sha256="0" * 64), promote=True)
        assert executor.dispatched.acquire(timeout=10)  # woken by run.succeeded: a slot is free
        store.models.update(H, {"quiet_seconds": 1.0})
        t0 = time.monotonic()
        store.samples.upsert(H, [NewSample("a", {"label": "x"})], max_per_model=10)
        wait_for(lambda: store.models.get(H).last_run.kind == "retrain", timeout=10, interval=0.05)  # type: ignore[union-attr]
        assert time.monotonic() - t0 >= 0.9  # not before the quiet period, and not at the next poll
    finally:
        executor.stop()
