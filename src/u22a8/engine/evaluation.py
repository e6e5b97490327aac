"""The evaluation protocol and the metrics it reports.

One protocol serves the search's final metrics and every refit, so a retrain's numbers are
comparable with the version it may replace:

- the data is split into 5 folds (stratified by label for classify, shuffled otherwise) with a
  fixed seed, independent of the search seed;
- up to ``SMALL_DATA`` samples, all 5 folds are held out in turn (5-fold cross-validation: on
  small data a single holdout is too noisy, and fits are cheap);
- above it, fold 1 alone is held out (a stratified 20 % holdout: two fits in all, which keeps a
  10k-sample refit within seconds).

Searches score trials on the same folds (the first ones first), so the protocol folds of the
best trial are already computed when the search ends.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import confusion_matrix, f1_score, mean_absolute_error, precision_recall_fscore_support, r2_score
from sklearn.model_selection import KFold, StratifiedKFold

__all__ = ["N_FOLDS", "SMALL_DATA", "SPLIT_SEED", "make_folds", "protocol_folds", "protocol_name", "fold_score",
           "classify_metrics", "multilabel_metrics", "score_metrics", "PRIMARY"]

N_FOLDS = 5
SMALL_DATA = 2000
SPLIT_SEED = 0
PRIMARY = {"classify": "accuracy", "multilabel": "micro_f1", "score": "spearman"}

Split = tuple[np.ndarray, np.ndarray]


def make_folds(task: str, y: np.ndarray) -> list[Split]:
    """All ``N_FOLDS`` (train, test) index pairs; fewer when there are fewer samples than folds."""
    n = len(y)
    k = max(2, min(N_FOLDS, n))
    idx = np.zeros(n)
    with warnings.catch_warnings():
        # A label with fewer samples than folds is fine: it just misses from some test folds.
        warnings.simplefilter("ignore", UserWarning)
        if task == "classify" and np.bincount(y).max() >= k:
            splitter: Any = StratifiedKFold(k, shuffle=True, random_state=SPLIT_SEED)
            return [(tr, te) for tr, te in splitter.split(idx, y)]
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
    """The primary metric on one fold from raw outputs, before any calibration.

    classify: accuracy of the arg-max margin; multilabel: micro-F1 at margin 0; score: Spearman.
    """
    if task == "classify":
        return float(np.mean(output.argmax(axis=1) == y_true))
    if task == "multilabel":
        return float(f1_score(y_true, (output > 0).astype(int), average="micro", zero_division=0))
    return _spearman(y_true, output)


def _spearman(y: np.ndarray, yhat: np.ndarray) -> float:
    if len(y) < 2 or np.ptp(y) == 0 or np.ptp(yhat) == 0:
        return 0.0
    return float(spearmanr(y, yhat).statistic)


def _base(task: str, value: float, n_samples: int, protocol: str, n_eval: int) -> dict[str, Any]:
    return {"primary": round(float(value), 6), "primary_name": PRIMARY[task], "n_samples": int(n_samples),
            "n_evaluated": int(n_eval), "protocol": protocol}


def classify_metrics(y: np.ndarray, proba: np.ndarray, labels: list[str], n_samples: int, protocol: str) -> dict[str, Any]:
    pred = proba.argmax(axis=1)
    idx = list(range(len(labels)))
    p, r, f, s = precision_recall_fscore_support(y, pred, labels=idx, zero_division=0)
    acc = float(np.mean(pred == y))
    present = sorted(set(y.tolist()))  # macro-F1 over labels that were held out at least once
    out = _base("classify", acc, n_samples, protocol, len(y))
    out.update({
        "accuracy": round(acc, 6),
        "macro_f1": round(float(f1_score(y, pred, labels=present, average="macro", zero_division=0)), 6),
        "log_loss": round(float(-np.log(np.clip(proba[np.arange(len(y)), y], 1e-12, None)).mean()), 6),
        "per_class": {
            labels[i]: {"precision": round(float(p[i]), 6), "recall": round(float(r[i]), 6),
                        "f1": round(float(f[i]), 6), "support": int(s[i])}
            for i in idx
        },
        "confusion": {"labels": list(labels),
                      "matrix": confusion_matrix(y, pred, labels=idx).astype(int).tolist()},
    })
    return out


def multilabel_metrics(Y: np.ndarray, P: np.ndarray, labels: list[str], n_samples: int, protocol: str) -> dict[str, Any]:
    p, r, f, s = precision_recall_fscore_support(Y, P, zero_division=0)
    micro = float(f1_score(Y, P, average="micro", zero_division=0))
    out = _base("multilabel", micro, n_samples, protocol, len(Y))
    out.update({
        "micro_f1": round(micro, 6),
        "macro_f1": round(float(f1_score(Y, P, average="macro", zero_division=0)), 6),
        "subset_accuracy": round(float(np.mean((Y == P).all(axis=1))), 6),
        "per_label": {
            labels[j]: {"precision": round(float(p[j]), 6), "recall": round(float(r[j]), 6),
                        "f1": round(float(f[j]), 6), "support": int(s[j])}
            for j in range(len(labels))
        },
    })
    return out


def score_metrics(y: np.ndarray, yhat: np.ndarray, n_samples: int, protocol: str) -> dict[str, Any]:
    rho = _spearman(y, yhat)
    out = _base("score", rho, n_samples, protocol, len(y))
    out.update({
        "spearman": round(rho, 6),
        "mae": round(float(mean_absolute_error(y, yhat)), 6),
        "r2": round(float(r2_score(y, yhat)) if len(y) > 1 else 0.0, 6),
    })
    return out
