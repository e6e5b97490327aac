"""Models: the list, creating one, and a model's page with its forms.

Forms follow post/redirect/get: success and input errors (409/422) come back as a flash
message on the model page; 401/403/404 are error pages with their status, as in the API.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from .. import engine
from ..api.auth import PLATFORM_OWNER, require
from ..api.deps import Platform, PlatformDep
from ..api.presenters import model_public, run_public, sample_public, version_public
from ..api.schemas import HANDLE_RE
from ..errors import InvalidRequest, U22A8Error
from ..runs import DEFAULT_EFFORT
from ..store import ApiKey, Model
from . import actions
from .views import duration, pager, parse_back, target_text
from .web import ConsoleRoute, FormDep, KeyDep, render, see_other

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
    require(key, "read")
    owners = sorted({key.owner, PLATFORM_OWNER})
    found = platform.store.models.list(owners, after=after, limit=MODELS_PER_PAGE + 1)
    more = len(found) > MODELS_PER_PAGE
    found = found[:MODELS_PER_PAGE]
    pages = pager(after, parse_back(back, lambda c: bool(HANDLE_RE.match(c))),
                  found[-1].handle if more else None)
    return render(request, "models.html", models=[model_public(m) for m in found], pages=pages,
                  can_create=actions.has_scope(key, "write"), tasks=engine.task_names())


@router.post("")
def create_model(request: Request, key: KeyDep, form: FormDep, platform: PlatformDep) -> Response:
    try:
        model = actions.create_model(platform, key, form.get("handle"), form.get("task"), form.get("labels"),
                                     form.get("description"))
    except U22A8Error as exc:
        return _flash_input_error(request, "/models", exc)
    return see_other(request, f"/models/{model.handle}", ("notice", f"Created {model.handle}. Upload samples next."))


def effort_hints(platform: Platform, model: Model) -> dict[str, str]:
    """What each effort would likely cost, as the estimate endpoint answers; empty if it cannot say.

    Decorative: a failing estimate must not take the whole model page down with it.
    """
    if model.sample_count == 0:
        return {}
    try:
        summary = platform.store.samples.summary(model.id)
        found = engine.estimate(summary["n_samples"], summary["n_labels"], model.task,  # type: ignore[arg-type]
                                summary["mean_chars"])
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
    """Everything the model page shows, read the way the /v1 GET routes read it."""
    model = actions.model_for(platform, key, handle)
    label = label or None
    samples, next_pk = platform.store.samples.list(handle, after=after, limit=SAMPLES_PER_PAGE, label=label)
    pages = pager(None if after is None else str(after), parse_back(back, str.isdigit),
                  None if next_pk is None else str(next_pk), label=label or "")
    known_labels: list[str] = []
    if engine.get_task(model.task).has_labels:
        known_labels = list(model.labels) if model.labels else sorted(platform.store.models.labels_in_use(handle))
    active = model.active_version.number if model.active_version else None
    return {
        "model": model_public(model),
        "samples": [sample_public(s) for s in samples],
        "target_text": target_text,
        "pages": pages,
        "label": label,
        "known_labels": known_labels,
        "versions": [version_public(v, active) for v in platform.store.versions.list(handle)],
        "runs": [run_public(r) for r in platform.store.runs.list(handle, limit=RUNS_SHOWN)],
        "efforts": engine.EFFORTS,
        "effort_hints": effort_hints(platform, model),
        "default_effort": DEFAULT_EFFORT,
        "can_write": actions.may(key, handle, "write"),
        "can_train": actions.may(key, handle, "train"),
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
def upload_samples(request: Request, handle: str, key: KeyDep, form: FormDep, platform: PlatformDep) -> Response:
    try:
        counts = actions.upload_samples(platform, key, handle, form.files.get("file"))
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
    actions.model_for(platform, key, handle, "write")  # no access: an error page, as for any form
    try:
        actions.delete_sample(platform, key, handle, sample_id)
    except U22A8Error as exc:  # e.g. deleted meanwhile in another tab: said on the page
        if exc.status not in (*_INPUT_ERRORS, 404):
            raise
        return see_other(request, back_to, ("error", exc.detail))
    return see_other(request, back_to, ("notice", f"Deleted sample {sample_id}."))


@router.post("/{handle}/train")
def train(request: Request, handle: str, key: KeyDep, form: FormDep, platform: PlatformDep) -> Response:
    try:
        outcome = actions.train(platform, key, handle, form.get("effort"), form.checked("reoptimize"))
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
        version = actions.activate_version(platform, key, handle, number)
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
        context["prediction"] = actions.predict(platform, key, handle, text)
    except U22A8Error as exc:
        if exc.status not in _INPUT_ERRORS:
            raise
        context["predict_error"], status = exc.detail, exc.status
    return render(request, "model.html", status=status, **context)


def _settings_page(request: Request, platform: Platform, key: ApiKey, handle: str, *, status: int = 200,
                   values: dict[str, Any] | None = None, error: actions.FieldError | None = None) -> Response:
    model = model_public(actions.model_for(platform, key, handle, "write"))
    if values is None:
        values = {"description": model.description, "labels": ", ".join(model.labels or []),
                  "auto_retrain": model.auto_retrain.enabled,
                  "quiet_seconds": f"{model.auto_retrain.quiet_seconds:g}"}
    return render(request, "model_settings.html", status=status, model=model, values=values,
                  error=error.detail if error else None, error_field=error.field if error else None)


@router.get("/{handle}/settings")
def settings_page(request: Request, handle: str, key: KeyDep, platform: PlatformDep) -> Response:
    return _settings_page(request, platform, key, handle)


@router.post("/{handle}/settings")
def save_settings(request: Request, handle: str, key: KeyDep, form: FormDep, platform: PlatformDep) -> Response:
    """Refused input comes back on the form itself, as typed, with the field marked."""
    values = {"description": form.get("description"), "labels": form.get("labels"),
              "auto_retrain": form.checked("auto_retrain"), "quiet_seconds": form.get("quiet_seconds")}
    try:
        actions.update_model(platform, key, handle, description=values["description"], labels=values["labels"],
                             auto_retrain=values["auto_retrain"], quiet_seconds=values["quiet_seconds"])
    except actions.FieldError as exc:
        return _settings_page(request, platform, key, handle, status=exc.status, values=values, error=exc)
    except U22A8Error as exc:
        if exc.status not in _INPUT_ERRORS:
            raise
        return _settings_page(request, platform, key, handle, status=exc.status, values=values,
                              error=actions.FieldError("", exc.detail))
    return see_other(request, f"/models/{handle}", ("notice", f"Saved the settings of {handle}."))


def _delete_page(request: Request, platform: Platform, key: ApiKey, handle: str, *, status: int = 200,
                 typed: str = "", error: str | None = None) -> Response:
    model = actions.model_for(platform, key, handle, "write")
    versions = platform.store.versions.list(handle)
    return render(request, "model_delete.html", status=status, model=model_public(model),
                  version_count=len(versions), typed=typed, error=error)


@router.get("/{handle}/delete")
def delete_model_page(request: Request, handle: str, key: KeyDep, platform: PlatformDep) -> Response:
    return _delete_page(request, platform, key, handle)


@router.post("/{handle}/delete")
def delete_model(request: Request, handle: str, key: KeyDep, form: FormDep, platform: PlatformDep) -> Response:
    typed = form.get("confirm")
    try:
        actions.delete_model(platform, key, handle, typed)
    except actions.FieldError as exc:
        return _delete_page(request, platform, key, handle, status=exc.status, typed=typed, error=exc.detail)
    return see_other(request, "/models", ("notice", f"Deleted {handle}, with its samples, versions and runs."))
