"""Models: the list, creating one, and a model's page with its forms.

Forms follow post/redirect/get: success and input errors (409/422) come back as a flash
message on the model page; 401/403/404 are error pages with their status, as in the API.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from .. import service
from ..errors import InvalidRequest, U22A8Error
from ..service import ApiKey, Model, Platform
from .filters import duration
from .form_input import (fallback_fields, prediction_inputs, quiet_seconds, settings_refusal, split_labels,
                         uploaded_file)
from .html_errors import ConsoleRoute
from .paging import pager, parse_back
from .rendering import render, see_other
from .session_checks import FormDep, KeyDep, PlatformDep, UploadFormDep

log = logging.getLogger("u22a8.console")

router = APIRouter(prefix="/console/models", route_class=ConsoleRoute, include_in_schema=False)

SAMPLES_PER_PAGE = 25
MODELS_PER_PAGE = 50
RUNS_SHOWN = 20
# Statuses a user fixes by changing their input: shown on the page they came from.
_INPUT_ERRORS = (409, 413, 422, 429)


def _flash_input_error(request: Request, path: str, exc: U22A8Error) -> Response:
    if exc.status not in _INPUT_ERRORS:
        raise exc
    return see_other(request, path, ("error", exc.detail))


@router.get("")
def models_page(
    request: Request, key: KeyDep, platform: PlatformDep, after: str | None = None, back: str | None = None,
) -> Response:
    found = service.list_models(platform, key, after=after, limit=MODELS_PER_PAGE)
    pages = pager(after, parse_back(back, lambda c: bool(service.HANDLE_RE.fullmatch(c))), found.next_cursor)
    return render(request, "models.html", models=found.items, pages=pages,
                  can_create=service.has_scope(key, "write"), tasks=service.TASKS)


@router.post("")
def create_model(request: Request, key: KeyDep, form: FormDep, platform: PlatformDep) -> Response:
    try:
        model = service.create_model(platform, key, form.get("handle").strip(), form.get("task"),
                                     labels=split_labels(form.get("labels")), description=form.get("description"))
    except U22A8Error as exc:
        return _flash_input_error(request, "/models", exc)
    return see_other(request, f"/models/{model.handle}", ("notice", f"Created {model.handle}. Upload samples next."))


def effort_hints(platform: Platform, key: ApiKey, model: Model) -> dict[str, str]:
    """What each effort would likely cost, as the estimate endpoint answers; empty if it cannot say.

    Decorative: a failing estimate must not take the whole model page down with it.
    """
    if model.sample_count == 0:
        return {}
    try:
        found = service.estimate_training(platform, key, model.handle).efforts
    except Exception:
        log.warning("effort estimate failed for %s", model.handle, exc_info=True)
        return {}
    hints = {}
    for effort, cost in found.items():
        parts = []
        if isinstance(cost.get("seconds"), (int, float)):
            parts.append(f"about {duration(float(cost['seconds']))}")
        if isinstance(cost.get("trials"), (int, float)):
            parts.append(f"{int(cost['trials'])} trials")
        hints[effort] = ", ".join(parts)
    return hints


def model_context(
    platform: Platform, key: ApiKey, handle: str, after: int | None, label: str | None, back: str | None = None,
) -> dict[str, Any]:
    """Everything the model page shows, read through the same service calls as the /v1 GET routes."""
    model = service.get_model(platform, key, handle)
    label = label or None
    can_read_samples = service.may_read_samples(key, handle)
    samples = service.SamplePage([], None)
    if can_read_samples:
        samples = service.list_samples(platform, key, handle, cursor=None if after is None else str(after),
                                       limit=SAMPLES_PER_PAGE, label=label)
    pages = pager(None if after is None else str(after), parse_back(back, str.isdigit), samples.next_cursor,
                  label=label or "")
    known_labels: list[str] = []
    if can_read_samples and service.task_has_labels(model.task):
        known_labels = list(model.labels) if model.labels else service.labels_in_use(platform, key, handle)
    versions = service.list_versions(platform, key, handle)
    return {
        "model": model,
        "samples": samples.items,
        "can_read_samples": can_read_samples,
        "pages": pages,
        "label": label,
        "known_labels": known_labels,
        "versions": versions.items,
        "active_number": versions.active_number,
        "runs": service.list_runs(platform, key, handle, cursor=None, limit=RUNS_SHOWN).items,
        "efforts": service.EFFORTS,
        "effort_hints": effort_hints(platform, key, model),
        "default_effort": service.DEFAULT_EFFORT,
        "can_write": service.may(key, handle, "write"),
        "can_train": service.may(key, handle, "train"),
        "prediction": None,
        "predict_text": "",
        "predict_error": None,
        "max_upload_bytes": platform.settings.max_body_bytes,
    }


@router.get("/{handle}")
def model_page(
    request: Request, handle: str, key: KeyDep, platform: PlatformDep,
    after: str | None = None, label: str | None = None, back: str | None = None,
) -> Response:
    if after is not None and not after.isdigit():
        raise InvalidRequest("that page of samples does not exist; go back to the first page")
    context = model_context(platform, key, handle, int(after) if after else None, label, back)
    return render(request, "model.html", **context)


@router.post("/{handle}/samples")
def upload_samples(request: Request, handle: str, key: KeyDep, form: UploadFormDep, platform: PlatformDep) -> Response:
    try:
        service.get_model(platform, key, handle, "write")
        data, content_type = uploaded_file(form.files.get("file"))
        counts = service.add_samples(platform, key, handle, data, content_type)
    except U22A8Error as exc:
        return _flash_input_error(request, f"/models/{handle}", exc)
    message = (f"Uploaded: {counts.added} added, {counts.updated} updated, {counts.unchanged} unchanged; "
               f"the model now holds {counts.sample_count} samples.")
    return see_other(request, f"/models/{handle}", ("notice", message))


@router.post("/{handle}/samples/delete")
def delete_sample(request: Request, handle: str, key: KeyDep, form: FormDep, platform: PlatformDep) -> Response:
    """One sample, by id in the form (ids may hold slashes); back to the page the button was on."""
    after, label = form.get("after"), form.get("label")
    after = after if after.isdigit() else None
    here = pager(after, parse_back(form.get("back"), str.isdigit), None, label=label).here
    back_to = f"/models/{handle}" + (f"?{here}" if here else "")
    sample_id = form.get("id")
    service.get_model(platform, key, handle, "write")  # no access: an error page, as for any form
    try:
        if not sample_id:
            raise InvalidRequest("no sample was chosen")
        service.delete_sample(platform, key, handle, sample_id)
    except U22A8Error as exc:  # e.g. deleted meanwhile in another tab: said on the page
        if exc.status not in (*_INPUT_ERRORS, 404):
            raise
        return see_other(request, back_to, ("error", exc.detail))
    return see_other(request, back_to, ("notice", f"Deleted sample {sample_id}."))


@router.post("/{handle}/train")
def train(request: Request, handle: str, key: KeyDep, form: FormDep, platform: PlatformDep) -> Response:
    try:
        outcome = service.train(platform, key, handle, form.get("effort") or None, form.checked("reoptimize"))
    except U22A8Error as exc:
        return _flash_input_error(request, f"/models/{handle}", exc)
    if outcome.run_id is None:
        return see_other(request, f"/models/{handle}", (
            "notice", "The model is ready, so nothing was queued. Tick “Search parameters again” to re-optimize."))
    verb = "Training started" if outcome.queued else "Training was already under way"
    return see_other(request, f"/models/{handle}/runs/{outcome.run_id}", ("notice", f"{verb}: run {outcome.run_id}."))


@router.post("/{handle}/versions/{number}/activate")
def activate(request: Request, handle: str, number: int, key: KeyDep, form: FormDep, platform: PlatformDep) -> Response:
    try:
        version = service.activate_version(platform, key, handle, number)
    except U22A8Error as exc:
        return _flash_input_error(request, f"/models/{handle}", exc)
    return see_other(request, f"/models/{handle}", ("notice", f"Version {version.number} now serves predictions."))


@router.post("/{handle}/predict")
def predict(request: Request, handle: str, key: KeyDep, form: FormDep, platform: PlatformDep) -> Response:
    """Answered in place (no redirect): a prediction is not state worth a URL."""
    text = form.get("inputs")
    context = model_context(platform, key, handle, None, None)
    context["predict_text"] = text
    status = 200
    try:
        inputs = prediction_inputs(text)
        found = service.predict(platform, key, handle, inputs)
        context["prediction"] = {"version": found.version, "rows": list(zip(inputs, found.predictions))}
    except U22A8Error as exc:
        if exc.status not in _INPUT_ERRORS:
            raise
        context["predict_error"], status = exc.detail, exc.status
    return render(request, "model.html", status=status, **context)


def _settings_page(request: Request, platform: Platform, key: ApiKey, handle: str, *, status: int = 200,
                   values: dict[str, Any] | None = None, error: service.InvalidField | None = None) -> Response:
    model = service.get_model(platform, key, handle, "write")
    if values is None:
        values = {"description": model.description, "labels": ", ".join(model.labels or []),
                  "auto_retrain": model.auto_retrain, "quiet_seconds": f"{model.quiet_seconds:g}",
                  "fallback_label": model.fallback_label or "",
                  "fallback_min_precision": "" if model.fallback_min_precision is None else f"{model.fallback_min_precision:g}"}
    return render(request, "model_settings.html", status=status, model=model, values=values,
                  error=error.detail if error else None, error_field=error.field if error else None)


@router.get("/{handle}/settings")
def settings_page(request: Request, handle: str, key: KeyDep, platform: PlatformDep) -> Response:
    return _settings_page(request, platform, key, handle)


@router.post("/{handle}/settings")
def save_settings(request: Request, handle: str, key: KeyDep, form: FormDep, platform: PlatformDep) -> Response:
    """Refused input comes back on the form itself, as typed, with the field marked.

    The form always shows every setting, so each is sent: an empty label box opens the label
    set (``labels: null``), as it would through the API. A score model has no label box.
    """
    values = {"description": form.get("description"), "labels": form.get("labels"),
              "auto_retrain": form.checked("auto_retrain"), "quiet_seconds": form.get("quiet_seconds"),
              "fallback_label": form.get("fallback_label"), "fallback_min_precision": form.get("fallback_min_precision")}
    model = service.get_model(platform, key, handle, "write")
    labels = split_labels(values["labels"]) if service.task_has_labels(model.task) else service.Keep.KEEP
    try:
        retrain = service.AutoRetrain(enabled=values["auto_retrain"], quiet_seconds=quiet_seconds(values["quiet_seconds"]))
        fallback = fallback_fields(values["fallback_label"], values["fallback_min_precision"], model.task == "classify")
        service.update_model(platform, key, handle, description=values["description"], labels=labels,
                             auto_retrain=retrain, **fallback)
    except U22A8Error as exc:
        if exc.status not in _INPUT_ERRORS:
            raise
        refusal = settings_refusal(exc) if isinstance(exc, InvalidRequest) else None
        return _settings_page(request, platform, key, handle, status=exc.status, values=values,
                              error=refusal or service.InvalidField("", exc.detail))
    return see_other(request, f"/models/{handle}", ("notice", f"Saved the settings of {handle}."))


def _delete_page(request: Request, platform: Platform, key: ApiKey, handle: str, *, status: int = 200,
                 typed: str = "", error: str | None = None) -> Response:
    model = service.get_model(platform, key, handle, "write")
    versions = service.list_versions(platform, key, handle)
    return render(request, "model_delete.html", status=status, model=model,
                  version_count=len(versions.items), typed=typed, error=error)


@router.get("/{handle}/delete")
def delete_model_page(request: Request, handle: str, key: KeyDep, platform: PlatformDep) -> Response:
    return _delete_page(request, platform, key, handle)


@router.post("/{handle}/delete")
def delete_model(request: Request, handle: str, key: KeyDep, form: FormDep, platform: PlatformDep) -> Response:
    """``DELETE /v1/models/{handle}``, once the user has typed the handle to confirm."""
    typed = form.get("confirm")
    service.get_model(platform, key, handle, "write")  # access first: a mistyped handle must not reveal anything
    if typed.strip() != handle:
        return _delete_page(request, platform, key, handle, status=422, typed=typed,
                            error=f"type {handle} exactly to confirm; nothing was deleted")
    service.delete_model(platform, key, handle)
    return see_other(request, "/models", ("notice", f"Deleted {handle}, with its samples, versions and runs."))
