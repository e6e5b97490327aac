"""What the API answers, as frozen value objects.

Each object keeps the JSON it came from in ``raw`` (not compared, not shown), so a script can
print exactly what the server said and fields a newer server adds are never lost.
Runs live in ``_run.py``: unlike these, they can poll the server.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, overload

__all__ = [
    "VersionSummary",
    "AutoRetrain",
    "Sample",
    "SampleCounts",
    "Version",
    "Report",
    "Prediction",
    "LabelIssue",
    "PredictResult",
    "Key",
    "CreatedKey",
    "Estimate",
    "RunEvent",
    "parse_time",
]

Json = Mapping[str, Any]


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _labels(value: Sequence[str] | None) -> tuple[str, ...] | None:
    return tuple(value) if value is not None else None


@dataclass(frozen=True)
class VersionSummary:
    """The active version as a model shows it."""

    number: int
    created_at: datetime
    metrics: Mapping[str, Any]

    @classmethod
    def from_json(cls, d: Json) -> VersionSummary:
        return cls(number=d["number"], created_at=_time(d["created_at"]), metrics=d.get("metrics") or {})


@dataclass(frozen=True)
class AutoRetrain:
    enabled: bool
    quiet_seconds: float


@dataclass(frozen=True)
class Sample:
    id: str
    text: str
    label: str | None
    labels: tuple[str, ...] | None
    score: float | None
    weight: float
    metadata: Mapping[str, Any] | None
    created_at: datetime
    updated_at: datetime
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, d: Json) -> Sample:
        return cls(id=d["id"], text=d["text"], label=d.get("label"), labels=_labels(d.get("labels")),
                   score=d.get("score"), weight=d.get("weight", 1.0), metadata=d.get("metadata"),
                   created_at=_time(d["created_at"]), updated_at=_time(d["updated_at"]), raw=d)


@dataclass(frozen=True)
class SampleCounts:
    """What an upload changed. ``sample_count`` is the model's total afterwards."""

    added: int
    updated: int
    unchanged: int
    sample_count: int

    @classmethod
    def from_json(cls, d: Json) -> SampleCounts:
        return cls(added=d["added"], updated=d["updated"], unchanged=d["unchanged"], sample_count=d["sample_count"])

    def __add__(self, other: SampleCounts) -> SampleCounts:
        # The later answer knows the newer total.
        return SampleCounts(self.added + other.added, self.updated + other.updated,
                            self.unchanged + other.unchanged, other.sample_count)


@dataclass(frozen=True)
class Version:
    number: int
    active: bool
    run_id: str
    created_at: datetime
    params: Mapping[str, Any]
    metrics: Mapping[str, Any]
    sample_count: int
    artifact_sha256: str
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, d: Json) -> Version:
        return cls(number=d["number"], active=d["active"], run_id=d["run_id"], created_at=_time(d["created_at"]),
                   params=d.get("params") or {}, metrics=d.get("metrics") or {}, sample_count=d["sample_count"],
                   artifact_sha256=d["artifact_sha256"], raw=d)


@dataclass(frozen=True)
class Report:
    """A version's evaluation (``metrics``) and the data report made before training (``data``)."""

    model: str
    version: int
    params: Mapping[str, Any]
    metrics: Mapping[str, Any]
    data: Mapping[str, Any]
    sample_count: int
    created_at: datetime
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, d: Json) -> Report:
        return cls(model=d["model"], version=d["version"], params=d.get("params") or {},
                   metrics=d.get("metrics") or {}, data=d.get("data") or {}, sample_count=d.get("sample_count", 0),
                   created_at=_time(d["created_at"]), raw=d)

    @property
    def confusion(self) -> tuple[list[str], list[list[int]]] | None:
        """``(labels, matrix)``: row = true label, column = predicted; None for score models."""
        c = self.metrics.get("confusion")
        if not isinstance(c, Mapping) or "labels" not in c or "matrix" not in c:
            return None
        return list(c["labels"]), [list(row) for row in c["matrix"]]

    @property
    def per_class(self) -> dict[str, dict[str, Any]]:
        """Per-label metrics (precision, recall, f1, support…), whichever shape the engine sent."""
        found = self.metrics.get("per_class")
        if isinstance(found, Mapping):
            return {str(k): dict(v) for k, v in found.items() if isinstance(v, Mapping)}
        if isinstance(found, list):
            return {str(r["label"]): {k: v for k, v in r.items() if k != "label"}
                    for r in found if isinstance(r, Mapping) and "label" in r}
        return {}


