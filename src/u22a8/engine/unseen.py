"""Held-out texts of intents the model never saw: what a fallback threshold should be tuned on.

A model with few or no fallback examples has nothing to tune its fallback on. Hiding a class's
column from an ordinary held-out row (renormalising the rest) is cheap but too easy: the model
saw that class, so the rest of the row is diffuse noise, while a text of a really unseen class
lands confidently on its nearest known class (bench/RESULTS.md, Banking77). So this refits the
version's members once more on protocol fold 1's training rows *without* a seeded quarter of the
classes, and mixes their outputs on that fold's held-out texts of those classes, with the
members' own temperatures and weights: texts of classes the model never saw, as the served
model would see them. One more fit per member (as one protocol fold costs).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .training import Workspace

__all__ = ["UNSEEN_SHARE", "unseen_class_outputs"]

UNSEEN_SHARE = 0.25  # of the real classes hidden from the extra fit
_SEED = 0
# finetuned_members.FT_KEY: that module imports assemble, which imports this one
_TUNED = "finetune"


def unseen_class_outputs(ws: Workspace, members: list[dict[str, Any]], temps: list[float], total: float,
                         fallback_column: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Mixed probabilities of held-out texts whose class the members were not fitted on, those
    texts' rows and the rows the members were fitted on (None when it cannot be done: fewer than
    4 real classes, a fine-tuned member, or nothing held out)."""
    if any(m.get("features", {}).get(_TUNED) for m in members):  # refitting a fine-tuned encoder takes minutes
        return None
    real = [c for c in np.unique(ws.y) if c != fallback_column]
    hidden_n = int(round(UNSEEN_SHARE * len(real)))
    if len(real) < 4 or hidden_n < 1:
        return None
    hidden = np.random.default_rng(_SEED).choice(real, size=hidden_n, replace=False)
    train, test = ws.folds[0]
    keep = ~np.isin(ws.y[train], hidden)
    unseen = np.isin(ws.y[test], hidden)
    if not unseen.any() or len(np.unique(ws.y[train][keep])) < 2:
        return None
    mixed: np.ndarray | None = None
    for member, t in zip(members, temps):
        x_train, x_test = ws.matrices(member["features"], 0)
        head = ws.fit_head(member, x_train[np.flatnonzero(keep)], train[keep])
        out = ws.head_output(head, x_test[np.flatnonzero(unseen)])
        part = ws.task_rules.apply_temperature(out, t) * (float(member.get("weight", 1.0)) / total)
        mixed = part if mixed is None else mixed + part
    assert mixed is not None
    return mixed, test[unseen], train[keep]
