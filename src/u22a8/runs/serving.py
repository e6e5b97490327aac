"""Loaded predictors, kept in memory by version so predict never touches the disk twice."""

from __future__ import annotations

import threading
from collections import OrderedDict

from .. import engine
from ..store import Store, Version

__all__ = ["PredictorCache"]


class PredictorCache:
    def __init__(self, store: Store, size: int = 32) -> None:
        self._store = store
        self._size = size
        self._items: OrderedDict[int, engine.Predictor] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, version: Version) -> engine.Predictor:
        with self._lock:
            hit = self._items.get(version.id)
            if hit is not None:
                self._items.move_to_end(version.id)
                return hit
        # Load outside the lock: a big artifact must not stall predictions of other models.
        data = self._store.artifacts.get(version.artifact_key, version.artifact_sha256)
        predictor = engine.load_predictor(data, version.artifact_sha256)
        with self._lock:
            self._items[version.id] = predictor
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return predictor
