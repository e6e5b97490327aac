"""A run's events as Server-Sent Events frames, for ``/v1`` clients and the console's run page alike.

Each front door checks nothing itself: :func:`open_run_events` checks the key's access and that
the run exists before the first byte, so an unknown run is a 404 rather than an empty stream;
the front door only wraps the frames in its streaming response (the console authenticates by
its cookie, since EventSource cannot send an ``Authorization`` header).

The stream replays what the outbox holds for the run, then follows the process's event
dispatcher: no stream polls the database on its own.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable

from anyio.to_thread import run_sync

from ..events import Event, RunEvent
from ..store import FINAL_RUN_STATES, ApiKey
from .access import check_model_access, checked_handle
from .platform import Platform

__all__ = ["open_run_events"]

# How often a quiet stream looks whether its client left; after _KEEP_ALIVE_SECONDS of quiet it
# sends a comment (proxies close idle connections) and re-reads the outbox, in case an event
# reached it while the dispatcher could not read (the database was away).
_WAIT_SECONDS = 0.5
_KEEP_ALIVE_SECONDS = 15.0


def _frame(event: RunEvent) -> str:
    payload = json.dumps({"type": event.stream_name, "at": event.at.isoformat(), **event.details})
    return f"id: {event.id}\nevent: {event.stream_name}\ndata: {payload}\n\n"


async def open_run_events(platform: Platform, key: ApiKey, handle: str, run_id: str, *, last_event_id: str | None,
                          disconnected: Callable[[], Awaitable[bool]]) -> AsyncIterator[str]:
    """Every recorded event (queued, started, progress, the end) as SSE frames, then the end.

    Resumable: ``last_event_id`` (a reconnecting client's ``Last-Event-ID``) skips what it saw.
    ``disconnected`` tells a quiet stream that its client left.
    """
    check_model_access(key, checked_handle(handle), "read")
    await run_sync(platform.store.runs.get, handle, run_id)  # an unknown run is a 404, not an empty stream
    last = last_event_id or "0"
    release = platform.streams.take(key)  # each key holds a capped number of streams open
    # Event ids are 63-bit integers in every backend: anything else replays from the start.
    after = int(last) if last.isdigit() and len(last) <= 18 else 0
    return _released(_frames(platform, handle, run_id, after, disconnected), release)


async def _released(frames: AsyncGenerator[str, None], release: Callable[[], None]) -> AsyncIterator[str]:
    try:
        async for frame in frames:
            yield frame
    finally:
        release()
        await frames.aclose()


async def _frames(platform: Platform, handle: str, run_id: str, after: int,
                  disconnected: Callable[[], Awaitable[bool]]) -> AsyncGenerator[str, None]:
    loop = asyncio.get_running_loop()
    live: asyncio.Queue[RunEvent] = asyncio.Queue()

    def on_event(event: Event) -> None:  # on the dispatcher's thread
        if isinstance(event, RunEvent) and event.run_id == run_id:
            loop.call_soon_threadsafe(live.put_nowait, event)

    # Subscribe before reading the outbox: an event committed in between arrives both ways,
    # and the id says which copy to skip.
    subscription = platform.events.subscribe(on_event, types=(RunEvent,))
    try:
        recorded = await run_sync(platform.store.events.for_run, run_id, after)
        ended = any(e.final for e in recorded)
        if not ended:
            run = await run_sync(platform.store.runs.get, handle, run_id)
            if run.state in FINAL_RUN_STATES:  # it may have ended after the read: read the rest
                recorded += await run_sync(platform.store.events.for_run, run_id,
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
                if await disconnected():
                    return
                idle += _WAIT_SECONDS
                if idle >= _KEEP_ALIVE_SECONDS:
                    idle = 0.0
                    yield ": keep-alive\n\n"
                    for missed in await run_sync(platform.store.events.for_run, run_id, after):
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
