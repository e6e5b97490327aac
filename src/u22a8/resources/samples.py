"""Samples: a text and its target, as trained on and as shown; what an upload changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .fields import shown, shown_property

__all__ = ["TrainingSample", "Sample", "SampleCounts", "SampleStats"]


@dataclass(frozen=True)
class TrainingSample:
    """What a run trains on: a sample without its metadata and timestamps."""

    # The caller's id for the sample, unique within its model (the table's own key is internal).
    id: str = shown(column="sample_id")
    text: str = shown()
    # {"label": str} | {"labels": [str]} | {"score": float}; the API shows whichever it holds.
    target: dict[str, Any]

    @shown_property(required=False)
    def label(self) -> str | None:
        return self.target.get("label")

    @shown_property(required=False)
    def labels(self) -> list[str] | None:
        return self.target.get("labels")

    @shown_property(required=False)
    def score(self) -> float | None:
        return self.target.get("score")

    weight: float = shown()


@dataclass(frozen=True)
class Sample(TrainingSample):
    # ``metadata`` is a reserved name on ORM classes: the table maps the column as ``meta``.
    metadata: dict[str, Any] | None = shown(column="meta")
    created_at: datetime = shown()
    updated_at: datetime = shown()


@dataclass(frozen=True)
class SampleCounts:
    added: int = shown()
    updated: int = shown()
    unchanged: int = shown()
    # The model's total after the upload, counted in the upload's transaction.
    sample_count: int = shown()


@dataclass(frozen=True)
class SampleStats:
    """What the database aggregates over one model's samples, so no caller loads them all."""

    n_samples: int
    # Label → samples carrying it; most frequent first, ties in order of first appearance.
    label_counts: dict[str, int]
    distinct_scores: int  # 0 unless the model scores
