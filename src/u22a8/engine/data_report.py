"""What is worth knowing about the data before training on it: duplicates, conflicts, balance."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from .tasks import get_task
from .types import Dataset

__all__ = ["data_report", "SAMPLE_TEXT_FIELDS"]

_EXAMPLES = 5
# The report's fields that quote sample texts: a reader who may not see the samples gets them empty.
SAMPLE_TEXT_FIELDS = ("conflict_examples",)


def data_report(data: Dataset) -> dict[str, Any]:
    task = get_task(data.task)
    texts = [str(t) for t in data.texts]
    by_text: dict[str, list[Any]] = defaultdict(list)
    for text, target in zip(texts, data.targets):
        by_text[" ".join(text.lower().split())].append(task.report_key(target))  # case/space-insensitive
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
    report.update(task.report(data.targets, [str(x) for x in data.labels or []]))
    return report
