"""A run with live progress, its event stream for the browser, and a version's report."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from starlette.responses import Response

from ..api.auth import check_model_access, checked_handle
from ..api.deps import PlatformDep
from ..api.events import run_event_stream
from ..api.presenters import run_public, version_public
from ..store import FINAL_RUN_STATES
from . import actions
from .views import heatmap, per_class_rows, scalar_metrics
from .web import ConsoleRoute, FormDep, KeyDep, render, see_other

router = APIRouter(prefix="/console/models/{handle}", route_class=ConsoleRoute, include_in_schema=False)


@router.get("/runs/{run_id}")
def run_page(request: Request, handle: str, run_id: str, key: KeyDep, platform: PlatformDep) -> Response:
    model = actions.model_for(platform, key, handle)
    run = run_public(platform.store.runs.get(handle, run_id))
    return render(request, "run.html", model=model, run=run, final=run.state in FINAL_RUN_STATES,
                  can_train=actions.may(key, handle, "train"))


@router.post("/runs/{run_id}/cancel")
def cancel_run(
    request: Request, handle: str, run_id: str, key: KeyDep, form: FormDep, platform: PlatformDep,
) -> Response:
    run = actions.cancel_run(platform, key, handle, run_id)
    message = "Canceled." if run.state == "canceled" else "Cancel requested: the run stops after its current trial."
    return see_other(request, f"/models/{handle}/runs/{run_id}", ("notice", message))


@router.get("/runs/{run_id}/events")
async def run_events(request: Request, handle: str, run_id: str, key: KeyDep, platform: PlatformDep) -> Response:
    """The API's own event stream, authenticated by the console cookie instead of a Bearer header.

    EventSource cannot send headers, and handing the key to JavaScript would defeat the
    HttpOnly cookie; so the console serves the stream ``/v1`` serves, with the cookie's key.
    """
    check_model_access(key, checked_handle(handle), "read")
    return await run_event_stream(platform, handle, run_id, request)


@router.get("/versions/{number}")
def version_page(request: Request, handle: str, number: int, key: KeyDep, platform: PlatformDep) -> Response:
    model = actions.model_for(platform, key, handle)
    version = platform.store.versions.get(handle, number)
    active = model.active_version.number if model.active_version else None
    metrics = version.metrics or {}
    return render(
        request, "version.html", model=model, version=version_public(version, active),
        scalars=scalar_metrics(metrics), heat=heatmap(metrics.get("confusion")),
        per_class=per_class_rows(metrics.get("per_class")),
        params_json=json.dumps(version.params, indent=2, sort_keys=True, default=str),
        data_json=json.dumps(version.report, indent=2, sort_keys=True, default=str) if version.report else "",
        can_train=actions.may(key, handle, "train"),
    )



@router.get("/versions/{number}/export")
def export_version(handle: str, number: int, key: KeyDep, platform: PlatformDep) -> Response:
    """The same file as ``GET /v1/models/{handle}/versions/{n}/export``, for the cookie's key.

    A download link cannot send an ``Authorization`` header, and the key stays out of reach
    of page scripts; so, as for the event stream, the console builds the file ``/v1`` builds.
    """
    response = actions.export_version(platform, key, handle, number)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
