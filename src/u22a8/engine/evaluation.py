"""The evaluation protocol: folds and what the protocol holds out (metrics are the task's).

One protocol serves the search's final metrics and every refit, so a retrain's numbers are
comparable with the version it may replace:

- the data is split into 5 folds (stratified by label where the task has one label per sample,
  shuffled otherwise) with a fixed seed, independent of the search seed;
- up to ``SMALL_DATA`` samples, all 5 folds are held out in turn (5-fold cross-validation: on
  small data a single holdout is too noisy, and fits are cheap);
- above it, fold 1 alone is held out (a 20 % holdout: two fits in all, which keeps a large refit
  within seconds).

Searches score trials on the same folds (the first ones first), so the protocol folds of the
best trial are already computed when the search ends.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold

from .tasks import get_task

__all__ = ["N_FOLDS", "SMALL_DATA", "SPLIT_SEED", "make_folds", "protocol_folds", "protocol_name", "fold_score"]

N_FOLDS = 5
SMALL_DATA = 2000
SPLIT_SEED = 0

Split = tuple[np.ndarray, np.ndarray]


def make_folds(y: np.ndarray, stratum: np.ndarray | None = None) -> list[Split]:
    """All ``N_FOLDS`` (train, test) index pairs; fewer when there are fewer samples than folds.

    Stratified by ``stratum`` (the task's labels, see :meth:`.tasks.Task.fold_stratum`) when
    every fold can hold one of its largest label; shuffled otherwise.
    """
    n = len(y)
    k = max(2, min(N_FOLDS, n))
    idx = np.zeros(n)
    with warnings.catch_warnings():
        # A label with fewer samples than folds is fine: it just misses from some test folds.
        warnings.simplefilter("ignore", UserWarning)
        if stratum is not None and np.bincount(stratum).max() >= k:
            splitter: Any = StratifiedKFold(k, shuffle=True, random_state=SPLIT_SEED)
            return [(tr, te) for tr, te in splitter.split(idx, stratum)]
        splitter = KFold(k, shuffle=True, random_state=SPLIT_SEED)
        return [(tr, te) for tr, te in splitter.split(idx)]


def protocol_folds(n_samples: int, n_folds: int) -> int:
    """How many of the folds the protocol holds out."""
    return n_folds if n_samples <= SMALL_DATA else 1


def protocol_name(n_samples: int, n_folds: int) -> str:
    if protocol_folds(n_samples, n_folds) == n_folds:
        return f"{n_folds}-fold cross-validation (out-of-fold predictions pooled), split seed {SPLIT_SEED}"
    return f"holdout: fold 1 of {n_folds} ({100 // n_folds}% of samples), split seed {SPLIT_SEED}"


def fold_score(task: str, y_true: np.ndarray, output: np.ndarray) -> float:
    """The task's primary metric on one fold from raw outputs, before any calibration."""
    return get_task(task).fold_score(y_true, output)
