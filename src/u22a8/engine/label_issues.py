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

The list: every sample whose given label is not its most probable one, plus those confident
learning (after Northcutt et al., 2021) finds confidently of another class, ranked by
self-confidence (the out-of-fold probability of the given label), lowest first. Ranked so, the
list is at least as good at the top as plain self-confidence (it is that ranking, cut where the
model agrees with the label, give or take the rare confident-learning flag it agrees with).

``flagged`` marks the part of the list a reviewer may relabel to the suggestion without
reading, and it is stricter than textbook confident learning:

- confident learning: the threshold ``t_j`` of class ``j`` is the mean probability of ``j`` over
  the samples labeled ``j``; a sample is confidently of ``j`` when ``p_j >= t_j``, and the most
  probable of the classes it is confidently of is its suggestion. Thresholds are capped at
  :data:`CONFIDENT_CAP`: on small, well-separated data calibrated probabilities saturate and a
  planted error at 0.94 for its true class would count as confident of nothing;
- and its given label ``i`` must be no likelier for it than the most that nine in ten samples
  labeled with the suggested class ``j`` give ``i`` (the 90th percentile, :data:`USUAL_SHARE`). A real mistake gives its wrong
  label about the probability any sample of its true class does; a correctly labeled sample of
  two confusable classes gives its own label more, and relabeling those is what made "relabel
  every flagged sample" lower test accuracy (bench/RESULTS.md, scope-history). The mean instead
  of the 90th percentile was stricter still on Banking77 but missed a planted error in small,
  well-separated data, where a tenth of a class's samples span the few percent it leaves.

A sample listed but not flagged gets the most probable label other than its own as suggestion.
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
# Flagged: the given label no likelier than for this share of the suggested class's samples (see above).
USUAL_SHARE = 0.9


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


def usual_probabilities(probs: np.ndarray, y: np.ndarray, share: float = USUAL_SHARE) -> np.ndarray:
    """``[j, i]``: the probability of class ``i`` that ``share`` of the samples labeled ``j`` do
    not exceed (0 for a class with no samples)."""
    k = probs.shape[1]
    out = np.zeros((k, k))
    for j in np.unique(y):
        out[j] = np.quantile(probs[y == j], share, axis=0)
    return out


def rank_label_issues(probs: np.ndarray, y: np.ndarray, labels: list[str],
                      limit: int = MAX_ISSUES) -> list[dict[str, Any]]:
    """Listed samples, most suspect first:
    ``{index, label, suggested_label, self_confidence, score, flagged}`` (``score``: the
    probability of the suggestion)."""
    n = len(y)
    if n == 0 or probs.shape[1] < 2:
        return []
    rows = np.arange(n)
    t = np.clip(np.minimum(class_thresholds(probs, y), CONFIDENT_CAP), 1e-6, None)
    confident = probs >= t  # per sample, the classes it is confidently of
    cl_suggested = np.where(confident, probs, -1.0).argmax(axis=1)
    disagrees = confident.any(axis=1) & (cl_suggested != y)  # off the confident joint's diagonal
    others = probs.copy()
    others[rows, y] = -1.0
    suggested = np.where(disagrees, cl_suggested, others.argmax(axis=1))
    self_conf = probs[rows, y]
    flagged = disagrees & (self_conf <= usual_probabilities(probs, y)[suggested, y])
    listed = np.flatnonzero(disagrees | (probs.argmax(axis=1) != y))
    idx = listed[np.lexsort((listed, self_conf[listed]))][:limit]  # least self-confident first, ties by position
    return [{"index": int(i), "label": labels[int(y[i])], "suggested_label": labels[int(suggested[i])],
             "self_confidence": round(float(self_conf[i]), 6), "score": round(float(probs[i, suggested[i]]), 6),
             "flagged": bool(flagged[i])}
            for i in idx]
