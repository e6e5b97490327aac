"""Stored samples → the engine's Dataset."""

from __future__ import annotations

from collections.abc import Sequence

from ..engine import Dataset, Task
from ..store import TrainingSample

__all__ = ["build_dataset"]


def build_dataset(task: str, labels: Sequence[str] | None, samples: Sequence[TrainingSample]) -> Dataset:
    texts = [s.text for s in samples]
    if task == "classify":
        targets: list = [s.target["label"] for s in samples]
    elif task == "multilabel":
        targets = [list(s.target["labels"]) for s in samples]
    else:
        targets = [float(s.target["score"]) for s in samples]
    weights = [s.weight for s in samples]
    task_: Task = task  # type: ignore[assignment]
    return Dataset(task=task_, texts=texts, targets=targets, weights=weights, labels=list(labels) if labels else None)
