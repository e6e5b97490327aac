"""The run executor interface, and the scheduler work every backend shares.

    RunExecutor
    ├── LocalExecutor    embedded default: worker processes on this machine (local.py)
    └── CeleryExecutor   scale-out: ``u22a8 worker`` processes via a broker (celery_executor.py)

The database is the source of truth for runs; an executor only moves queued runs to workers.
It looks for work on every ``poll_seconds``, and at once when the event dispatcher reports that a
run was queued or ended, or when a model's quiet period before an auto-retrain ends.
"""

from __future__ import annotations

import abc
import logging
import os
import socket
import threading
import time
import uuid
from datetime import datetime, timedelta

from ..events import RUN_FINAL_EVENTS, Event, RunQueued, SamplesChanged
from ..settings import Settings
from ..store import Store, utcnow
from .dispatcher import EventDispatcher, Subscription

__all__ = ["RunExecutor", "worker_identity"]

log = logging.getLogger("u22a8.runs")

# Events that may leave work for the scheduler: a run to hand out, a slot or a model set free.
_WAKING_EVENTS = (RunQueued, *RUN_FINAL_EVENTS, SamplesChanged)
# Transient outbox events (see store.events.prune) are kept this long, then pruned by a tick.
_EVENTS_KEPT = timedelta(days=1)
_PRUNE_EVERY_SECONDS = 3600.0


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class RunExecutor(abc.ABC):
    """Moves queued runs to workers, and keeps time-driven work going (retrains, reaping)."""

    def __init__(self, store: Store, settings: Settings, events: EventDispatcher) -> None:
        self.store = store
        self.settings = settings
        self._events = events
        self._subscription: Subscription | None = None
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._due_lock = threading.Lock()
        self._next_due: datetime | None = None
        self._last_prune = 0.0

    def start(self) -> None:
        self._subscription = self._events.subscribe(self._on_event, types=_WAKING_EVENTS)
        self._thread = threading.Thread(target=self._loop, name=type(self).__name__, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._subscription is not None:
            self._subscription.cancel()
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def notify(self) -> None:
        """Look for work now rather than at the next poll (the dispatcher's events do this)."""
        self._wake.set()

    def tick(self) -> None:
        """One pass of scheduling: due retrains queued, dead workers' runs reaped, work dispatched."""
        self.store.runs.enqueue_due_retrains()
        for run in self.store.runs.reap_expired(self.settings.max_attempts):
            log.warning("run %s of %s: %s", run.id, run.handle, run.error)
        self.dispatch()
        self._prune_events()

    @abc.abstractmethod
    def dispatch(self) -> None:
        """Hand queued runs to workers."""

    def _on_event(self, event: Event) -> None:
        if isinstance(event, SamplesChanged):
            if event.retrain_due_at is not None:
                self._wake_at(event.retrain_due_at)
        else:
            self._wake.set()

    def _wake_at(self, when: datetime) -> None:
        with self._due_lock:
            if self._next_due is None or when < self._next_due:
                self._next_due = when
        self._wake.set()  # the loop recomputes how long it may sleep

    def _seconds_to_sleep(self, ticked_at: datetime) -> float:
        """Until the next poll, or until the next retrain falls due if that comes first."""
        with self._due_lock:
            due = self._next_due
            if due is not None and due <= ticked_at:  # that tick has queued it
                self._next_due = due = None
        if due is None:
            return self.settings.poll_seconds
        return max(0.0, min(self.settings.poll_seconds, (due - utcnow()).total_seconds()))

    def _prune_events(self) -> None:
        now = time.monotonic()
        if now - self._last_prune >= _PRUNE_EVERY_SECONDS:
            self._last_prune = now
            self.store.events.prune(utcnow() - _EVENTS_KEPT)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            ticked_at = utcnow()
            try:
                self.tick()
            except Exception:  # the database may be briefly away; keep the loop alive
                log.warning("scheduler tick failed", exc_info=True)
            self._wake.wait(self._seconds_to_sleep(ticked_at))
