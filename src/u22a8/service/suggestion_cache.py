"""What to label next: the pool texts the active version is least sure about, spread out.

Scoring a pool runs the version over every text (seconds for thousands of texts); answering
must take milliseconds. So each model's scored pool is cached in this process, keyed by the
version that scored it and the pool's fingerprint (:class:`u22a8.store.PoolState`):

- a request whose version and pool are those of the cache answers from it (one small query for
  the fingerprint, the picks cached per ``limit``);
- the pool changed (texts added, labeled, deleted): only the new texts are scored, the gone ones
  dropped, the picks made again (milliseconds: the diversity step works on short vectors);
- a new version serves (promoted or activated): the whole pool is scored again. The
  :class:`SuggestionCache` subscribes to those events and rescores in a background thread, so
  the first request after a retrain usually finds the work done.

A text already labeled is never suggested: it left the pool in its sample's transaction, and
the picks are checked against the samples once more before they are answered.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine.suggestions import ScoredPool, score_pool, select_diverse
from ..events import Event, ModelDeleted, VersionActivated, VersionPromoted
from ..runs import EventDispatcher, Subscription
from ..store import PoolState, Store, Version
from .serving import PredictorCache

__all__ = ["SuggestionCache", "ScoredEntry"]


@dataclass
class ScoredEntry:
    """A model's pool as one version scored it: row keys in pool order, and the scores."""

    version_key: tuple[str, str]
    version: int
    state: PoolState
    pks: np.ndarray
    ids: list[str]
    texts: list[str]
    scored: ScoredPool
    picks: dict[int, list[int]] = field(default_factory=dict)


