"""Large data within an effort's ceiling: the rows a search trains on, chosen the same way each run.

An effort promises a wall-clock ceiling whatever the number of samples. When its first trial
and final fit on every row would not fit (:func:`.estimate.affordable_rows`), the search and its
final fit use a sub-sample, and the run's report says so. The sub-sample is stable: a row is
in it when its text's hash ranks among the smallest, so a retrain that adds a few samples keeps
nearly the same rows (its n-gram counts and warm starts still apply), and every label keeps at
least a few rows however rare it is. A refit uses the cap its version was searched with.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from .estimate import affordable_rows
from .tasks import get_task
from .types import Dataset

__all__ = ["fit_rows", "subsample", "sized", "PER_LABEL_MIN"]

PER_LABEL_MIN = 20  # rows every label keeps in a sub-sample (all of them if it has fewer)


def _rank_keys(texts: list[str]) -> np.ndarray:
    """A stable pseudo-random order of the texts: the first 8 bytes of each one's hash."""
    keys = b"".join(hashlib.blake2b(t.encode("utf-8"), digest_size=8).digest() for t in texts)
    return np.frombuffer(keys, dtype=">u8")


def subsample(data: Dataset, rows: int) -> Dataset:
    """``rows`` of ``data`` (a few more when rare labels need them), in the data's order."""
    n = len(data.texts)
    if rows >= n:
        return data
    texts = [str(t) for t in data.texts]
    order = np.argsort(_rank_keys(texts), kind="stable")
    keep = np.zeros(n, dtype=bool)
    keep[order[:rows]] = True
    rules = get_task(data.task)
    if rules.has_labels and not any(isinstance(t, (list, tuple, set, frozenset)) for t in data.targets):
        # Each label's first rows in the same stable order, found by sorting (a loop over a
        # million rows in Python would cost seconds of the ceiling).
        _, label_of = np.unique(np.asarray([str(t) for t in data.targets]), return_inverse=True)
        ranked = label_of.ravel()[order]
        grouped = np.argsort(ranked, kind="stable")
        starts = np.searchsorted(ranked[grouped], np.arange(ranked.max() + 1))
        place = np.arange(n) - starts[ranked[grouped]]
        keep[order[grouped[place < PER_LABEL_MIN]]] = True
    elif rules.has_labels:
        seen: dict[Any, int] = {}
        for i in order:  # each label's first rows in the same stable order
            for label in _labels_of(data.targets[i]):
                if seen.get(label, 0) < PER_LABEL_MIN:
                    seen[label] = seen.get(label, 0) + 1
                    keep[i] = True
    picked = np.flatnonzero(keep)
    return Dataset(task=data.task, texts=[texts[i] for i in picked], targets=[data.targets[i] for i in picked],
                   weights=None if data.weights is None else [data.weights[i] for i in picked], labels=data.labels)


def _labels_of(target: Any) -> list[Any]:
    return list(target) if isinstance(target, (list, tuple, set, frozenset)) else [target]


def fit_rows(data: Dataset, effort: str, seconds: float) -> int:
    """How many rows a search at ``effort`` with ``seconds`` left trains on."""
    n = len(data.texts)
    if n == 0:
        return 0
    step = max(1, n // 2000)  # the mean length of a spread of texts is enough
    mean_chars = float(np.mean([len(str(t)) for t in data.texts[::step]]))
    rules = get_task(data.task)
    n_labels = len({x for t in data.targets[::step] for x in _labels_of(t)}) if rules.has_labels else 1
    if rules.has_labels and data.labels:
        n_labels = max(n_labels, len(data.labels))
    return affordable_rows(effort, n, n_labels, data.task, mean_chars, seconds)


def sized(data: Dataset, rows: int | None, why: str) -> tuple[Dataset, list[str]]:
    """``data`` cut to ``rows`` (None: all), and the report's note saying so."""
    n = len(data.texts)
    if rows is None or rows >= n:
        return data, []
    sub = subsample(data, rows)
    return sub, [f"searched and fitted on {len(sub.texts):,} of {n:,} samples ({why}); "
                 f"a higher effort trains on more"]
