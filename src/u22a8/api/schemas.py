"""Request and response bodies.

Request bodies are written here and reject unknown fields (extra="forbid"). The resources'
response bodies are generated from their declarations (u22a8.resources), so a field is added
once; envelopes and answers that are no resource (lists, train, predict, estimate) are written here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from ..resources import ApiKey, AutoRetrainSetting, LabelIssue, Model, Run, Sample, SampleCounts, Version
from ..service import HANDLE_RE, TASKS, AutoRetrain, InvalidField, check_labels
from .response_models import page_model, response_model

__all__ = [
    "AutoRetrainIn",
    "auto_retrain_of",
    "ModelCreate",
    "ModelUpdate",
    "ModelPublic",
    "ModelList",
    "SamplesBody",
    "SampleCountsPublic",
    "SamplePublic",
    "SampleList",
    "LabelIssuePublic",
    "LabelIssueList",
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


Task = Literal[TASKS]  # type: ignore[valid-type]  # the registered tasks, in registration order
Effort = Literal["low", "medium", "high", "max"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_labels(labels: list[str] | None) -> list[str] | None:
    # The service's rule, reported through pydantic like every other field of the body.
    try:
        return check_labels(labels)
    except InvalidField as exc:
        raise ValueError(str(exc).removeprefix(f"{exc.field}: ")) from None


class AutoRetrainIn(_Strict):
    enabled: bool = True
    quiet_seconds: float | None = Field(default=None, ge=0, le=86400)

    @field_validator("quiet_seconds", mode="before")
    @classmethod
    def _seconds_are_a_number(cls, v: object) -> object:
        # JSON true/false are not seconds, though Python counts bools as numbers.
        if isinstance(v, bool):
            raise ValueError("quiet_seconds must be a number of seconds")
        return v


def auto_retrain_of(value: AutoRetrainIn | bool | None) -> AutoRetrain:
    """The body's ``auto_retrain`` in the domain's terms: a bare bool only switches it on or off,
    and an object switches it on unless it says ``enabled: false``."""
    if value is None:
        return AutoRetrain()
    if isinstance(value, bool):
        return AutoRetrain(enabled=value)
    return AutoRetrain(enabled=value.enabled, quiet_seconds=value.quiet_seconds)


def _precision_is_a_number(v: object) -> object:
    if isinstance(v, bool):  # JSON true/false are no precision, though Python counts bools as numbers
        raise ValueError("fallback_min_precision must be a number from 0 to 1")
    return v


# The settings a model is created with and updated by, declared once for both bodies.
Labels = Annotated[list[str] | None, AfterValidator(_check_labels)]
FallbackLabel = Annotated[str | None, Field(
    description="classify: samples of this label are examples of what not to answer; predict answers it, with "
                "fallback true, when the model is not sure. Null: no fallback.")]
FallbackMinPrecision = Annotated[float | None, Field(
    ge=0, le=1, description="The least fallback precision the chosen threshold must keep."),
    BeforeValidator(_precision_is_a_number)]


class ModelCreate(_Strict):
    handle: str = Field(description="owner.name, e.g. acme.support-tone")
    task: Task
    description: str = Field(default="", max_length=2000)
    labels: Labels = Field(default=None, description="A closed label set; samples outside it are refused.")
    auto_retrain: AutoRetrainIn | bool | None = None
    fallback_label: FallbackLabel = None
    fallback_min_precision: FallbackMinPrecision = None

    @field_validator("handle")
    @classmethod
    def _handle(cls, v: str) -> str:
        if not HANDLE_RE.fullmatch(v):
            raise ValueError("handle must be owner.name: owner [a-z0-9][a-z0-9-]{0,38}, name [a-z0-9][a-z0-9_-]{0,63}")
        return v


class ModelUpdate(_Strict):
    description: str | None = Field(default=None, max_length=2000)
    labels: Labels = None
    auto_retrain: AutoRetrainIn | bool | None = None
    fallback_label: FallbackLabel = None
    fallback_min_precision: FallbackMinPrecision = None


# Response bodies of the resources, generated from their declarations in u22a8.resources; a
# resource's model is made before those that embed it.
VersionSummary = response_model("VersionSummary", Version, summary=True)
RunPublic = response_model("RunPublic", Run)
AutoRetrainPublic = response_model("AutoRetrainPublic", AutoRetrainSetting)
ModelPublic = response_model("ModelPublic", Model)


ModelList = page_model("ModelList", ModelPublic)


class SamplesBody(_Strict):
    samples: list[Any]


SampleCountsPublic = response_model("SampleCountsPublic", SampleCounts)
SamplePublic = response_model("SamplePublic", Sample)


SampleList = page_model("SampleList", SamplePublic)


LabelIssuePublic = response_model("LabelIssuePublic", LabelIssue)


class LabelIssueList(BaseModel):
    items: list[LabelIssuePublic]  # type: ignore[valid-type]


class TrainBody(_Strict):
    """POST /v1/models/{handle}/train body. All fields optional."""

    effort: Effort | None = Field(default=None, description="low|medium|high|max; null means medium.")
    reoptimize_params: bool = Field(default=False, description="Force a fresh parameter search from a ready model.")


class TrainResponse(BaseModel):
    state: str
    run_id: str | None


RunList = page_model("RunList", RunPublic)


VersionPublic = response_model("VersionPublic", Version)


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
    rate_limits: str | None = Field(
        default=None, max_length=200,
        description='This key\'s own request limits, e.g. "predict=100/minute;writes=none"; unset classes follow the settings.',
    )


KeyPublic = response_model("KeyPublic", ApiKey)


class KeyCreated(KeyPublic):
    key: str = Field(description="The secret. Shown once; store it now.")


class EstimateResponse(BaseModel):
    model: str
    n_samples: int
    n_labels: int
    efforts: dict[str, dict[str, float]]
