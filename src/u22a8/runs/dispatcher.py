"""One event dispatcher per process: reads the outbox in order and hands events to subscribers.

The outbox (``store.events``) holds every event any process wrote. The dispatcher follows it
with a cursor: it reads what is new every ``poll_seconds``, and at once when this process has
just written an event (the store tells it after the commit). Each event goes to every
subscriber whose types match, once per process, in order of id.

A subscriber is a callable taking an :class:`~u22a8.events.Event`. It runs on the dispatcher's
thread, so it must return quickly (hand slow work to its own thread or queue); an exception it
raises is logged and keeps no other subscriber from the event. Adding a subscriber (webhooks,
say) is one module that calls :meth:`EventDispatcher.subscribe` where the platform is composed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..events import Event
from ..store import Store

__all__ = ["EventDispatcher", "EventHandler", "Subscription"]

log = logging.getLogger("u22a8.events")

EventHandler = Callable[[Event], None]

_BATCH = 500


@dataclass(frozen=True, eq=False)
class Subscription:
    """A registered handler; :meth:`cancel` stops its deliveries."""

    handler: EventHandler
    types: tuple[type[Event], ...] | None
    _dispatcher: EventDispatcher

    def wants(self, event: Event) -> bool:
        return self.types is None or isinstance(event, self.types)

    def cancel(self) -> None:
        self._dispatcher.unsubscribe(self)


class EventDispatcher:
    """Follows the outbox from where it stood at :meth:`start` and delivers what follows."""

    def __init__(self, store: Store, *, poll_seconds: float) -> None:
        self._store = store
        self._poll_seconds = poll_seconds
        self._subscriptions: list[Subscription] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._cursor = 0
        self._reading = threading.Lock()  # one reader moves the cursor at a time
        store.events.on_written(self.nudge)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def subscribe(self, handler: EventHandler, types: Iterable[type[Event]] | None = None) -> Subscription:
        """Deliver every later event of ``types`` (any event when None) to ``handler``."""
        sub = Subscription(handler, tuple(types) if types is not None else None, self)
        with self._lock:
            self._subscriptions.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subscriptions:
                self._subscriptions.remove(sub)

    def start(self) -> None:
        self._cursor = self._store.events.last_id()
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="EventDispatcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def nudge(self) -> None:
        """Something was written: read the outbox now rather than at the next poll."""
        self._wake.set()

    def deliver_new(self) -> int:
        """Deliver every event after the cursor; returns how many were read."""
        total = 0
        with self._reading:
            while True:
                batch = self._store.events.after(self._cursor, limit=_BATCH)
                for event in batch:
                    self._deliver(event)
                    assert event.id is not None
                    self._cursor = event.id
                total += len(batch)
                if len(batch) < _BATCH:
                    return total

    def _deliver(self, event: Event) -> None:
        with self._lock:
            subscriptions = list(self._subscriptions)
        for sub in subscriptions:
            if not sub.wants(event):
                continue
            try:
                sub.handler(event)
            except Exception:
                log.exception("subscriber %r failed on %s %s", sub.handler, event.type, event.id)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.deliver_new()
            except Exception:  # the database may be briefly away; the cursor waits for it
                log.warning("reading the event outbox failed", exc_info=True)
            self._wake.wait(self._poll_seconds)
            self._wake.clear()
