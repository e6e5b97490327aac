"""Stored samples → the engine's Dataset."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..engine import Dataset, get_task
from ..store import TrainingSample

__all__ = ["build_dataset", "label_issue_rows"]


def build_dataset(task: str, labels: Sequence[str] | None, samples: Sequence[TrainingSample], *,
                  fallback_label: str | None = None, fallback_min_precision: float | None = None) -> Dataset:
    parse = get_task(task).parse_target
    return Dataset(task=task, texts=[s.text for s in samples], targets=[parse(s.target) for s in samples],
                   weights=[s.weight for s in samples], labels=list(labels) if labels else None,
                   fallback_label=fallback_label, fallback_min_precision=fallback_min_precision)


def label_issue_rows(issues: Sequence[dict[str, Any]], samples: Sequence[TrainingSample]) -> list[dict[str, Any]]:
    """The engine's label issues (by position in the dataset) by sample id, as a version keeps them."""
    return [{"sample_id": samples[int(i["index"])].id, "label": i["label"], "suggested_label": i["suggested_label"],
             "self_confidence": i["self_confidence"], "score": i["score"], "flagged": i["flagged"]} for i in issues]