class SuggestionCache:
    """Scored pools of the models this process answers suggestions for (least recently used out)."""

    def __init__(self, store: Store, predictors: PredictorCache, size: int = 16) -> None:
        self._store = store
        self._predictors = predictors
        self._size = size
        self._items: OrderedDict[int, ScoredEntry] = OrderedDict()
        self._lock = threading.Lock()
        self._model_locks: dict[int, threading.Lock] = {}

    def picks(self, version: Version, limit: int) -> tuple[ScoredEntry, list[int]]:
        """The cached scored pool for ``version`` and the indices of its ``limit`` picks."""
        state = self._store.pool.state(version.model_id)
        key = (version.run_id, version.artifact_sha256)
        with self._lock:
            hit = self._items.get(version.model_id)
            if hit is not None and hit.version_key == key and hit.state == state and limit in hit.picks:
                self._items.move_to_end(version.model_id)
                return hit, hit.picks[limit]
            lock = self._model_locks.setdefault(version.model_id, threading.Lock())
        with lock:  # one scoring per model at a time; the others wait and find it done
            entry = self._refresh(version, key)
            with self._lock:
                if limit not in entry.picks:
                    entry.picks[limit] = select_diverse(entry.scored.uncertainty, entry.scored.vectors, limit)
                return entry, entry.picks[limit]

    def _refresh(self, version: Version, key: tuple[str, str]) -> ScoredEntry:
        with self._lock:
            old = self._items.get(version.model_id)
        state = self._store.pool.state(version.model_id)
        if old is not None and old.version_key == key and old.state == state:
            return old
        reuse = old if old is not None and old.version_key == key else None
        if reuse is None:
            rows, state = self._store.pool.rows(version.model_id)
            pks = np.asarray(rows.pks, dtype=np.int64)
            ids, texts = rows.ids, rows.texts
            scored = score_pool(self._predictors.get(version), texts)
        else:
            # Same version, the pool moved: keep what was scored, read and score only new texts.
            keys, state = self._store.pool.keys(version.model_id)
            wanted = np.asarray(keys, dtype=np.int64)
            at = np.minimum(np.searchsorted(reuse.pks, wanted), max(len(reuse.pks) - 1, 0))
            seen = (reuse.pks[at] == wanted) if len(reuse.pks) else np.zeros(len(wanted), dtype=bool)
            known = np.where(seen, at, -1)
            new = self._store.pool.rows_by_key(version.model_id, [int(k) for k in wanted[~seen]])
            # A text deleted between the two reads is simply not there: keep the rows both agree on.
            fresh_at = {pk: i for i, pk in enumerate(new.pks)}
            if len(fresh_at) < int((~seen).sum()):
                keep = seen | np.isin(wanted, np.asarray(new.pks, dtype=np.int64))
                wanted, known = wanted[keep], known[keep]
            new_rows = np.flatnonzero(known < 0)
            fresh = score_pool(self._predictors.get(version), new.texts)
            order = [fresh_at[int(wanted[i])] for i in new_rows]
            fresh = _take(fresh, order)
            scored = _merge(reuse.scored, known, fresh, new_rows)
            pks = wanted
            at_old = known.tolist()  # Python ints: indexing lists with numpy scalars is slow
            ids = [reuse.ids[k] if k >= 0 else "" for k in at_old]
            texts = [reuse.texts[k] if k >= 0 else "" for k in at_old]
            for j, i in enumerate(new_rows.tolist()):
                ids[i], texts[i] = new.ids[order[j]], new.texts[order[j]]
            if len(wanted) != len(keys):
                state = PoolState(len(wanted), int(wanted.max(initial=0)), int(wanted.sum()))
        entry = ScoredEntry(key, version.number, state, pks, ids, texts, scored)
        with self._lock:
            self._items[version.model_id] = entry
            self._items.move_to_end(version.model_id)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return entry

    def forget_model(self, model_id: int) -> None:
        with self._lock:
            self._items.pop(model_id, None)

    def scored_version(self, model_id: int) -> int | None:
        """The version number whose scores of the model's pool are cached here (for tests and metrics)."""
        with self._lock:
            entry = self._items.get(model_id)
            return None if entry is None else entry.version

    def holds(self, model_id: int) -> bool:
        with self._lock:
            return model_id in self._items

    def subscribe(self, events: EventDispatcher) -> list[Subscription]:
        """Rescore a model's pool when a new version serves; forget a deleted model's."""
        return [events.subscribe(self._on_version, types=(VersionPromoted, VersionActivated)),
                events.subscribe(self._on_deleted, types=(ModelDeleted,))]

    def _on_version(self, event: Event) -> None:
        # Only models this process already answered suggestions for: a process does not score
        # every pool of every model it hears about.
        if self.holds(event.model_id):
            threading.Thread(target=self._warm, args=(event.handle,), daemon=True,
                             name=f"u22a8-suggestions-{event.model_id}").start()

    def _warm(self, handle: str) -> None:
        try:
            version = self._store.models.active_version(handle)
            if version is not None:
                self.picks(version, 50)
        except Exception:  # noqa: BLE001 - a warm-up that fails leaves the work to the next request
            pass

    def _on_deleted(self, event: Event) -> None:
        self.forget_model(event.model_id)


def _take(scored: ScoredPool, order: list[int]) -> ScoredPool:
    """The rows of ``scored`` in ``order``."""
    index = np.asarray(order, dtype=np.int64)
    return ScoredPool(scored.uncertainty[index], [scored.guesses[i] for i in order], scored.vectors[index])


def _merge(old: ScoredPool, known: np.ndarray, fresh: ScoredPool, new_rows: np.ndarray) -> ScoredPool:
    """``old``'s rows where ``known`` points into it, ``fresh``'s (in order) at ``new_rows``."""
    n = len(known)
    unsure = np.zeros(n, dtype=np.float32)
    vectors = np.zeros((n, old.vectors.shape[1] if len(old) else fresh.vectors.shape[1]), dtype=np.float32)
    kept = np.flatnonzero(known >= 0)
    unsure[kept] = old.uncertainty[known[kept]]
    vectors[kept] = old.vectors[known[kept]]
    guesses: list[dict[str, Any]] = [old.guesses[k] if k >= 0 else {} for k in known.tolist()]
    if len(new_rows):
        unsure[new_rows] = fresh.uncertainty
        vectors[new_rows] = fresh.vectors
        for j, i in enumerate(new_rows.tolist()):
            guesses[i] = fresh.guesses[j]
    return ScoredPool(unsure, guesses, vectors)
