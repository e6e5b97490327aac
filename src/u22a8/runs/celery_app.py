"""The Celery application: its configuration and its two tasks, train a run and help a search.

API processes and ``u22a8 worker`` processes build the same app from the broker URL; only the
workers execute its tasks. A message only says "run X may be queued": the task claims X with a
compare-and-set, so duplicate or stale messages are harmless.
"""

from __future__ import annotations

import logging
from functools import lru_cache, partial
from typing import Any

from celery import Celery

from .. import engine
from ..settings import Settings, get_settings
from ..store import Run, Store
from .executor import worker_identity
from .shared_search import help_search
from .webhook_delivery import WebhookDeliverer
from .worker import execute_run

__all__ = ["celery_app", "EXECUTE_TASK", "JOIN_TASK", "WEBHOOKS_TASK", "WEBHOOKS_QUEUE", "send_webhooks_task"]

log = logging.getLogger("u22a8.runs")

EXECUTE_TASK = "u22a8.execute_run"
JOIN_TASK = "u22a8.join_search"
WEBHOOKS_TASK = "u22a8.deliver_webhooks"
# Webhook attempts wait on receivers, not on cores: their own queue keeps them from queueing
# behind training runs.
WEBHOOKS_QUEUE = "u22a8.webhooks"
_WEBHOOKS_PER_TASK = 50


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
    app.task(name=EXECUTE_TASK, bind=True, max_retries=None)(_execute_task)
    app.task(name=JOIN_TASK, acks_late=False)(_join_task)
    # Not acks_late: a lost task loses nothing, the messages' leases bring them back.
    app.task(name=WEBHOOKS_TASK, acks_late=False)(_webhooks_task)
    app.conf.task_routes = {WEBHOOKS_TASK: {"queue": WEBHOOKS_QUEUE}}
    return app


def send_webhooks_task(broker_url: str) -> None:
    """Ask a worker to send the webhook messages that are due."""
    celery_app(broker_url).send_task(WEBHOOKS_TASK, queue=WEBHOOKS_QUEUE)


@lru_cache(maxsize=1)
def _worker_store() -> tuple[Store, Settings, str]:
    settings = get_settings()
    store = Store(settings.resolved_database_url, settings.resolved_artifacts)
    return store, settings, worker_identity()


def _invite_helpers(app: Celery, settings: Settings, run: Run, study: engine.SharedStudy) -> None:
    for _ in range(settings.search_helpers):
        app.send_task(JOIN_TASK, args=[run.id, study.name])


def _execute_task(task: Any, run_id: str) -> None:
    store, settings, owner = _worker_store()
    run = store.runs.claim(run_id, owner, settings.lease_seconds)
    if run is None:
        current = store.runs.get_by_id(run_id)
        if current is not None and current.state == "queued":
            # Its model is training another run right now: try again shortly.
            raise task.retry(countdown=2)
        return
    execute_run(store, settings, run, owner, invite_helpers=partial(_invite_helpers, task.app, settings))


def _webhooks_task() -> None:
    settings = _worker_store()[1]
    sent = _worker_deliverer().deliver_due(limit=_WEBHOOKS_PER_TASK)
    if sent == _WEBHOOKS_PER_TASK and settings.broker_url:
        send_webhooks_task(settings.broker_url)  # more are due: keep the queue moving


@lru_cache(maxsize=1)
def _worker_deliverer() -> WebhookDeliverer:
    store, settings, _ = _worker_store()
    return WebhookDeliverer(store, settings)


def _join_task(run_id: str, study_name: str) -> None:
    store, settings, owner = _worker_store()
    done = help_search(store, settings, run_id, study_name, owner)
    log.info("helped run %s with %d trials", run_id, done)
