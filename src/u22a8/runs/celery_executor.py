"""The scale-out executor: API processes enqueue run ids on a Celery broker (Redis or RabbitMQ),
``u22a8 worker`` processes on any number of machines claim and train them.

The database stays the source of truth. A message only says "run X may be queued"; the worker
claims X with a compare-and-set, so duplicate or stale messages are harmless, and a lost one is
re-sent by the next scheduler pass that still sees X queued.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from functools import lru_cache
from typing import Any

from celery import Celery

from ..settings import Settings, get_settings
from ..store import Store
from .executor import RunExecutor, worker_identity
from .models import prepare_models
from .shared_search import JOIN_TASK

__all__ = ["CeleryExecutor", "celery_app", "run_worker"]

log = logging.getLogger("u22a8.runs")

TASK = "u22a8.execute_run"
_RESEND_SECONDS = 15.0


@lru_cache(maxsize=4)
def celery_app(broker_url: str) -> Celery:
    app = Celery("u22a8", broker=broker_url)
    app.conf.update(
        task_ignore_result=True,
        # A message is acknowledged only after the run ends; a worker killed mid-run leaves it
        # for another worker (the run's lease decides whether it is really retried).
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 3600},
        worker_hijack_root_logger=False,
    )
    app.task(name=TASK, bind=True, max_retries=None)(_execute_task)
    app.task(name=JOIN_TASK, acks_late=False)(_join_task)
    return app


@lru_cache(maxsize=1)
def _worker_store() -> tuple[Store, Settings, str]:
    settings = get_settings()
    store = Store(settings.resolved_database_url, settings.resolved_artifacts)
    return store, settings, worker_identity()


def _execute_task(task: Any, run_id: str) -> None:
    from .worker import execute_run

    store, settings, owner = _worker_store()
    run = store.runs.claim(run_id, owner, settings.lease_seconds)
    if run is None:
        current = store.runs.get_by_id(run_id)
        if current is not None and current.state == "queued":
            # Its model is training another run right now: try again shortly.
            raise task.retry(countdown=2)
        return
    # parent_pid: a prefork child whose worker was killed stops too, so its lease lapses.
    execute_run(store, settings, run, owner, parent_pid=os.getppid())


def _join_task(run_id: str, study_name: str) -> None:
    from .shared_search import help_search

    store, settings, owner = _worker_store()
    done = help_search(store, settings, run_id, study_name, owner)
    log.info("helped run %s with %d trials", run_id, done)


class CeleryExecutor(RunExecutor):
    def __init__(self, store: Store, settings: Settings) -> None:
        super().__init__(store, settings)
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
                    self.app.send_task(TASK, args=[run_id])
                    self._sent[run_id] = now


def run_worker(settings: Settings, *, concurrency: int = 1, scheduler: bool = True) -> None:
    """Start a Celery worker in this process (the body of ``u22a8 worker``)."""
    if not settings.broker_url:
        raise SystemExit("set U22A8_BROKER_URL (redis://… or amqp://…) to run workers")
    store = Store(settings.resolved_database_url, settings.resolved_artifacts)
    store.upgrade()
    prepare_models(settings)  # once per machine (~15 s); the prefork children inherit the setting
    sched = None
    if scheduler:
        # Workers also keep retrains and reaping going, so a deployment works with API processes down.
        sched = CeleryExecutor(store, settings)
        sched.start()
    app = celery_app(settings.broker_url)
    try:
        app.worker_main([
            "worker", f"--concurrency={concurrency}", "--pool=prefork", "--loglevel=INFO",
            f"--hostname=u22a8-{os.getpid()}@%h", "--without-gossip", "--without-mingle",
        ])
    finally:
        if sched is not None:
            sched.stop()
