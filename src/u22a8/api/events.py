"""A run's event stream as an HTTP response (the frames and the access rule live in the service)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import StreamingResponse

from .. import service

__all__ = ["run_event_stream"]


async def run_event_stream(platform: service.Platform, key: service.ApiKey, handle: str, run_id: str,
                           request: Request) -> StreamingResponse:
    frames = await service.open_run_events(platform, key, handle, run_id,
                                           last_event_id=request.headers.get("last-event-id"),
                                           disconnected=request.is_disconnected)
    return StreamingResponse(frames, media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
