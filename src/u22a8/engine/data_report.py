"""What is worth knowing about the data before training on it: duplicates, conflicts, balance."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import numpy as np

from .rules import MIN_MULTILABEL_SIDE, MIN_PER_CLASS
from .types import Dataset

__all__ = ["data_report"]

_EXAMPLES = 5


def _key(target: Any, task: str) -> Any:
    if task == "multilabel":
        return tuple(sorted({target} if isinstance(target, str) else {str(t) for t in target}))
    if task == "score":
        return round(float(target), 6)
    return str(target)


def data_report(data: Dataset) -> dict[str, Any]:
    texts = [str(t) for t in data.texts]
    by_text: dict[str, list[Any]] = defaultdict(list)
    for text, target in zip(texts, data.targets):
        by_text[" ".join(text.lower().split())].append(_key(target, data.task))  # case/space-insensitive
    duplicates = sum(len(v) - 1 for v in by_text.values())
    conflicts = [(t, v) for t, v in by_text.items() if len(set(v)) > 1]
    report: dict[str, Any] = {
        "n_samples": len(texts),
        "mean_chars": round(float(np.mean([len(t) for t in texts])), 1) if texts else 0.0,
        "empty_texts": sum(1 for t in texts if not t.strip()),
        "duplicate_texts": duplicates,
        "conflicting_texts": len(conflicts),
        "conflict_examples": [
            {"text": t[:200], "targets": [list(x) if isinstance(x, tuple) else x for x in sorted(set(v), key=str)]}
            for t, v in conflicts[:_EXAMPLES]
        ],
    }
    if data.task == "score":
        y = np.array([float(t) for t in data.targets], dtype=float)  # type: ignore[arg-type]
        report["score_range"] = [float(y.min()), float(y.max())] if len(y) else None
        report["score_mean"] = round(float(y.mean()), 6) if len(y) else None
        return report
    if data.task == "classify":
        counts = Counter(str(t) for t in data.targets)
        under = {lab: c for lab, c in counts.items() if c < MIN_PER_CLASS}
    else:
        counts = Counter(lab for t in data.targets for lab in _key(t, "multilabel"))
        under = {lab: c for lab, c in counts.items() if c < MIN_MULTILABEL_SIDE}
    declared = [str(x) for x in data.labels or []]
    report.update({
        "label_counts": dict(sorted(counts.items())),
        "labels_under_minimum": dict(sorted(under.items())),
        "declared_labels_without_samples": [lab for lab in declared if lab not in counts],
        "imbalance_ratio": round(max(counts.values()) / min(counts.values()), 3) if counts else None,
    })
    return report
