"""Sample bodies in JSON, NDJSON or CSV → validated NewSamples, or every problem at once → stored.

Validation is all-or-nothing: one bad sample and the whole request is refused with the index
and reason of every bad sample, and nothing is stored.
"""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

from pydantic import ValidationError

from ..errors import InvalidRequest, LimitExceeded
from ..settings import Settings
from ..store import NewSample
from .deps import Platform
from .schemas import LABEL_MAX, SampleCountsPublic, SampleIn

__all__ = ["parse_sample_body", "validate_samples", "store_sample_body"]

_CSV_FIELDS = {"id", "text", "label", "labels", "score", "weight"}


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def _loads(text: str) -> Any:
    # Python's json accepts NaN and Infinity; JSON does not, and neither do we.
    return json.loads(text, parse_constant=_reject_constant)


def parse_sample_body(raw: bytes, content_type: str) -> list[Any]:
    """Decode the request body into a list of raw sample objects."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(f"the body is not UTF-8 (byte {exc.start})") from exc
    if text.startswith("\ufeff"):
        text = text[1:]
    kind = content_type.split(";")[0].strip().lower()
    if kind in ("text/csv", "application/csv"):
        return _parse_csv(text)
    if kind in ("application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines"):
        items = []
        for n, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    items.append(_loads(line))
                except ValueError as exc:
                    raise InvalidRequest(f"line {n} is not valid JSON: {exc}") from exc
        return items
    try:
        body = _loads(text)
    except ValueError as exc:
        raise InvalidRequest(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict) or set(body) != {"samples"} or not isinstance(body["samples"], list):
        raise InvalidRequest('the body must be {"samples": [...]} (or NDJSON, or CSV with a header row)')
    return body["samples"]


def _parse_csv(text: str) -> list[Any]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    fields = set(reader.fieldnames or [])
    if "text" not in fields or not fields & {"label", "labels", "score"}:
        raise InvalidRequest(
            "the CSV header must name a text column and one of label, labels or score "
            f"(found: {', '.join(sorted(fields)) or 'no header'})"
        )
    unknown = fields - _CSV_FIELDS
    if unknown:
        raise InvalidRequest(f"unknown CSV columns: {', '.join(sorted(unknown))}")
    items: list[Any] = []
    for row in reader:
        if None in row:
            items.append({"__error__": "the row has more fields than the header"})
            continue
        item: dict[str, Any] = {k: v for k, v in row.items() if v not in (None, "")}
        if "text" not in item:
            item["text"] = row.get("text") or ""
        if "labels" in item:
            item["labels"] = [x for x in item["labels"].split("|") if x]
        for number in ("score", "weight"):
            if number in item:
                try:
                    item[number] = float(item[number])
                except ValueError:
                    item[number] = item[number]  # left as text so validation names it
        items.append(item)
    return items


def validate_samples(items: list[Any], task: str, labels: list[str] | None, settings: Settings) -> list[NewSample]:
    if not items:
        raise InvalidRequest("no samples in the request")
    if len(items) > settings.max_samples_per_request:
        raise LimitExceeded(f"{len(items)} samples in one request; the limit is {settings.max_samples_per_request}")
    allowed = set(labels) if labels else None
    errors: list[dict[str, Any]] = []
    good: list[NewSample] = []
    for i, item in enumerate(items):
        problem = _one(item, task, allowed, settings)
        if isinstance(problem, str):
            errors.append({"index": i, "error": problem})
        else:
            good.append(problem)
    if errors:
        shown = "; ".join(f"#{e['index']}: {e['error']}" for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise InvalidRequest(f"{len(errors)} bad sample(s), nothing stored: {shown}{more}", errors=errors)
    return good


def _one(item: Any, task: str, allowed: set[str] | None, settings: Settings) -> NewSample | str:
    if not isinstance(item, dict):
        return "a sample must be an object"
    if "__error__" in item:
        return str(item["__error__"])
    try:
        s = SampleIn.model_validate(item)
    except ValidationError as exc:
        e = exc.errors()[0]
        where = ".".join(str(p) for p in e["loc"])
        return f"{where}: {e['msg']}" if where else e["msg"]
    if len(s.text) > settings.max_text_chars:
        return f"text has {len(s.text)} characters; the limit is {settings.max_text_chars}"
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
        if not label.strip() or len(label) > LABEL_MAX or "\x00" in label:
            return f"bad label {label[:40]!r}"
        if allowed is not None and label not in allowed:
            return f"label {label[:40]!r} is not one of the model's labels"
    target: dict[str, Any] = {"label": s.label} if task == "classify" else {"labels": sorted(set(found))}
    return NewSample(text=s.text, target=target, id=s.id, weight=s.weight, metadata=s.metadata)


def store_sample_body(platform: Platform, handle: str, raw: bytes, content_type: str) -> SampleCountsPublic:
    """Parse, validate and store one upload (the API's POST body or the console's file), all or nothing."""
    model = platform.store.models.get(handle)
    items = parse_sample_body(raw, content_type)
    samples = validate_samples(items, model.task, model.labels, platform.settings)
    counts = platform.store.samples.upsert(handle, samples, max_per_model=platform.settings.max_samples_per_model)
    if counts.added or counts.updated:
        platform.wake_executor()  # a ready model's retrain may now be due
    total = platform.store.models.get(handle).sample_count
    return SampleCountsPublic(added=counts.added, updated=counts.updated, unchanged=counts.unchanged, sample_count=total)
