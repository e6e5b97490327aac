"""A run's events as Server-Sent Events, for ``/v1`` clients and the console's run page alike.

Callers check access first: the API with the Bearer key, the console with its cookie's key
(EventSource cannot send an ``Authorization`` header).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from ..service import FINAL_RUN_STATES, Platform

__all__ = ["run_event_stream"]


async def run_event_stream(platform: Platform, handle: str, run_id: str, request: Request) -> StreamingResponse:
    """Every recorded event (queued, started, progress, the end), then the stream closes.

    Resumable: a reconnecting client sends ``Last-Event-ID`` and gets only what it missed.
    """
    await run_in_threadpool(platform.store.runs.get, handle, run_id)  # an unknown run is a 404, not an empty stream
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
