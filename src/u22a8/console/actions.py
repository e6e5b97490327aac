"""What console forms do, under exactly the API's rules.

Each function checks access with the API's own helpers (``check_model_access``, ``require``),
validates with the API's own schemas, and calls the same store / runs functions the matching
``/v1`` route calls, so a browser can do nothing a Bearer client with the same key could not.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ..api.auth import PLATFORM_OWNER, check_model_access, require
from ..api.deps import Platform
from ..api.routes.models import checked_handle
from ..api.sample_input import parse_sample_body, validate_samples
from ..api.schemas import KeyCreate, ModelCreate, PredictBody, SampleCountsPublic, TrainBody
from ..errors import InvalidRequest, LimitExceeded, ModelNotReady, NotFound, U22A8Error
from ..runs import TrainOutcome, request_train
from ..store import ApiKey, Model, Run, Version
from .forms import Upload

__all__ = [
    "has_scope",
    "may",
    "model_for",
    "create_model",
    "upload_samples",
    "train",
    "cancel_run",
    "activate_version",
    "predict",
    "key_scope_owner",
    "create_key",
    "revoke_key",
    "invalid",
]

# A file's extension picks the parser, as Content-Type would for the API.
_UPLOAD_TYPES = {".csv": "text/csv", ".ndjson": "application/x-ndjson", ".jsonl": "application/x-ndjson",
                 ".json": "application/json"}


def invalid(exc: ValidationError) -> InvalidRequest:
    """A schema error in words a form user can act on."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return InvalidRequest(f"{where}: {message}" if where else message)


def has_scope(key: ApiKey, scope: str) -> bool:
    try:
        require(key, scope)
    except U22A8Error:
        return False
    return True


def may(key: ApiKey, handle: str, scope: str) -> bool:
    """Whether to offer a form at all; the action still checks when it is posted."""
    try:
        check_model_access(key, handle, scope)
    except U22A8Error:
        return False
    return True


def model_for(platform: Platform, key: ApiKey, handle: str, scope: str = "read") -> Model:
    check_model_access(key, checked_handle(handle), scope)
    return platform.store.models.get(handle)


def create_model(platform: Platform, key: ApiKey, handle: str, task: str, labels: str, description: str) -> Model:
    try:
        body = ModelCreate(handle=handle.strip(), task=task,  # type: ignore[arg-type]
                           labels=[x.strip() for x in labels.split(",") if x.strip()] or None,
                           description=description)
    except ValidationError as exc:
        raise invalid(exc) from exc
    check_model_access(key, body.handle, "write")
    if body.labels and body.task == "score":
        raise InvalidRequest("a score model takes no labels")
    settings = platform.settings
    return platform.store.models.create(body.handle, body.task, description=body.description, labels=body.labels,
                                        auto_retrain=True, quiet_seconds=settings.default_quiet_seconds)


def upload_samples(platform: Platform, key: ApiKey, handle: str, upload: Upload | None) -> SampleCountsPublic:
    model = model_for(platform, key, handle, "write")
    if upload is None or not upload.filename:
        raise InvalidRequest("choose a CSV file to upload")
    suffix = "." + upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else ""
    content_type = _UPLOAD_TYPES.get(suffix, "text/csv")
    items = parse_sample_body(upload.data, content_type)
    samples = validate_samples(items, model.task, model.labels, platform.settings)
    counts = platform.store.samples.upsert(handle, samples, max_per_model=platform.settings.max_samples_per_model)
    if counts.added or counts.updated:
        platform.wake_executor()
    total = platform.store.models.get(handle).sample_count
    return SampleCountsPublic(added=counts.added, updated=counts.updated, unchanged=counts.unchanged,
                              sample_count=total)


def train(platform: Platform, key: ApiKey, handle: str, effort: str, reoptimize: bool) -> TrainOutcome:
    check_model_access(key, checked_handle(handle), "train")
    try:
        body = TrainBody(effort=effort or None, reoptimize_params=reoptimize)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise invalid(exc) from exc
    outcome = request_train(platform.store, handle, body.effort, body.reoptimize_params)
    if outcome.queued:
        platform.wake_executor()
    return outcome


def cancel_run(platform: Platform, key: ApiKey, handle: str, run_id: str) -> Run:
    """Queued runs end at once; running ones stop at their next trial boundary (as the API's cancel)."""
    check_model_access(key, checked_handle(handle), "train")
    return platform.store.runs.request_cancel(handle, run_id)


def activate_version(platform: Platform, key: ApiKey, handle: str, number: int) -> Version:
    check_model_access(key, checked_handle(handle), "train")
    return platform.store.versions.activate(handle, number)


def predict(platform: Platform, key: ApiKey, handle: str, text: str) -> dict[str, Any]:
    """One input per non-empty line → the version used and (input, prediction) rows.

    The same checks, in the same order, as ``POST /v1/models/{handle}/predict``.
    """
    check_model_access(key, checked_handle(handle), "read")
    inputs = [line for line in text.splitlines() if line.strip()]
    if not inputs:
        raise InvalidRequest("type at least one text to predict")
    try:
        body = PredictBody(inputs=inputs)
    except ValidationError as exc:
        raise invalid(exc) from exc
    limits = platform.settings
    if len(body.inputs) > limits.max_inputs_per_predict:
        raise LimitExceeded(f"{len(body.inputs)} inputs; the limit is {limits.max_inputs_per_predict} per call")
    for i, line in enumerate(body.inputs):
        if len(line) > limits.max_text_chars:
            raise LimitExceeded(f"input {i} has {len(line)} characters; the limit is {limits.max_text_chars}")
    version = platform.store.models.active_version(handle)
    if version is None:
        raise ModelNotReady(f"{handle} has no trained version yet; train it and wait for state 'ready'")
    predictions = platform.predictors.get(version).predict(body.inputs, top_k=None)
    return {"version": version.number, "rows": list(zip(body.inputs, predictions))}


def key_scope_owner(key: ApiKey) -> str | None:
    """Whose keys this admin manages: its own owner's, or everyone's for the platform owner."""
    return None if key.owner == PLATFORM_OWNER else key.owner


def create_key(platform: Platform, key: ApiKey, owner: str, scopes: list[str], name: str) -> tuple[ApiKey, str]:
    require(key, "admin")
    try:
        body = KeyCreate(owner=owner.strip() or None, scopes=scopes, name=name.strip())  # type: ignore[arg-type]
    except ValidationError as exc:
        raise invalid(exc) from exc
    new_owner = body.owner or key.owner
    if key_scope_owner(key) not in (None, new_owner):
        raise NotFound(f"no owner {new_owner!r} for this key")  # as the API answers
    return platform.store.keys.create(new_owner, list(body.scopes), body.name)


def revoke_key(platform: Platform, key: ApiKey, key_id: str) -> ApiKey:
    require(key, "admin")
    revoked = platform.store.keys.revoke(key_id, key_scope_owner(key))
    platform.key_cache.forget(revoked.id)  # the API's key cache must not keep serving it
    return revoked
