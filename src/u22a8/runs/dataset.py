"""Stored samples → the engine's Dataset."""

from __future__ import annotations

from collections.abc import Sequence

from ..engine import Dataset, get_task
from ..store import TrainingSample

__all__ = ["build_dataset"]


def build_dataset(task: str, labels: Sequence[str] | None, samples: Sequence[TrainingSample]) -> Dataset:
    parse = get_task(task).parse_target
    return Dataset(task=task, texts=[s.text for s in samples], targets=[parse(s.target) for s in samples],
                   weights=[s.weight for s in samples], labels=list(labels) if labels else None)