@dataclass(frozen=True)
class Prediction:
    """One input's prediction. Which fields are set depends on the model's task:
    classify → ``label``, ``confidence``, ``scores``; multilabel → ``labels``, ``scores``;
    score → ``score``. A classify model with a fallback label sets ``fallback``: True when
    ``label`` is the fallback (the model was not sure; ``scores`` are still the real labels')."""

    label: str | None = None
    confidence: float | None = None
    scores: Mapping[str, float] | None = None
    labels: tuple[str, ...] | None = None
    score: float | None = None
    fallback: bool | None = None
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, d: Json) -> Prediction:
        return cls(label=d.get("label"), confidence=d.get("confidence"), scores=d.get("scores"),
                   labels=_labels(d.get("labels")), score=d.get("score"), fallback=d.get("fallback"), raw=d)


@dataclass(frozen=True)
class LabelIssue:
    """A sample whose label the active version finds unlikely, with the label it suggests."""

    sample_id: str
    text: str
    label: str
    suggested_label: str
    self_confidence: float
    rank: int
    # True: confident enough to relabel to the suggestion unread; False: worth a look.
    flagged: bool
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, d: Json) -> LabelIssue:
        return cls(sample_id=d["sample_id"], text=d["text"], label=d["label"], suggested_label=d["suggested_label"],
                   self_confidence=d["self_confidence"], rank=d["rank"], flagged=d.get("flagged", True), raw=d)


@dataclass(frozen=True)
class PredictResult(Sequence[Prediction]):
    """Predictions in input order, and the version that made them. Indexes and iterates like a list."""

    model: str
    version: int
    predictions: tuple[Prediction, ...]
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, d: Json) -> PredictResult:
        return cls(model=d.get("model", ""), version=d["version"],
                   predictions=tuple(Prediction.from_json(p) for p in d["predictions"]), raw=d)

    def __len__(self) -> int:
        return len(self.predictions)

    def __iter__(self) -> Iterator[Prediction]:
        return iter(self.predictions)

    @overload
    def __getitem__(self, i: int) -> Prediction: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Prediction]: ...
    def __getitem__(self, i: int | slice) -> Prediction | Sequence[Prediction]:
        return self.predictions[i]


@dataclass(frozen=True)
class Key:
    """An API key as listed: the secret itself is never shown again after creation."""

    id: str
    owner: str
    name: str
    scopes: tuple[str, ...]
    prefix: str
    created_at: datetime
    revoked_at: datetime | None
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, d: Json) -> Key:
        return cls(**_key_fields(d), raw=d)


def _key_fields(d: Json) -> dict[str, Any]:
    return dict(id=d["id"], owner=d["owner"], name=d.get("name", ""), scopes=tuple(d["scopes"]),
                prefix=d.get("prefix", ""), created_at=_time(d["created_at"]), revoked_at=parse_time(d.get("revoked_at")))


@dataclass(frozen=True)
class CreatedKey(Key):
    key: str = field(default="", repr=False)  # the secret: store it now

    @classmethod
    def from_json(cls, d: Json) -> CreatedKey:
        return cls(**_key_fields(d), key=d["key"], raw=d)


@dataclass(frozen=True)
class Estimate:
    """Likely cost of each effort on the model's current samples (seconds, trials…)."""

    model: str
    n_samples: int
    n_labels: int
    efforts: Mapping[str, Mapping[str, float]]
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, d: Json) -> Estimate:
        return cls(model=d["model"], n_samples=d["n_samples"], n_labels=d["n_labels"], efforts=d["efforts"], raw=d)


@dataclass(frozen=True)
class RunEvent:
    """One Server-Sent Event of a run: ``queued``, ``started``, ``progress``, …, then a final state."""

    id: int | None
    type: str
    at: datetime | None
    data: Mapping[str, Any]

    @property
    def final(self) -> bool:
        return self.type in ("succeeded", "failed", "canceled")
