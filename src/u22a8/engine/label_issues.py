"""Likely label errors: confident learning on out-of-fold probabilities (our own implementation).

Every sample needs a probability that comes from a model that did not see it:

- up to the protocol's small-data size every sample is held out once by the protocol's 5 folds,
  so the version's own mixed, calibrated outputs serve (the whole ensemble);
- above it the protocol holds out one fold only, so a cheap member (the task's default TF-IDF
  word 1-2 + char 2-5 linear model, no embeddings; its n-gram counts are already in the
  workspace) is fitted on each of the 5 folds and calibrated with one temperature;
- unless those 4 extra fits do not fit in the time left (a search's ceiling; a retrain, which
  is on the path from new samples to a new version serving, never has it): then the held-out
  rows alone are looked at (:data:`HELD_OUT_ONLY`), and a retrain keeps its version's other
  issues (the runs layer merges them).

Confident learning (after Northcutt et al., 2021): the threshold ``t_j`` of class ``j`` is the
mean probability of ``j`` over the samples labeled ``j`` (its average self-confidence). A sample
is confidently of class ``j`` when ``p_j >= t_j``; among the classes it is confidently of, the
most probable one is its suggested label, and the sample is flagged when that is not its label.
Thresholds are capped at :data:`CONFIDENT_CAP`: on small, well-separated data calibrated
probabilities saturate (thresholds of 0.95) and a planted error at 0.94 for its true class would
count as confident of nothing. Flagged samples are ranked by self-confidence, lowest first.

On Banking77 (bench/RESULTS.md) the first version, which flagged every sample whose arg-max of
``p_j / t_j`` differed from its label, flagged three times the flipped labels and ranked by the
normalised margin did worse at the top than plain self-confidence: the textbook rule is kept.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .space import default_member
from .training import Workspace

__all__ = ["CHEAP_MEMBER", "HELD_OUT_ONLY", "MAX_ISSUES", "out_of_fold_probabilities", "rank_label_issues"]

CHEAP_MEMBER = "default TF-IDF word 1-2 + char 2-5 linear model, 5 folds"
# When the cheap member's 4 extra fits do not fit (a low search on large data, a retrain on the
# path from new samples to a new version serving), only the held-out rows are looked at.
HELD_OUT_ONLY = "the version's ensemble on its held-out rows (no time for the other folds)"
MAX_ISSUES = 2000  # kept per version: more than anyone reviews
CONFIDENT_CAP = 0.9  # a probability this high is confident whatever its class's average


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
    t = np.clip(np.minimum(class_thresholds(probs, y), CONFIDENT_CAP), 1e-6, None)
    rows = np.arange(n)
    confident = probs >= t  # per sample, the classes it is confidently of
    suggested = np.where(confident, probs, -1.0).argmax(axis=1)
    flagged = confident.any(axis=1) & (suggested != y)
    self_conf = probs[rows, y]
    idx = np.flatnonzero(flagged)
    idx = idx[np.lexsort((idx, self_conf[idx]))][:limit]  # least self-confident first, ties by position
    return [{"index": int(i), "label": labels[int(y[i])], "suggested_label": labels[int(suggested[i])],
             "self_confidence": round(float(self_conf[i]), 6), "score": round(float(probs[i, suggested[i]]), 6)}
            for i in idx]
