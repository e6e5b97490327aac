"""/v1/models/{handle}/runs: list, get, cancel, and live events as Server-Sent Events."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from ... import service
from ..deps import KeyDep, PlatformDep
from ..events import run_event_stream
from ..presenters import run_public
from ..schemas import RunList, RunPublic
from ..routing import V1Route

router = APIRouter(prefix="/v1/models/{handle}/runs", tags=["runs"], route_class=V1Route)


@router.get("", response_model=RunList, operation_id="list_runs")
def list_runs(
    handle: str, key: KeyDep, platform: PlatformDep, cursor: str | None = None,
    limit: int = Query(default=50, ge=1, le=500),
) -> RunList:
    page = service.list_runs(platform, key, handle, cursor=cursor, limit=limit)
    return RunList(items=[run_public(r) for r in page.items], next_cursor=page.next_cursor)


@router.get("/{run_id}", response_model=RunPublic, operation_id="get_run")
def get_run(handle: str, run_id: str, key: KeyDep, platform: PlatformDep) -> RunPublic:
    return run_public(service.get_run(platform, key, handle, run_id))


@router.post("/{run_id}/cancel", response_model=RunPublic, operation_id="cancel_run")
def cancel_run(handle: str, run_id: str, key: KeyDep, platform: PlatformDep) -> RunPublic:
    """Queued runs end at once; running ones stop at their next trial boundary."""
    return run_public(service.cancel_run(platform, key, handle, run_id))


@router.get("/{run_id}/events", operation_id="run_events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}}})
async def run_events(handle: str, run_id: str, request: Request, key: KeyDep, platform: PlatformDep) -> StreamingResponse:
    """Server-Sent Events: every recorded event (queued, started, progress, the end), then the stream closes.

    Resumable: a reconnecting client sends ``Last-Event-ID`` and gets only what it missed.
    """
    return await run_event_stream(platform, key, handle, run_id, request)
