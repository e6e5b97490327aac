"""Loaded predictors, kept in memory by version so predict never touches the disk twice."""

from __future__ import annotations

import threading
from collections import OrderedDict

from threadpoolctl import threadpool_limits

from .. import engine
from ..store import Store, Version
from .stored_predictors import load_version_predictor

__all__ = ["PredictorCache", "limit_inference_threads"]


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
        predictor = load_version_predictor(self._store, version)
        with self._lock:
            self._items[version.id] = predictor
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return predictor


def limit_inference_threads() -> None:
    """One BLAS thread and one torch thread for predictions in this (the API's) process.

    A request multiplies one or a few rows, which a second thread hardly speeds up, and idle
    BLAS and OpenMP threads spin on a core for a while after each call: with requests every few
    milliseconds that spinning took a whole core from the training process beside the API, and
    doubled the time from new samples to the retrained version serving (bench/retrain_latency.py).
    """
    threadpool_limits(limits=1, user_api="blas")
    engine.set_inference_threads(1)
