"""Warm starts for the linear SVM: each fit's dual variables kept per text, so the next fit on
nearly the same data starts where the last one ended (see :mod:`.dual_cd`).

A run that fits an SVM member keeps, per *part* (``full``: all rows, the served model;
``holdout``: the protocol's first training fold, which the promotion guard scores), the
member's ``α`` by text key, next to the n-gram counts snapshots of the same data set and
under the same name prefix (so deleting a model's counts deletes these too). The next refit
looks each of its rows up; when nearly all are found and the labels are the same it runs one
pass of dual coordinate descent from there instead of liblinear from zero. When only most are
found (a search that ran out of time serves its held-out fit and keeps no ``full`` part, so the
first retrain's final fit starts from the held-out fit's rows, about four in five) the rows not
found start at zero and it runs two passes. Anything else (another label set, many new rows,
an unreadable file) fits from zero as before.

Files are ``.npz`` read with ``allow_pickle=False``, written to a temporary name first.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.svm import LinearSVC

from .cache import text_key
from .counts_cache import _digest, track_save
from .dual_cd import DualProblem, solve

__all__ = ["WarmStart", "WarmStarts", "svm_problem", "warm_svc", "WARM_MAX_ROWS", "WARM_MIN_COVERED",
           "WARM_CLOSE_COVERED"]

log = logging.getLogger("u22a8.engine")

WARM_MAX_ROWS = 100_000  # above this a run keeps no warm start (rows × labels floats per part)
WARM_MIN_COVERED = 0.78  # the share of rows that must have a start; else liblinear from zero (a held-out
# fit has four in five of a data set's rows: with a few new ones, a full fit may start from it)
WARM_CLOSE_COVERED = 0.97  # from a start this close one pass predicts like a converged fit (bench/RESULTS.md)
_PASSES_CLOSE, _PASSES_PARTIAL = 1, 2  # a fifth of the rows at zero needs a second pass (bench/RESULTS.md)


class WarmStart(NamedTuple):
    """A fit's starting ``α`` (rows × columns) and the share of its rows a stored fit had."""

    alpha: np.ndarray
    covered: float

    @property
    def passes(self) -> int:
        return _PASSES_CLOSE if self.covered >= WARM_CLOSE_COVERED else _PASSES_PARTIAL


def svm_problem(x: sp.csr_matrix, y: np.ndarray, classes: np.ndarray, c: float, class_weight: str | None,
                sample_weight: np.ndarray | None) -> DualProblem:
    """LinearSVC's one-vs-rest problems as liblinear weighs them: a column's positive rows cost
    ``C`` times their class weight, its negative rows ``C`` (both, in the binary case, their own
    class's weight), each times the row's sample weight."""
    index = np.searchsorted(classes, y)
    k = len(classes)
    if class_weight == "balanced":
        weights = len(y) / (k * np.bincount(index, minlength=k).astype(np.float64))
    else:
        weights = np.ones(k)
    sw = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if k == 2:  # one problem: classes[1] positive
        signs = np.where(index == 1, 1.0, -1.0)[:, None]
        cost = (c * weights[index] * sw)[:, None]
    else:
        positive = index[:, None] == np.arange(k)[None, :]
        signs = np.where(positive, 1.0, -1.0)
        cost = c * sw[:, None] * np.where(positive, weights[None, :], 1.0)
    return DualProblem(x=x, signs=signs, c=cost)


def warm_svc(model: LinearSVC, problem: DualProblem, classes: np.ndarray, start: WarmStart,
             seed: int = 0) -> tuple[LinearSVC, np.ndarray]:
    """``model`` (an unfitted LinearSVC, the class every SVM head holds, with the head's settings)
    fitted by :func:`.dual_cd.solve` from ``start``, and its dual variables (kept for the next
    run, never in the model)."""
    coef, intercept, alpha, passes = solve(problem, start.alpha, max_passes=start.passes, seed=seed)
    model.coef_, model.intercept_ = coef, intercept
    model.classes_ = classes
    model.n_features_in_ = problem.x.shape[1]
    model.n_iter_ = passes
    return model, alpha


class WarmStarts:
    """The ``α`` of the last fits of one data set's SVM members, by text."""

    def __init__(self, cache_dir: Path) -> None:
        self.root = Path(cache_dir) / "counts"

    def _path(self, name: str, member: Any, part: str) -> Path:
        return self.root / f"{_digest(name)}-warm-{_digest([member, part])}.npz"

    def start(self, name: str, member: Any, parts: Sequence[str], texts: Sequence[str],
              labels: Sequence[str]) -> WarmStart | None:
        """``α`` for ``texts`` from the first of ``parts`` that has the text (0 where none has), or
        None when too few are known. (A holdout fold's rows change with every new sample, since
        the folds are drawn anew; the rows it did not have start from the full fit's ``α``.)"""
        out: np.ndarray | None = None
        known = np.zeros(len(texts), dtype=bool)
        for part in parts:
            stored = self._load(self._path(name, member, part), labels)
            if stored is None:
                continue
            keys, alpha = stored
            row_of = {bytes(k): i for i, k in enumerate(keys)}
            found = np.array([row_of.get(text_key(t), -1) if not k else -1 for t, k in zip(texts, known)],
                             dtype=np.int64)
            if out is None:
                out = np.zeros((len(texts), alpha.shape[1]))
            elif out.shape[1] != alpha.shape[1]:
                continue
            out[found >= 0] = alpha[found[found >= 0]]
            known |= found >= 0
        if out is None or known.mean() < WARM_MIN_COVERED:
            return None
        return WarmStart(out, float(known.mean()))

    def _load(self, path: Path, labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray] | None:
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as z:
                keys, alpha, stored_labels = z["keys"], z["alpha"], z["labels"]
        except (OSError, ValueError, KeyError):
            log.warning("warm start %s unreadable; fitting from zero", path, exc_info=True)
            return None
        if [str(v) for v in stored_labels] != [str(v) for v in labels] or len(keys) != len(alpha):
            return None
        return keys, alpha

    def save(self, name: str, member: Any, part: str, texts: Sequence[str], labels: Sequence[str],
             alpha: np.ndarray) -> None:
        """Keep a fit's ``α`` (a liblinear fit's read off its margins: :func:`.dual_cd.dual_from_margins`)."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self._path(name, member, part)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            with open(tmp, "wb") as f:
                np.savez(f, keys=np.frombuffer(b"".join(text_key(t) for t in texts), dtype=np.uint8).reshape(-1, 32),
                         alpha=alpha.astype(np.float32), labels=np.asarray(list(labels), dtype=str))
            os.replace(tmp, path)
        except OSError:  # a full disk costs the next retrain a cold fit, nothing more
            log.warning("warm start not written", exc_info=True)
            tmp.unlink(missing_ok=True)

    def save_in_background(self, *args: Any) -> threading.Thread:
        """:meth:`save` off the run's path, tracked like the counts snapshots (a deleted model's
        cleanup waits for it)."""
        return track_save(self.save, *args, name="warm-start")
