"""Large data within an effort's ceiling: the rows a search trains on, chosen the same way each run.

An effort promises a wall-clock ceiling whatever the number of samples. When its first trial
and final fit on every row would not fit (:func:`.estimate.affordable_rows`), the search and its
final fit use a sub-sample, and the run's report says so. The sub-sample is stable: a row is
in it when its text's hash ranks among the smallest, so a retrain that adds a few samples keeps
nearly the same rows (its n-gram counts and warm starts still apply), and every label keeps at
least a few rows however rare it is. A refit uses the cap its version was searched with.

The hash is the SHA-256 the store keeps of every text (``samples.text_hash``; its first 64
bits, ``samples.text_key``, are indexed with the model), so the runs layer draws the same rows
in SQL and reads only those: with a million stored samples, reading every row into the worker
and hashing it here cost more than the low ceiling (bench/RESULTS.md). :func:`search_rows` is the cap both draws use; :func:`drawn_note` says what
a search or refit on a draw made by the store trained on.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from .budget import BUDGETS
from .estimate import COSTS, affordable_rows
from .tasks import get_task
from .types import Dataset

__all__ = ["fit_rows", "search_rows", "subsample", "sized", "drawn_note", "PER_LABEL_MIN"]

PER_LABEL_MIN = 20  # rows every label keeps in a sub-sample (all of them if it has fewer)


def _rank_keys(texts: list[str]) -> np.ndarray:
    """A stable pseudo-random order of the texts: the first 8 bytes of each one's SHA-256, the
    order of the store's hex ``text_hash`` (ties, equal texts, stay in the data's order)."""
    keys = b"".join(hashlib.sha256(t.encode("utf-8")).digest()[:8] for t in texts)
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


def search_rows(effort: str, n_stored: int, n_labels: int, task: str, mean_chars: float,
                time_limit_seconds: float | None = None, memory_bytes: float | None = None) -> int:
    """How many of ``n_stored`` rows a search at ``effort`` trains on: what its ceiling (or the
    lower ``time_limit_seconds``) affords once every stored row has cost ``COSTS["per_row"]``,
    and what ``memory_bytes`` of training memory holds (when given).

    It follows from the data's size and the effort alone (the reference machine's speed, not
    this one's load), so the same data and effort train on the same rows: a seeded search stays
    reproducible."""
    ceiling = BUDGETS[effort].seconds
    if time_limit_seconds is not None:
        ceiling = min(ceiling, time_limit_seconds)
    return affordable_rows(effort, n_stored, n_labels, task, mean_chars, ceiling - COSTS["per_row"] * n_stored,
                           memory_bytes)


def fit_rows(data: Dataset, effort: str, time_limit_seconds: float | None = None,
             memory_bytes: float | None = None) -> int:
    """:func:`search_rows` for a data set held in memory whole."""
    n = len(data.texts)
    if n == 0:
        return 0
    step = max(1, n // 2000)  # the mean length of a spread of texts is enough
    mean_chars = float(np.mean([len(str(t)) for t in data.texts[::step]]))
    rules = get_task(data.task)
    n_labels = len({x for t in data.targets[::step] for x in _labels_of(t)}) if rules.has_labels else 1
    if rules.has_labels and data.labels:
        n_labels = max(n_labels, len(data.labels))
    return search_rows(effort, n, n_labels, data.task, mean_chars, time_limit_seconds, memory_bytes)


def sized(data: Dataset, rows: int | None, why: str) -> tuple[Dataset, list[str]]:
    """``data`` cut to ``rows`` (None: all), and the report's note saying so."""
    n = len(data.texts)
    if rows is None or rows >= n:
        return data, []
    sub = subsample(data, rows)
    return sub, drawn_note(len(sub.texts), n, why)


def drawn_note(trained: int, stored: int, why: str) -> list[str]:
    """The report's note for a search or refit on ``trained`` of ``stored`` rows (none: all)."""
    if trained >= stored:
        return []
    return [f"searched and fitted on {trained:,} of {stored:,} samples ({why}); a higher effort trains on more"]
