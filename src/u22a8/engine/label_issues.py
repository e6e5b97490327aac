"""Likely label errors: confident learning on out-of-fold probabilities (our own implementation).

Every sample needs a probability that comes from a model that did not see it:

- up to the protocol's small-data size every sample is held out once by the protocol's 5 folds,
  so the version's own mixed, calibrated outputs serve (the whole ensemble);
- above it the protocol holds out one fold only, so a cheap member (the task's default TF-IDF
  word 1-2 + char 2-5 linear model, no embeddings; its n-gram counts are already in the
  workspace) is fitted on each of the 5 folds and calibrated with one temperature.

Confident learning (after Northcutt et al., 2021): the threshold ``t_j`` of class ``j`` is the
mean probability of ``j`` over the samples labeled ``j`` (its average self-confidence), and a
probability counts relative to its class's threshold, ``p_j / t_j``. The class a sample is most
confidently of is the arg-max of ``p_j / t_j``; a sample is flagged when that class is not its
label and the plain arg-max is not its label either (so a flag never contradicts what the model
would predict). The textbook rule counts a sample only when some ``p_j >= t_j``; with calibrated,
near-saturated probabilities on small data (thresholds of 0.95) it missed planted errors at 0.94,
so the ratio is compared instead. Flagged samples are ranked by the normalised margin
``p_label / t_label - max_{j != label} p_j / t_j`` (lowest first): a low probability means less
in a class the model finds hard, which is what the per-class thresholds measure.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .space import default_member
from .training import Workspace

__all__ = ["CHEAP_MEMBER", "MAX_ISSUES", "out_of_fold_probabilities", "rank_label_issues"]

CHEAP_MEMBER = "default TF-IDF word 1-2 + char 2-5 linear model, 5 folds"
MAX_ISSUES = 2000  # kept per version: more than anyone reviews


def out_of_fold_probabilities(ws: Workspace, protocol_rows: np.ndarray, mixed: np.ndarray) -> tuple[np.ndarray, str]:
    """Probabilities of every sample from a model that did not see it, and what made them."""
    if len(protocol_rows) == ws.n:
        probs = np.empty_like(mixed)
        probs[protocol_rows] = mixed
        return probs, "the version's ensemble, 5-fold cross-validation"
    member = default_member(ws.task)
    raw: np.ndarray | None = None
    for k, (_, test) in enumerate(ws.folds):
        out, _ = ws.fold_output(member, k)
        if raw is None:
            raw = np.empty((ws.n, out.shape[1]))
        raw[test] = out
    assert raw is not None
    probs, _ = ws.task_rules.calibrate(raw, ws.y)
    return probs, CHEAP_MEMBER


def class_thresholds(probs: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per class: the mean probability of the class over its own samples (1.0 for a class with none)."""
    k = probs.shape[1]
    sums = np.zeros(k)
    np.add.at(sums, y, probs[np.arange(len(y)), y])
    counts = np.bincount(y, minlength=k)
    return np.where(counts > 0, sums / np.maximum(counts, 1), 1.0)  # type: ignore[no-any-return]


def rank_label_issues(probs: np.ndarray, y: np.ndarray, labels: list[str],
                      limit: int = MAX_ISSUES) -> list[dict[str, Any]]:
    """Flagged samples, most suspect first: ``{index, label, suggested_label, self_confidence, score}``."""
    n = len(y)
    if n == 0 or probs.shape[1] < 2:
        return []
    t = np.clip(class_thresholds(probs, y), 1e-6, None)
    rows = np.arange(n)
    scaled = probs / t
    conf_class = scaled.argmax(axis=1)  # the class each sample is most confidently of
    flagged = (conf_class != y) & (probs.argmax(axis=1) != y)
    others = scaled.copy()
    others[rows, y] = -np.inf
    margin = scaled[rows, y] - others.max(axis=1)
    idx = np.flatnonzero(flagged)
    idx = idx[np.lexsort((idx, margin[idx]))][:limit]  # lowest margin first, ties by position
    return [{"index": int(i), "label": labels[int(y[i])], "suggested_label": labels[int(conf_class[i])],
             "self_confidence": round(float(probs[i, y[i]]), 6), "score": round(float(margin[i]), 6)}
            for i in idx]
