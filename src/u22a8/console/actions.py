"""What console forms do, under exactly the API's rules.

Each function checks access with the API's own helpers (``check_model_access``, ``require``),
validates with the API's own schemas, and calls the same store / runs functions the matching
``/v1`` route calls (never the route function itself), so a browser can do nothing a Bearer
client with the same key could not.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import ValidationError
from starlette.responses import Response

from ..api.auth import PLATFORM_OWNER, check_model_access, checked_handle, require
from ..api.deps import Platform
from ..api.presenters import export_response
from ..api.sample_input import store_sample_body
from ..api.schemas import (
    AutoRetrainIn,
    KeyCreate,
    ModelCreate,
    ModelUpdate,
    PredictBody,
    SampleCountsPublic,
    TrainBody,
    auto_retrain_of,
)
from ..errors import InvalidRequest, LimitExceeded, ModelNotReady, NotFound, U22A8Error
from ..runs import TrainOutcome, models_domain, request_train
from ..store import ApiKey, Model, Run, Version
from .forms import Upload

__all__ = [
    "has_scope",
    "may",
    "model_for",
    "create_model",
    "update_model",
    "delete_model",
    "upload_samples",
    "delete_sample",
    "export_version",
    "train",
    "cancel_run",
    "activate_version",
    "predict",
    "key_scope_owner",
    "create_key",
    "key_to_revoke",
    "revoke_key",
    "invalid",
    "FieldError",
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


class FieldError(InvalidRequest):
    """A refused form input that names the field to mark ``aria-invalid`` and focus."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field


def split_labels(text: str) -> list[str] | None:
    """A comma-separated label set; empty means an open set (None)."""
    return [x.strip() for x in text.split(",") if x.strip()] or None


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
                           labels=split_labels(labels),
                           description=description)
    except ValidationError as exc:
        raise invalid(exc) from exc
    check_model_access(key, body.handle, "write")
    return models_domain.create_model(platform.store, body.handle, body.task, description=body.description,
                                      labels=body.labels, default_quiet_seconds=platform.settings.default_quiet_seconds)


def update_model(platform: Platform, key: ApiKey, handle: str, *, description: str, labels: str,
                 auto_retrain: bool, quiet_seconds: str) -> Model:
    """The settings form, under the rules of ``PATCH /v1/models/{handle}``.

    The form always shows every setting, so each is sent: an empty label box opens the label
    set (``labels: null``), as it would through the API. A score model has no label box.
    """
    model = model_for(platform, key, handle, "write")
    quiet: float | None = None
    if quiet_seconds.strip():
        try:
            quiet = float(quiet_seconds)
        except ValueError:
            quiet = math.nan
        if not math.isfinite(quiet):
            raise FieldError("quiet_seconds", "quiet seconds: enter a number of seconds, e.g. 30")
    try:
        retrain = AutoRetrainIn(enabled=auto_retrain, quiet_seconds=quiet)
    except ValidationError as exc:
        raise FieldError("quiet_seconds", "quiet seconds: " + invalid(exc).detail.split(": ", 1)[-1]) from exc
    fields: dict[str, Any] = {"description": description, "auto_retrain": retrain}
    if model.task != "score":
        fields["labels"] = split_labels(labels)
    try:
        body = ModelUpdate(**fields)
    except ValidationError as exc:
        loc = exc.errors()[0]["loc"]
        raise FieldError(str(loc[0]) if loc else "", invalid(exc).detail) from exc
    labels_given = body.labels if "labels" in body.model_fields_set else models_domain.Keep.KEEP
    try:
        return models_domain.update_model(platform.store, handle, description=body.description, labels=labels_given,
                                          auto_retrain=auto_retrain_of(body.auto_retrain))
    except InvalidRequest as exc:
        if "labels_outside" in exc.extra:
            raise FieldError("labels", exc.detail + " — delete or relabel those samples first, or keep "
                             "those labels in the set") from exc
        raise


def delete_model(platform: Platform, key: ApiKey, handle: str, typed: str) -> None:
    """``DELETE /v1/models/{handle}``, once the user has typed the handle to confirm."""
    model_for(platform, key, handle, "write")  # access first: a mistyped handle must not reveal anything
    if typed.strip() != handle:
        raise FieldError("confirm", f"type {handle} exactly to confirm; nothing was deleted")
    platform.store.models.delete(handle)


def delete_sample(platform: Platform, key: ApiKey, handle: str, sample_id: str) -> None:
    if not sample_id:
        raise InvalidRequest("no sample was chosen")
    check_model_access(key, checked_handle(handle), "write")
    platform.store.samples.delete(handle, sample_id)
    platform.wake_executor()  # as the API does: a ready model's retrain may now be due


def export_version(platform: Platform, key: ApiKey, handle: str, number: int) -> Response:
    """The bytes of ``GET /v1/models/{handle}/versions/{n}/export``, for a cookie-signed-in browser."""
    check_model_access(key, checked_handle(handle), "read")
    return export_response(models_domain.export_version(platform.store, handle, number))


def upload_samples(platform: Platform, key: ApiKey, handle: str, upload: Upload | None) -> SampleCountsPublic:
    model_for(platform, key, handle, "write")
    if upload is None or not upload.filename:
        raise InvalidRequest("choose a CSV file to upload")
    suffix = "." + upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else ""
    return store_sample_body(platform, handle, upload.data, _UPLOAD_TYPES.get(suffix, "text/csv"))


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


def key_to_revoke(platform: Platform, key: ApiKey, key_id: str) -> ApiKey:
    """A key this admin may revoke, for the confirmation page; other owners' keys are 404."""
    require(key, "admin")
    for found in platform.store.keys.list(key_scope_owner(key)):
        if found.id == key_id:
            return found
    raise NotFound(f"no key {key_id[:80]!r}")


def revoke_key(platform: Platform, key: ApiKey, key_id: str) -> ApiKey:
    require(key, "admin")
    revoked = platform.store.keys.revoke(key_id, key_scope_owner(key))
    platform.key_cache.forget(revoked.id)  # the API's key cache must not keep serving it
    return revoked
