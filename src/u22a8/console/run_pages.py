"""A run with live progress, its event stream for the browser, and a version's report."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from starlette.responses import Response

from .. import service
from fastapi.responses import StreamingResponse
from .html_errors import ConsoleRoute
from .rendering import render, see_other
from .report_shapes import heatmap, per_class_rows, scalar_metrics
from .session_checks import FormDep, KeyDep, PlatformDep

router = APIRouter(prefix="/console/models/{handle}", route_class=ConsoleRoute, include_in_schema=False)


@router.get("/runs/{run_id}")
def run_page(request: Request, handle: str, run_id: str, key: KeyDep, platform: PlatformDep) -> Response:
    model = service.get_model(platform, key, handle)
    run = service.get_run(platform, key, handle, run_id)
    return render(request, "run.html", model=model, run=run, final=run.state in service.FINAL_RUN_STATES,
                  can_train=service.may(key, handle, "train"))


@router.post("/runs/{run_id}/cancel")
def cancel_run(
    request: Request, handle: str, run_id: str, key: KeyDep, form: FormDep, platform: PlatformDep,
) -> Response:
    run = service.cancel_run(platform, key, handle, run_id)
    message = "Canceled." if run.state == "canceled" else "Cancel requested: the run stops after its current trial."
    return see_other(request, f"/models/{handle}/runs/{run_id}", ("notice", message))


@router.get("/runs/{run_id}/events")
async def run_events(request: Request, handle: str, run_id: str, key: KeyDep, platform: PlatformDep) -> Response:
    """The API's own event stream, authenticated by the console cookie instead of a Bearer header.

    EventSource cannot send headers, and handing the key to JavaScript would defeat the
    HttpOnly cookie; so the console serves the stream ``/v1`` serves, with the cookie's key.
    """
    frames = await service.open_run_events(platform, key, handle, run_id,
                                           last_event_id=request.headers.get("last-event-id"),
                                           disconnected=request.is_disconnected)
    return StreamingResponse(frames, media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


@router.get("/versions/{number}")
def version_page(request: Request, handle: str, number: int, key: KeyDep, platform: PlatformDep) -> Response:
    model = service.get_model(platform, key, handle)
    version = service.get_version(platform, key, handle, number)
    active = model.active_version.number if model.active_version else None
    metrics = version.metrics or {}
    return render(
        request, "version.html", model=model, version=version, active_number=active,
        scalars=scalar_metrics(metrics), heat=heatmap(metrics.get("confusion")),
        per_class=per_class_rows(metrics.get("per_class")),
        params_json=json.dumps(version.params, indent=2, sort_keys=True, default=str),
        data_json=json.dumps(version.report, indent=2, sort_keys=True, default=str) if version.report else "",
        can_train=service.may(key, handle, "train"),
    )


@router.get("/versions/{number}/export")
def export_version(handle: str, number: int, key: KeyDep, platform: PlatformDep) -> Response:
    """The same file as ``GET /v1/models/{handle}/versions/{n}/export``, for the cookie's key.

    A download link cannot send an ``Authorization`` header, and the key stays out of reach
    of page scripts; so, as for the event stream, the console serves the file ``/v1`` serves.
    """
    export = service.export_version(platform, key, handle, number)
    return Response(export.data, media_type=export.media_type, headers={
        "Content-Disposition": f'attachment; filename="{export.filename}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    })
