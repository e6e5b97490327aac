"""The heads of the built-in families, as scikit-learn estimators with raw outputs only.

A linear head asks its family (by name) for the scikit-learn model to fit, so one head class
serves every linear family; kNN asks its task how neighbours' targets combine. Their class
names and attributes are part of stored artifacts: keep them.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted

from ..neighbours import max_norm, top_k
from ..tasks import get_task
from ._base import get_family

__all__ = ["LinearHead", "MultiLabelHead", "ScoreHead", "KNNHead", "fit_quietly"]


def fit_quietly(model: Any, X: Any, y: np.ndarray, sample_weight: np.ndarray | None) -> Any:
    # An iteration cap reached is a speed/accuracy trade we chose; the search scores the result.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y, sample_weight=sample_weight)


def _estimator(head: Any) -> Any:
    return get_family(head.family).estimator(head)  # type: ignore[attr-defined]


class _LinearClassifierParams(BaseEstimator):  # type: ignore[misc]
    """The parameters every linear classifier family reads (each uses the ones it needs)."""

    def __init__(self, family: str = "svm", C: float = 0.5, alpha: float = 1e-4, class_weight: str | None = None,
                 seed: int = 0) -> None:
        self.family = family
        self.C = C
        self.alpha = alpha
        self.class_weight = class_weight
        self.seed = seed


class LinearHead(_LinearClassifierParams):
    """Single-label classifier; ``decision_function`` returns one column per class, always."""

    def fit(self, X: Any, y: np.ndarray, sample_weight: np.ndarray | None = None) -> "LinearHead":
        self.model_ = _estimator(self)
        fit_quietly(self.model_, X, y, sample_weight)
        self.classes_ = self.model_.classes_
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "model_")
        d = np.asarray(self.model_.decision_function(X), dtype=np.float64)
        if d.ndim == 1:  # binary: one margin m → two symmetric columns, softmax gives sigmoid(m)
            d = np.column_stack([-d / 2, d / 2])
        return d


class MultiLabelHead(_LinearClassifierParams):
    """One binary linear model per label; a label constant in training gets a constant margin.

    ``Y`` is a 0/1 matrix (samples × labels).
    """

    def fit(self, X: Any, Y: np.ndarray, sample_weight: np.ndarray | None = None) -> "MultiLabelHead":
        self.models_: list[Any] = []
        for j in range(Y.shape[1]):
            col = Y[:, j]
            if col.min() == col.max():
                self.models_.append(4.0 if col[0] else -4.0)
                continue
            self.models_.append(fit_quietly(_estimator(self), X, col, sample_weight))
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "models_")
        cols = [
            np.full(X.shape[0], m) if isinstance(m, float) else np.asarray(m.decision_function(X), dtype=np.float64)
            for m in self.models_
        ]
        return np.column_stack(cols)


class ScoreHead(BaseEstimator):  # type: ignore[misc]
    """Regression on the features by the family's linear regressor."""

    def __init__(self, family: str = "ridge", alpha: float = 1.0, C: float = 0.5, seed: int = 0) -> None:
        self.family = family
        self.alpha = alpha
        self.C = C
        self.seed = seed

    def fit(self, X: Any, y: np.ndarray, sample_weight: np.ndarray | None = None) -> "ScoreHead":
        self.model_ = _estimator(self)
        fit_quietly(self.model_, X, y, sample_weight)
        return self

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "model_")
        return np.asarray(self.model_.predict(X), dtype=np.float64)


class KNNHead(BaseEstimator):  # type: ignore[misc]
    """Nearest neighbours by cosine similarity, for L2-normalised sentence embeddings.

    Each of the ``k`` most similar training texts votes with weight ``exp(similarity / tau)``
    (times its sample weight). Its errors differ from a linear model's on n-grams, which is what
    makes it worth having in an ensemble. How the votes combine is the task's
    (:meth:`~u22a8.engine.tasks.Task.neighbour_output`). Which rows are the ``k`` most similar,
    ties included, is :mod:`~u22a8.engine.neighbours`'s rule, so a text finds the same neighbours
    alone, in a batch, or through the serving plan's pruned search.
    """

    _BATCH = 1024  # query rows per similarity block: bounds memory to BATCH × n_train floats

    def __init__(self, task: str = "classify", k: int = 10, tau: float = 0.05) -> None:
        self.task = task
        self.k = k
        self.tau = tau

    def fit(self, X: Any, y: np.ndarray, sample_weight: np.ndarray | None = None) -> "KNNHead":
        self.__dict__.pop("_xmax", None)
        self.X_ = _dense(X)
        self.y_ = np.asarray(y)
        self.w_ = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float32)
        classes, index = get_task(self.task).neighbour_targets(self.y_)
        if classes is not None:
            self.classes_ = classes
            self.index_ = index
        return self

    def _k(self) -> int:
        return max(1, min(int(self.k), self.X_.shape[0]))

    def max_norm(self) -> float:
        """:func:`~u22a8.engine.neighbours.max_norm` of the training rows: a pass over all of
        them, so kept once per loaded head (not stored: artifacts stay as they were)."""
        found = self.__dict__.get("_xmax")
        if found is None:
            found = self.__dict__["_xmax"] = max_norm(self.X_)
        return float(found)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        state.pop("_xmax", None)
        return state

    def _block(self, X: np.ndarray) -> np.ndarray:
        return self.vote(*top_k(self.X_, X, self._k(), self.max_norm()))

    def vote(self, idx: np.ndarray, top: np.ndarray) -> np.ndarray:
        """The output of neighbours ``idx`` with float32 sims ``top`` (queries × k, as
        :func:`~u22a8.engine.neighbours.top_k` gives them, largest first)."""
        w = np.exp((top - top.max(axis=1, keepdims=True)) / self.tau)
        if self.w_ is not None:
            w = w * self.w_[idx]
        w = w / np.clip(w.sum(axis=1, keepdims=True), 1e-12, None)
        targets = self.index_ if hasattr(self, "index_") else self.y_
        return get_task(self.task).neighbour_output(w, targets[idx], len(getattr(self, "classes_", ())))

    def decision_function(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "X_")
        X = _dense(X)
        if X.shape[0] == 0:
            return self._block(np.zeros((1, self.X_.shape[1]), dtype=np.float32))[:0]
        return np.concatenate([self._block(X[i : i + self._BATCH]) for i in range(0, X.shape[0], self._BATCH)])

    def predict(self, X: Any) -> np.ndarray:
        return self.decision_function(X)


def _dense(X: Any) -> np.ndarray:
    return np.asarray(X.toarray() if hasattr(X, "toarray") else X, dtype=np.float32)
