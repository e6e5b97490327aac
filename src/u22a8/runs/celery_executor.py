"""The scale-out executor: API processes enqueue run ids on a Celery broker (Redis or RabbitMQ),
``u22a8 worker`` processes on any number of machines claim and train them.

The database stays the source of truth. A message only says "run X may be queued"; the worker
claims X with a compare-and-set, so duplicate or stale messages are harmless, and a lost one is
re-sent by the next scheduler pass that still sees X queued. The Celery app and its tasks live
in ``celery_app.py``.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from .. import engine
from ..quiet import quiet_celery_worker
from ..settings import Settings
from ..store import Store
from .celery_app import EXECUTE_TASK, WEBHOOKS_QUEUE, celery_app, send_webhooks_task
from .derived_encoders import prepare_encoders
from .dispatcher import EventDispatcher
from .executor import RunExecutor
from .lifetime import no_shared_progress_lock
from .webhooks import WebhookRunner

__all__ = ["CeleryExecutor", "run_worker"]

log = logging.getLogger("u22a8.runs")

_RESEND_SECONDS = 15.0


class CeleryExecutor(RunExecutor):
    def __init__(self, store: Store, settings: Settings, events: EventDispatcher) -> None:
        super().__init__(store, settings, events)
        assert settings.broker_url
        self.app = celery_app(settings.broker_url)
        self._sent: dict[str, float] = {}
        self._lock = threading.Lock()

    def dispatch(self) -> None:
        now = time.monotonic()
        with self._lock:
            queued = self.store.runs.queued_ids(limit=200)
            self._sent = {k: v for k, v in self._sent.items() if k in queued}
            for run_id in queued:
                if now - self._sent.get(run_id, -1e9) >= _RESEND_SECONDS:
                    self.app.send_task(EXECUTE_TASK, args=[run_id])
                    self._sent[run_id] = now


def _masked(url: str) -> str:
    """The broker URL without its password, for a log line."""
    scheme, sep, rest = url.partition("://")
    creds, at, host = rest.rpartition("@")
    return f"{scheme}{sep}{'***@' if at else ''}{host}"


def run_worker(settings: Settings, *, concurrency: int = 1, scheduler: bool = True) -> None:
    """Start a Celery worker in this process (the body of ``u22a8 worker``)."""
    if not settings.broker_url:
        raise SystemExit("set U22A8_BROKER_URL (redis://… or amqp://…) to run workers")
    store = Store(settings.resolved_database_url, settings.resolved_artifacts)
    store.upgrade()
    prepare_encoders(settings)  # once per machine; the prefork children inherit the setting
    engine.warm_training()  # before the children fork: none pays it inside a run's ceiling
    no_shared_progress_lock()  # the children inherit it
    events: EventDispatcher | None = None
    sched: CeleryExecutor | None = None
    webhooks: WebhookRunner | None = None
    if scheduler:
        # Workers also keep retrains and reaping going, so a deployment works with API processes down.
        events = EventDispatcher(store, poll_seconds=settings.poll_seconds)
        sched = CeleryExecutor(store, settings, events)
        broker = settings.broker_url
        webhooks = WebhookRunner(store, settings, events, send_remote=lambda: send_webhooks_task(broker))
        events.start()
        sched.start()
        webhooks.start()
    app = celery_app(settings.broker_url)
    queues = f"celery,{WEBHOOKS_QUEUE}"
    before, after = quiet_celery_worker(f"{concurrency} run(s) at once from {_masked(settings.broker_url)}, queues {queues}")
    try:
        app.worker_main([
            *before, "worker", f"--concurrency={concurrency}", "--pool=prefork", *after,
            f"--hostname=u22a8-{os.getpid()}@%h", "--without-gossip", "--without-mingle",
            f"--queues={queues}",
        ])
    finally:
        if webhooks is not None:
            webhooks.stop()
        if sched is not None and events is not None:
            sched.stop()
            events.stop()
