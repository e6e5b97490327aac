"""What a dataset needs before it can be trained, and when a retrain may replace its parent.

Minimums (the reasons are statistical, not arbitrary):

- **classify**: at least 2 labels with at least 2 samples each. One sample of a label can be
  either trained on or held out, never both, so the label could never be evaluated. Labels with
  a single sample are trained on but named in the data report.
- **multilabel**: at least 4 samples, and every label used must be present on at least 2
  samples and absent on at least 2, so each per-label decision has both sides in training and
  in evaluation (and a threshold can be tuned).
- **score**: at least 8 samples with at least 2 distinct values; a rank correlation on fewer
  held-out points is noise.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from .types import Dataset, TooFewSamples

__all__ = ["MIN_PER_CLASS", "MIN_CLASSES", "MIN_SCORE_SAMPLES", "MIN_MULTILABEL_SIDE", "check_trainable",
           "missing_for_counts", "should_promote"]

MIN_CLASSES = 2
MIN_PER_CLASS = 2
MIN_SCORE_SAMPLES = 8
MIN_MULTILABEL_SIDE = 2


def check_trainable(data: Dataset) -> None:
    """Raise :class:`TooFewSamples` listing, in words, everything the data lacks."""
    if data.task == "classify":
        counts = Counter(str(t) for t in data.targets)
    elif data.task == "multilabel":
        counts = Counter(lab for t in data.targets for lab in set(_as_list(t)))
    else:
        counts = Counter()
    distinct = len({float(t) for t in data.targets}) if data.task == "score" else 0  # type: ignore[arg-type]
    missing = missing_for_counts(data.task, len(data.texts), counts, distinct)
    if missing:
        raise TooFewSamples(missing)


def missing_for_counts(task: str, n_samples: int, label_counts: Mapping[str, int], distinct_scores: int = 0) -> list[str]:
    """What samples with these counts lack for training, in words (empty: nothing).

    Counts are all it needs, so the API can answer a train request from aggregates its database
    computes instead of loading every sample. ``label_counts``: samples per label (classify) or
    samples carrying each label (multilabel); ``distinct_scores``: distinct values (score).
    """
    missing: list[str] = []
    n, counts = n_samples, label_counts
    if task == "classify":
        if sum(c >= MIN_PER_CLASS for c in counts.values()) < MIN_CLASSES:
            missing.append(
                f"classify needs at least {MIN_CLASSES} labels with {MIN_PER_CLASS} or more samples each; "
                f"{_describe(counts)}"
            )
    elif task == "multilabel":
        if n < 2 * MIN_MULTILABEL_SIDE:
            missing.append(f"multilabel needs at least {2 * MIN_MULTILABEL_SIDE} samples (have {n})")
        if not counts:
            missing.append("no sample carries a label yet")
        for lab in sorted(counts):
            if counts[lab] < MIN_MULTILABEL_SIDE:
                missing.append(f"label {lab!r} is on {counts[lab]} sample(s); it needs at least {MIN_MULTILABEL_SIDE}")
            elif n - counts[lab] < MIN_MULTILABEL_SIDE:
                missing.append(
                    f"label {lab!r} is on {counts[lab]} of {n} samples; at least {MIN_MULTILABEL_SIDE} samples "
                    "must lack it"
                )
    elif n < MIN_SCORE_SAMPLES:
        missing.append(f"score needs at least {MIN_SCORE_SAMPLES} samples (have {n})")
    elif distinct_scores < 2:
        missing.append("every sample has the same score; at least 2 distinct scores are needed")
    return missing


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


def _as_list(target: Any) -> list[str]:
    if isinstance(target, str):
        return [target]
    return [str(t) for t in target]


def _describe(counts: Mapping[str, int]) -> str:
    if not counts:
        return "there are no samples yet"
    # Most frequent first, ties in the order given (as Counter.most_common does).
    top = sorted(counts.items(), key=lambda kv: -kv[1])[:6]
    shown = ", ".join(f"{lab!r}: {c}" for lab, c in top)
    more = f" and {len(counts) - 6} more" if len(counts) > 6 else ""
    return f"have {shown}{more}"
