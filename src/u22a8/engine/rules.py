"""What a dataset needs before it can be trained, and when a retrain may replace its parent.

The minimums are the task's (see each module of :mod:`.tasks`, which gives their reasons);
this module applies them to a dataset or to counts a database aggregated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .tasks import get_task
from .tasks.classify import MIN_CLASSES, MIN_PER_CLASS
from .tasks.multilabel import MIN_MULTILABEL_SIDE
from .tasks.score import MIN_SCORE_SAMPLES
from .types import Dataset, TooFewSamples

__all__ = ["MIN_PER_CLASS", "MIN_CLASSES", "MIN_SCORE_SAMPLES", "MIN_MULTILABEL_SIDE", "check_trainable",
           "missing_for_counts", "should_promote"]


def check_trainable(data: Dataset) -> None:
    """Raise :class:`TooFewSamples` listing, in words, everything the data lacks."""
    task = get_task(data.task)
    missing = task.missing_for_counts(len(data.texts), task.label_counts(data.targets),
                                      task.distinct_values(data.targets))
    if missing:
        raise TooFewSamples(missing)


def missing_for_counts(task: str, n_samples: int, label_counts: Mapping[str, int], distinct_scores: int = 0) -> list[str]:
    """What samples with these counts lack for training, in words (empty: nothing).

    Counts are all it needs, so the API can answer a train request from aggregates its database
    computes instead of loading every sample. ``label_counts``: samples carrying each label;
    ``distinct_scores``: distinct values (tasks with number targets).
    """
    return get_task(task).missing_for_counts(n_samples, label_counts, distinct_scores)


def should_promote(new_metrics: dict[str, Any], old_metrics: dict[str, Any], tolerance: float) -> tuple[bool, str]:
    """Guarded retraining: promote unless the new primary metric is worse by more than ``tolerance``.

    A retrain sees more data, so a small drop is usually evaluation noise on a changed holdout,
    not a worse model: ``tolerance`` (absolute, same unit as the metric) absorbs it.
    """
    name = str(new_metrics.get("primary_name", "score"))
    new, old = new_metrics.get("primary"), old_metrics.get("primary")
    if new is None:
        return False, "the retrained model has no score"
    if old is None:
        return True, f"{name} {float(new):.4f}; the active version has no score to compare"
    if old_metrics.get("primary_name", name) != name:
        return True, f"metric changed from {old_metrics.get('primary_name')} to {name}; promoted without comparison"
    new, old = float(new), float(old)
    delta = new - old
    if delta >= 0:
        return True, f"{name} {new:.4f} ≥ {old:.4f} (+{delta:.4f})"
    if -delta <= tolerance:
        return True, f"{name} {new:.4f} vs {old:.4f} ({delta:.4f}, within tolerance {tolerance:g})"
    return False, f"{name} {new:.4f} is worse than {old:.4f} by {-delta:.4f}, beyond tolerance {tolerance:g}"
