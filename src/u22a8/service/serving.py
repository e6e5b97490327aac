"""Loaded predictors, kept in memory by version so predict never touches the disk twice."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from concurrent.futures import Future

from threadpoolctl import threadpool_limits

from .. import engine
from ..events import Event, ModelDeleted, VersionActivated, VersionPromoted
from ..runs import EventDispatcher, Subscription, load_version_predictor
from ..store import Store, Version

__all__ = ["PredictorCache", "ActiveVersions", "limit_inference_threads", "warm_serving"]

# What names a loaded predictor: the run that made the version and the artifact's checksum.
# Neither is ever given to another version (row ids of deleted versions could be, on SQLite).
_Key = tuple[str, str]


class PredictorCache:
    """The most recently used predictors of every model this process serves.

    Keys never name another model's artifact (see ``_Key``), and a deleted model's predictors
    leave the cache when its ``model.deleted`` event reaches this process: :meth:`subscribe`
    to the process's dispatcher, which follows the outbox every API process shares, so a
    delete answered by one process empties the caches of all of them.
    """

    def __init__(self, store: Store, size: int = 32) -> None:
        self._store = store
        self._size = size
        self._items: OrderedDict[_Key, tuple[int, engine.Predictor]] = OrderedDict()
        # One load per version at a time: a burst of predicts on a version not yet in memory
        # (the first calls after a promotion) waits for one load instead of each reading and
        # building the artifact, tens of MB apiece, in every thread of the pool.
        self._loading: dict[_Key, Future[engine.Predictor]] = {}
        self._deleted: set[int] = set()  # model ids: a load in flight during the delete is not kept
        self._lock = threading.Lock()

    def loaded(self, version: Version) -> engine.Predictor | None:
        """The version's predictor if it is in memory (no I/O), else None."""
        with self._lock:
            hit = self._items.get((version.run_id, version.artifact_sha256))
            return None if hit is None else hit[1]

    def get(self, version: Version) -> engine.Predictor:
        key = (version.run_id, version.artifact_sha256)
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit[1]
            pending = self._loading.get(key)
            loading = pending is None
            if pending is None:
                pending = self._loading[key] = Future()
        if not loading:
            return pending.result()  # another thread's load: its predictor, or what it raised
        # Load outside the lock: a big artifact must not stall predictions of other models.
        try:
            predictor = load_version_predictor(self._store, version)
        except BaseException as exc:
            with self._lock:
                del self._loading[key]  # not remembered: the next call tries again
            pending.set_exception(exc)
            raise
        with self._lock:
            del self._loading[key]
            if version.model_id not in self._deleted:
                self._items[key] = (version.model_id, predictor)
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
        pending.set_result(predictor)
        return predictor

    def forget_model(self, model_id: int) -> int:
        """Drop every predictor of the model; returns how many there were."""
        with self._lock:
            self._deleted.add(model_id)
            gone = [key for key, (owner_id, _) in self._items.items() if owner_id == model_id]
            for key in gone:
                del self._items[key]
            return len(gone)

    def holds(self, model_id: int) -> bool:
        """Whether a predictor of the model is loaded (for tests and metrics)."""
        with self._lock:
            return any(owner_id == model_id for owner_id, _ in self._items.values())

    def subscribe(self, events: EventDispatcher) -> Subscription:
        """Forget each deleted model's predictors when the dispatcher delivers its deletion."""
        return events.subscribe(self._on_model_deleted, types=(ModelDeleted,))

    def _on_model_deleted(self, event: Event) -> None:
        self.forget_model(event.model_id)


class ActiveVersions:
    """Which version serves each model, remembered per process: predict reads no database.

    An entry is dropped when this process learns that the model's serving version changed: the
    dispatcher delivers ``version.promoted``, ``version.activated`` and ``model.deleted`` from the
    outbox every API process follows (written by any process, read here within
    ``U22A8_POLL_SECONDS``), and this process's own activations and deletes forget at once
    (:meth:`forget`). Should the outbox not be read (the database briefly away), an entry still
    lives at most ``max_age`` seconds (``U22A8_ACTIVE_VERSION_CACHE_SECONDS``): that is the bound
    on how long another process's change can go unseen. A model without a serving version is
    never remembered, so its first version serves as soon as the database says so.
    """

    def __init__(self, store: Store, max_age: float) -> None:
        self._store = store
        self._max_age = max_age
        self._items: dict[str, tuple[Version, float]] = {}
        # Bumped by every invalidation: a read that raced with one is not kept (it may be older).
        self._generation = 0
        self._lock = threading.Lock()

    def cached(self, handle: str) -> Version | None:
        """The remembered serving version (no I/O), or None when it must be read."""
        hit = self._items.get(handle)
        if hit is None or hit[1] < time.monotonic():
            return None
        return hit[0]

    def get(self, handle: str) -> Version | None:
        """The serving version of ``handle`` (None: none yet); NotFound for an unknown model."""
        hit = self.cached(handle)
        if hit is not None:
            return hit
        generation = self._generation
        found = self._store.models.active_version(handle)
        if found is not None and self._max_age > 0:
            with self._lock:
                if generation == self._generation:
                    if len(self._items) > 100_000:  # many models must not grow it without end
                        self._items.clear()
                    self._items[handle] = (found, time.monotonic() + self._max_age)
        return found

    def saw(self, handle: str, version_id: int | None) -> None:
        """This process just read the model's serving version (a GET of the model): forget a
        remembered one that differs, so a client that saw "ready" with a new version predicts
        with it, even before the outbox brings the event."""
        hit = self._items.get(handle)
        if hit is not None and hit[0].id != version_id:
            self.forget(handle)

    def forget(self, handle: str) -> None:
        with self._lock:
            self._generation += 1
            self._items.pop(handle, None)

    def subscribe(self, events: EventDispatcher) -> Subscription:
        """Forget a model's entry when any process promotes, activates or deletes."""
        return events.subscribe(lambda event: self.forget(event.handle),
                                types=(VersionPromoted, VersionActivated, ModelDeleted))


def limit_inference_threads() -> None:
    """One BLAS thread and one torch thread for predictions in this (the API's) process.

    A request multiplies one or a few rows, which a second thread hardly speeds up, and idle
    BLAS and OpenMP threads spin on a core for a while after each call: with requests every few
    milliseconds that spinning took a whole core from the training process beside the API, and
    doubled the time from new samples to the retrained version serving (bench/retrain_latency.py).
    """
    threadpool_limits(limits=1, user_api="blas")
    engine.set_inference_threads(1)


def warm_serving() -> None:
    """Load the serving plan's compiled loops before this process answers anything: a version
    loaded by a first predict then costs its artifact only (on a fresh install the first
    process compiles them, seconds, which a client's timeout must not see)."""
    engine.warm_kernels()
