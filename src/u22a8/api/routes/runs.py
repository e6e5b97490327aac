"""/v1/models/{handle}/runs: list, get, cancel, and live events as Server-Sent Events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from ...store import FINAL_RUN_STATES
from ..auth import KeyDep, check_model_access
from ..deps import PlatformDep
from ..presenters import run_public
from ..schemas import RunList, RunPublic
from .models import checked_handle

router = APIRouter(prefix="/v1/models/{handle}/runs", tags=["runs"])



@router.get("", response_model=RunList, operation_id="list_runs")
def list_runs(
    handle: str, key: KeyDep, platform: PlatformDep, cursor: str | None = None,
    limit: int = Query(default=50, ge=1, le=500),
) -> RunList:
    check_model_access(key, checked_handle(handle), "read")
    runs = platform.store.runs.list(handle, before=cursor, limit=limit + 1)
    more = len(runs) > limit
    runs = runs[:limit]
    return RunList(items=[run_public(r) for r in runs], next_cursor=runs[-1].id if more else None)


@router.get("/{run_id}", response_model=RunPublic, operation_id="get_run")
def get_run(handle: str, run_id: str, key: KeyDep, platform: PlatformDep) -> RunPublic:
    check_model_access(key, checked_handle(handle), "read")
    return run_public(platform.store.runs.get(handle, run_id))


@router.post("/{run_id}/cancel", response_model=RunPublic, operation_id="cancel_run")
def cancel_run(handle: str, run_id: str, key: KeyDep, platform: PlatformDep) -> RunPublic:
    """Queued runs end at once; running ones stop at their next trial boundary."""
    check_model_access(key, checked_handle(handle), "train")
    return run_public(platform.store.runs.request_cancel(handle, run_id))


@router.get("/{run_id}/events", operation_id="run_events", response_class=StreamingResponse)
async def run_events(handle: str, run_id: str, request: Request, key: KeyDep, platform: PlatformDep) -> StreamingResponse:
    """Server-Sent Events: every recorded event (queued, started, progress, the end), then the stream closes.

    Resumable: a reconnecting client sends ``Last-Event-ID`` and gets only what it missed.
    """
    check_model_access(key, checked_handle(handle), "read")
    await run_in_threadpool(platform.store.runs.get, handle, run_id)
    last = request.headers.get("last-event-id", "0")
    after = int(last) if last.isdigit() else 0

    async def stream() -> AsyncIterator[str]:
        nonlocal after
        idle = 0.0
        while True:
            events = await run_in_threadpool(platform.store.runs.events, run_id, after)
            for ev in events:
                after = ev.id
                payload = json.dumps({"type": ev.type, "at": ev.at.isoformat(), **ev.data})
                yield f"id: {ev.id}\nevent: {ev.type}\ndata: {payload}\n\n"
                if ev.type in FINAL_RUN_STATES:
                    return
            run = await run_in_threadpool(platform.store.runs.get, handle, run_id)
            if run.state in FINAL_RUN_STATES and not events:
                return
            if await request.is_disconnected():
                return
            idle = 0.0 if events else idle + 0.5
            if idle >= 15:
                idle = 0.0
                yield ": keep-alive\n\n"
            await asyncio.sleep(0.5)

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
