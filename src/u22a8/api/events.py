"""A run's events as Server-Sent Events, for ``/v1`` clients and the console's run page alike.

Callers check access first: the API with the Bearer key, the console with its cookie's key
(EventSource cannot send an ``Authorization`` header).

The stream replays what the outbox holds for the run, then follows the process's event
dispatcher: no stream polls the database on its own.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from ..events import Event, RunEvent
from ..store import FINAL_RUN_STATES
from .deps import Platform

__all__ = ["run_event_stream"]

# How often a quiet stream looks whether its client left; after _KEEP_ALIVE_SECONDS of quiet it
# sends a comment (proxies close idle connections) and re-reads the outbox, in case an event
# reached it while the dispatcher could not read (the database was away).
_WAIT_SECONDS = 0.5
_KEEP_ALIVE_SECONDS = 15.0


def _frame(event: RunEvent) -> str:
    payload = json.dumps({"type": event.stream_name, "at": event.at.isoformat(), **event.details})
    return f"id: {event.id}\nevent: {event.stream_name}\ndata: {payload}\n\n"


async def run_event_stream(platform: Platform, handle: str, run_id: str, request: Request) -> StreamingResponse:
    """Every recorded event (queued, started, progress, the end), then the stream closes.

    Resumable: a reconnecting client sends ``Last-Event-ID`` and gets only what it missed.
    """
    await run_in_threadpool(platform.store.runs.get, handle, run_id)  # an unknown run is a 404, not an empty stream
    last = request.headers.get("last-event-id", "0")
    start_after = int(last) if last.isdigit() else 0

    async def stream() -> AsyncIterator[str]:
        after = start_after
        loop = asyncio.get_running_loop()
        live: asyncio.Queue[RunEvent] = asyncio.Queue()

        def on_event(event: Event) -> None:  # on the dispatcher's thread
            if isinstance(event, RunEvent) and event.run_id == run_id:
                loop.call_soon_threadsafe(live.put_nowait, event)

        # Subscribe before reading the outbox: an event committed in between arrives both ways,
        # and the id says which copy to skip.
        subscription = platform.events.subscribe(on_event, types=(RunEvent,))
        try:
            recorded = await run_in_threadpool(platform.store.events.for_run, run_id, after)
            ended = any(e.final for e in recorded)
            if not ended:
                run = await run_in_threadpool(platform.store.runs.get, handle, run_id)
                if run.state in FINAL_RUN_STATES:  # it may have ended after the read: read the rest
                    recorded += await run_in_threadpool(platform.store.events.for_run, run_id,
                                                        recorded[-1].id if recorded else after)
                    ended = True
            for event in recorded:
                after = event.id or after
                yield _frame(event)
                if event.final:
                    return
            if ended:
                return
            idle = 0.0
            while True:
                try:
                    event = await asyncio.wait_for(live.get(), _WAIT_SECONDS)
                except asyncio.TimeoutError:
                    if await request.is_disconnected():
                        return
                    idle += _WAIT_SECONDS
                    if idle >= _KEEP_ALIVE_SECONDS:
                        idle = 0.0
                        yield ": keep-alive\n\n"
                        for missed in await run_in_threadpool(platform.store.events.for_run, run_id, after):
                            live.put_nowait(missed)
                    continue
                if event.id is None or event.id <= after:
                    continue
                idle, after = 0.0, event.id
                yield _frame(event)
                if event.final:
                    return
        finally:
            subscription.cancel()

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
