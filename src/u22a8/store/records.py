"""Frozen records that cross the store's boundary instead of live ORM rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["ApiKey", "Model", "Sample", "Run", "RunEvent", "Version", "SampleCounts", "SampleStats", "ACTIVE_RUN_STATES", "FINAL_RUN_STATES"]

ACTIVE_RUN_STATES = ("queued", "running")
FINAL_RUN_STATES = ("succeeded", "failed", "canceled")


@dataclass(frozen=True)
class ApiKey:
    id: str
    owner: str
    name: str
    scopes: frozenset[str]
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class Version:
    id: int
    model_id: int
    number: int
    run_id: str
    params: dict[str, Any]
    metrics: dict[str, Any]
    report: dict[str, Any]
    sample_ids: list[str]
    artifact_key: str
    artifact_sha256: str
    created_at: datetime


@dataclass(frozen=True)
class Run:
    id: str
    model_id: int
    handle: str
    kind: str
    state: str
    effort: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    trials_planned: int | None
    trials_done: int
    best_score: float | None
    eta_seconds: float | None
    # What runs before the trials (e.g. "fine-tuning MiniLM: 120/940 steps"); None during trials
    # and once the run has ended.
    phase: str | None
    cpu_seconds: float | None
    error: str | None
    decision: str | None
    version_number: int | None
    attempts: int
    cancel_requested: bool
    lease_owner: str | None
    lease_expires_at: datetime | None

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_RUN_STATES


@dataclass(frozen=True)
class Model:
    id: int
    handle: str
    owner: str
    name: str
    task: str
    description: str
    labels: list[str] | None
    auto_retrain: bool
    quiet_seconds: float
    active_version: Version | None
    sample_count: int
    last_run: Run | None
    # The search run in flight, if any: its presence is what makes the model busy.
    active_search: Run | None
    retrain_due_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @property
    def state(self) -> str:
        if self.active_search is not None:
            return "busy"
        return "ready" if self.active_version is not None else "draft"


@dataclass(frozen=True)
class TrainingSample:
    """What a run trains on: a sample without its metadata and timestamps."""

    id: str
    text: str
    target: dict[str, Any]
    weight: float


@dataclass(frozen=True)
class Sample(TrainingSample):
    metadata: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class SampleCounts:
    added: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class SampleStats:
    """What the database aggregates over one model's samples, so no caller loads them all."""

    n_samples: int
    # Label → samples carrying it; most frequent first, ties in order of first appearance.
    label_counts: dict[str, int]
    distinct_scores: int  # 0 unless the model scores


@dataclass(frozen=True)
class RunEvent:
    id: int
    run_id: str
    at: datetime
    type: str
    data: dict[str, Any]
