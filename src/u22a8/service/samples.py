"""A model's samples: upload (validated, all or nothing), list, delete.

Validation is all-or-nothing: one bad sample and the whole upload is refused with the index
and reason of every bad sample, and nothing is stored.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import InvalidRequest, LimitExceeded
from ..settings import Settings
from ..store import ApiKey, NewSample, Sample
from .access import check_model_access, check_sample_access, checked_handle, enter
from .fields import LABEL_MAX, check_id, check_text, is_unicode
from .platform import Platform
from .sample_formats import parse_sample_body

__all__ = [
    "METADATA_DEPTH_MAX",
    "SampleIn",
    "SampleUpload",
    "SamplePage",
    "validate_samples",
    "add_samples",
    "list_samples",
    "delete_sample",
]


# Metadata is kept as sent and answered back as JSON: nesting is capped well below what any
# JSON encoder on the way out refuses, so a sample that was stored can always be listed.
METADATA_DEPTH_MAX = 32


def _depth(value: Any) -> int:
    """How deeply ``value`` nests lists and objects (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth + 1)
        if deepest > METADATA_DEPTH_MAX:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


class TextWithId(BaseModel):
    """A text as uploaded with its optional id: what a sample and a pool text share, one rule each."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, min_length=1, max_length=200)
    text: str

    @field_validator("text")
    @classmethod
    def _text(cls, v: str) -> str:
        return check_text(v)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str | None) -> str | None:
        return check_id(v)


class SampleIn(TextWithId):
    """One uploaded sample as sent; the task decides which of label, labels and score it needs."""

    label: str | None = None
    labels: list[str] | None = None
    score: float | None = None
    weight: float = Field(default=1.0, gt=0, le=1e6)
    metadata: dict[str, Any] | None = None

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

    @field_validator("metadata")
    @classmethod
    def _metadata(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        if v is not None and _depth(v) > METADATA_DEPTH_MAX:
            raise ValueError(f"metadata nests deeper than {METADATA_DEPTH_MAX} levels")
        return v


@dataclass(frozen=True)
class SampleUpload:
    """What an upload changed, and how many samples the model holds now."""

    added: int
    updated: int
    unchanged: int
    sample_count: int


@dataclass(frozen=True)
class SamplePage:
    items: list[Sample]
    next_cursor: str | None


def validate_samples(items: list[Any], task: str, labels: list[str] | None, settings: Settings) -> list[NewSample]:
    """Every sample checked against the model's task and label set, or every problem at once."""
    if not items:
        raise InvalidRequest("no samples in the request")
    if len(items) > settings.max_samples_per_request:
        raise LimitExceeded(f"{len(items)} samples in one request; the limit is {settings.max_samples_per_request}")
    allowed = set(labels) if labels else None
    common = _Common(task, allowed, settings.max_text_chars)
    errors: list[dict[str, Any]] = []
    good: list[NewSample] = []
    for i, item in enumerate(items):
        sample = common.sample(item)
        if sample is None:  # anything unusual is judged in full, which names the problem
            judged = _one(item, task, allowed, settings)
            if isinstance(judged, str):
                errors.append({"index": i, "error": judged})
                continue
            sample = judged
        good.append(sample)
    if errors:
        shown = "; ".join(f"#{e['index']}: {e['error']}" for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise InvalidRequest(f"{len(errors)} bad sample(s), nothing stored: {shown}{more}", errors=errors)
    _check_batch_labels(good, settings.max_labels_per_model)
    return good


def _check_batch_labels(samples: list[NewSample], max_labels: int) -> None:
    """One batch alone over the label limit is refused before the database is asked."""
    found: set[str] = set()
    for sample in samples:
        found.update(sample.target.get("labels") or ())
        if "label" in sample.target:
            found.add(sample.target["label"])
    if len(found) > max_labels:
        raise LimitExceeded(f"the samples carry {len(found)} different labels; a model may hold {max_labels}")


_NEEDS = {"classify": "label", "multilabel": "labels", "score": "score"}


class _Common:
    """The common sample (plain strings, finite numbers, only the task's target field, no
    metadata) accepted without the model's validation machinery, which cost more per sample
    than storing it: :meth:`sample` gives its NewSample, or None for anything else, which
    :func:`_one` then judges. It accepts exactly what :func:`_one` accepts, with the same result.

    A label is checked once per upload (an upload repeats a few labels many times), and samples
    with the same label share one target (targets are never changed once made)."""

    def __init__(self, task: str, allowed: set[str] | None, max_chars: int) -> None:
        self.need = _NEEDS[task]
        self.keys = frozenset(("id", "text", "weight", self.need))
        self.allowed, self.max_chars = allowed, max_chars
        self.targets: dict[str, dict[str, Any]] = {}  # a label judged good → its classify target
        self.bad: set[str] = set()

    def label_ok(self, label: Any) -> bool:
        if type(label) is not str or label in self.bad:
            return False
        if label in self.targets:
            return True
        fine = (bool(label.strip()) and len(label) <= LABEL_MAX and "\x00" not in label and is_unicode(label)
                and (self.allowed is None or label in self.allowed))
        if fine:
            self.targets[label] = {"label": label}
        else:
            self.bad.add(label)
        return fine

    def sample(self, item: Any) -> NewSample | None:
        if type(item) is not dict or not item.keys() <= self.keys:
            return None
        text, sid, weight = item.get("text"), item.get("id"), item.get("weight", 1.0)
        if (type(text) is not str or not text or text.isspace() or len(text) > self.max_chars or "\x00" in text
                or not (text.isascii() or is_unicode(text))):
            return None
        if sid is not None and (type(sid) is not str or not 1 <= len(sid) <= 200 or "\x00" in sid
                                or not (sid.isascii() or is_unicode(sid))):
            return None
        if type(weight) not in (int, float) or not 0 < weight <= 1e6:
            return None
        if self.need == "label":
            label = item.get("label")
            if not self.label_ok(label):
                return None
            target = self.targets[label]
        elif self.need == "labels":
            found = item.get("labels")
            if type(found) is not list or not found or not all(self.label_ok(x) for x in found):
                return None
            target = {"labels": sorted(set(found))}
        else:
            score = item.get("score")
            # An integer past a float's range (JSON may spell one) is left to the model to name.
            if not (type(score) is float and math.isfinite(score) or type(score) is int and abs(score) <= sys.float_info.max):
                return None
            target = {"score": float(score)}
        return NewSample(text=text, target=target, id=sid, weight=float(weight), metadata=None)


_Item = TypeVar("_Item", bound=TextWithId)


def validated_item(model: type[_Item], item: dict[str, Any], max_text_chars: int) -> _Item | str:
    """``item`` as ``model`` (a sample or a pool text), or the one line an upload shows for it:
    the error its parser marked it with, its first validation error, or its text past the
    deployment's length limit."""
    if "__error__" in item:
        return str(item["__error__"])
    try:
        valid = model.model_validate(item)
    except ValidationError as exc:
        e = exc.errors()[0]
        where = ".".join(str(p) for p in e["loc"])
        return f"{where}: {e['msg']}" if where else e["msg"]
    if len(valid.text) > max_text_chars:
        return f"text has {len(valid.text)} characters; the limit is {max_text_chars}"
    return valid


def _one(item: Any, task: str, allowed: set[str] | None, settings: Settings) -> NewSample | str:
    if not isinstance(item, dict):
        return "a sample must be an object"
    s = validated_item(SampleIn, item, settings.max_text_chars)
    if isinstance(s, str):
        return s
    given = [name for name in ("label", "labels", "score") if getattr(s, name) is not None]
    need = {"classify": "label", "multilabel": "labels", "score": "score"}[task]
    if given != [need]:
        return f"a {task} sample needs exactly a {need!r} field" + (f" (got {', '.join(given)})" if given else "")
    if task == "score":
        assert s.score is not None and math.isfinite(s.score)
        return NewSample(text=s.text, target={"score": s.score}, id=s.id, weight=s.weight, metadata=s.metadata)
    found = [s.label] if task == "classify" else list(s.labels or [])
    if task == "multilabel" and not found:
        return "labels is empty"
    for label in found:
        assert label is not None
        if not label.strip() or len(label) > LABEL_MAX or "\x00" in label or not is_unicode(label):
            return f"bad label {label[:40]!r}"
        if allowed is not None and label not in allowed:
            return f"label {label[:40]!r} is not one of the model's labels"
    target: dict[str, Any] = {"label": s.label} if task == "classify" else {"labels": sorted(set(found))}
    return NewSample(text=s.text, target=target, id=s.id, weight=s.weight, metadata=s.metadata)


def add_samples(platform: Platform, key: ApiKey, handle: str, raw: bytes, content_type: str) -> SampleUpload:
    """Parse, validate and store one upload (the API's POST body or the console's file), all or nothing."""
    enter(platform, key, "write", handle)
    task, labels = platform.store.models.task_and_labels(handle)
    items = parse_sample_body(raw, content_type)
    samples = validate_samples(items, task, labels, platform.settings)
    counts = platform.store.samples.upsert(handle, samples, max_per_model=platform.settings.max_samples_per_model,
                                           max_labels=platform.settings.max_labels_per_model)
    return SampleUpload(added=counts.added, updated=counts.updated, unchanged=counts.unchanged,
                        sample_count=counts.sample_count)


def list_samples(
    platform: Platform, key: ApiKey, handle: str, *, cursor: str | None, limit: int, label: str | None = None,
) -> SamplePage:
    """Samples in upload order, ``limit`` at a time; ``cursor`` is the ``next_cursor`` of the page before.

    Only the model's owner reads its samples (a platform model's too: see ``access``)."""
    check_sample_access(key, checked_handle(handle))
    after = None
    if cursor is not None:
        if not cursor.isdigit():
            raise InvalidRequest("cursor is not one this API gave out")
        after = int(cursor)
    items, next_pk = platform.store.samples.list(handle, after=after, limit=limit, label=label)
    return SamplePage(items, str(next_pk) if next_pk else None)


def delete_sample(platform: Platform, key: ApiKey, handle: str, sample_id: str) -> None:
    enter(platform, key, "write", handle)
    platform.store.samples.delete(handle, sample_id)
