"""Request and response bodies. Unknown fields are rejected everywhere (extra="forbid")."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..service import AutoRetrain

__all__ = [
    "HANDLE_RE",
    "AutoRetrainIn",
    "auto_retrain_of",
    "ModelCreate",
    "ModelUpdate",
    "ModelPublic",
    "ModelList",
    "SampleIn",
    "SamplesBody",
    "SampleCountsPublic",
    "SamplePublic",
    "SampleList",
    "TrainBody",
    "TrainResponse",
    "RunPublic",
    "RunList",
    "VersionSummary",
    "VersionPublic",
    "PredictBody",
    "PredictResponse",
    "KeyCreate",
    "KeyPublic",
    "KeyCreated",
    "EstimateResponse",
]

HANDLE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,38}\.[a-z0-9][a-z0-9_-]{0,63}$")
LABEL_MAX = 200

Task = Literal["classify", "multilabel", "score"]
Effort = Literal["low", "medium", "high", "max"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_labels(labels: list[str] | None) -> list[str] | None:
    if labels is None:
        return None
    for label in labels:
        if not label.strip() or len(label) > LABEL_MAX or "\x00" in label or "|" in label:
            raise ValueError(f"bad label {label!r}: labels are 1-{LABEL_MAX} characters, without NUL or '|'")
    if len(set(labels)) != len(labels):
        raise ValueError("labels repeat")
    return labels


class AutoRetrainIn(_Strict):
    enabled: bool = True
    quiet_seconds: float | None = Field(default=None, ge=0, le=86400)


def auto_retrain_of(value: AutoRetrainIn | bool | None) -> AutoRetrain:
    """The body's ``auto_retrain`` in the domain's terms: a bare bool only switches it on or off,
    and an object switches it on unless it says ``enabled: false``."""
    if value is None:
        return AutoRetrain()
    if isinstance(value, bool):
        return AutoRetrain(enabled=value)
    return AutoRetrain(enabled=value.enabled, quiet_seconds=value.quiet_seconds)


class ModelCreate(_Strict):
    handle: str = Field(description="owner.name, e.g. acme.support-tone")
    task: Task
    description: str = Field(default="", max_length=2000)
    labels: list[str] | None = Field(default=None, description="A closed label set; samples outside it are refused.")
    auto_retrain: AutoRetrainIn | bool | None = None

    @field_validator("handle")
    @classmethod
    def _handle(cls, v: str) -> str:
        if not HANDLE_RE.match(v):
            raise ValueError("handle must be owner.name: owner [a-z0-9][a-z0-9-]{0,38}, name [a-z0-9][a-z0-9_-]{0,63}")
        return v

    @field_validator("labels")
    @classmethod
    def _labels(cls, v: list[str] | None) -> list[str] | None:
        return _check_labels(v)


class ModelUpdate(_Strict):
    description: str | None = Field(default=None, max_length=2000)
    labels: list[str] | None = None
    auto_retrain: AutoRetrainIn | bool | None = None

    @field_validator("labels")
    @classmethod
    def _labels(cls, v: list[str] | None) -> list[str] | None:
        return _check_labels(v)


class VersionSummary(BaseModel):
    number: int
    created_at: datetime
    metrics: dict[str, Any]


class RunPublic(BaseModel):
    id: str
    model: str
    kind: str
    state: str
    effort: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    trials_planned: int | None
    trials_done: int
    best_score: float | None
    elapsed_seconds: float | None
    eta_seconds: float | None
    # What runs before the trials, e.g. "fine-tuning MiniLM: 120/940 steps"; null during the
    # trials and once the run has ended.
    phase: str | None
    cpu_seconds: float | None
    attempts: int
    error: str | None
    decision: str | None
    version: int | None


class AutoRetrainPublic(BaseModel):
    enabled: bool
    quiet_seconds: float


class ModelPublic(BaseModel):
    handle: str
    owner: str
    task: str
    description: str
    labels: list[str] | None
    state: str
    sample_count: int
    active_version: VersionSummary | None
    last_run: RunPublic | None
    auto_retrain: AutoRetrainPublic
    created_at: datetime
    updated_at: datetime


class ModelList(BaseModel):
    items: list[ModelPublic]
    next_cursor: str | None


class SampleIn(_Strict):
    id: str | None = Field(default=None, min_length=1, max_length=200)
    text: str
    label: str | None = None
    labels: list[str] | None = None
    score: float | None = None
    weight: float = Field(default=1.0, gt=0, le=1e6)
    metadata: dict[str, Any] | None = None

    @field_validator("text")
    @classmethod
    def _text(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("text is empty")
        if "\x00" in v:
            raise ValueError("text contains a NUL byte")
        return v

    @field_validator("score")
    @classmethod
    def _score(cls, v: float | None) -> float | None:
        if v is not None and not math.isfinite(v):
            raise ValueError("score must be a finite number")
        return v

    @field_validator("weight")
    @classmethod
    def _weight(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError("weight must be a finite number")
        return v


class SamplesBody(_Strict):
    samples: list[Any]


class SampleCountsPublic(BaseModel):
    added: int
    updated: int
    unchanged: int
    sample_count: int


class SamplePublic(BaseModel):
    id: str
    text: str
    label: str | None = None
    labels: list[str] | None = None
    score: float | None = None
    weight: float
    metadata: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime


class SampleList(BaseModel):
    items: list[SamplePublic]
    next_cursor: str | None


class TrainBody(_Strict):
    """POST /v1/models/{handle}/train body. All fields optional."""

    effort: Effort | None = Field(default=None, description="low|medium|high|max; null means medium.")
    reoptimize_params: bool = Field(default=False, description="Force a fresh parameter search from a ready model.")


class TrainResponse(BaseModel):
    state: str
    run_id: str | None


class RunList(BaseModel):
    items: list[RunPublic]
    next_cursor: str | None


class VersionPublic(BaseModel):
    number: int
    active: bool
    run_id: str
    created_at: datetime
    params: dict[str, Any]
    metrics: dict[str, Any]
    sample_count: int
    artifact_sha256: str


class PredictBody(_Strict):
    inputs: list[str] = Field(min_length=1)
    top_k: int | None = Field(default=None, ge=1)
    version: int | None = Field(default=None, ge=1)

    @field_validator("inputs")
    @classmethod
    def _inputs(cls, v: list[str]) -> list[str]:
        for i, text in enumerate(v):
            if "\x00" in text:
                raise ValueError(f"input {i} contains a NUL byte")
        return v


class PredictResponse(BaseModel):
    model: str
    version: int
    predictions: list[dict[str, Any]] = Field(
        description='classify: {"label", "confidence", "scores"}; multilabel: {"labels", "scores"}; score: {"score"}'
    )


class KeyCreate(_Strict):
    owner: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9-]{0,38}$")
    scopes: list[Literal["read", "write", "train", "admin"]] = Field(min_length=1)
    name: str = Field(default="", max_length=200)


class KeyPublic(BaseModel):
    id: str
    owner: str
    name: str
    scopes: list[str]
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class KeyCreated(KeyPublic):
    key: str = Field(description="The secret. Shown once; store it now.")


class EstimateResponse(BaseModel):
    model: str
    n_samples: int
    n_labels: int
    efforts: dict[str, dict[str, float]]
