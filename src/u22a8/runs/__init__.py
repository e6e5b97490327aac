"""Runs: executors, the worker, the scheduler and leases."""

from __future__ import annotations

from ..settings import Settings
from ..store import Store
from .derived_encoders import prepare_encoders, prepare_encoders_in_background, use_encoders_dir
from .dispatcher import EventDispatcher, EventHandler, Subscription
from .executor import RunExecutor, worker_identity
from .local import LocalExecutor
from .model_files import artifact_key, clean_up_after_run, counts_key, remove_model_files
from .stored_predictors import load_version_predictor, portable_artifact
from .webhook_delivery import WebhookDeliverer
from .webhook_guard import UnsafeUrl, check_url_shape, resolve_target
from .webhooks import WebhookRunner
from .worker import execute_run

__all__ = [
    "RunExecutor",
    "LocalExecutor",
    "EventDispatcher",
    "EventHandler",
    "Subscription",
    "load_version_predictor",
    "portable_artifact",
    "execute_run",
    "make_executor",
    "make_webhook_runner",
    "WebhookRunner",
    "WebhookDeliverer",
    "UnsafeUrl",
    "check_url_shape",
    "resolve_target",
    "worker_identity",
    "prepare_encoders",
    "prepare_encoders_in_background",
    "use_encoders_dir",
    "artifact_key",
    "counts_key",
    "remove_model_files",
    "clean_up_after_run",
]


def make_executor(store: Store, settings: Settings, events: EventDispatcher) -> RunExecutor:
    """The broker URL picks the backend: none → embedded worker processes, else Celery.

    ``events``: the process's dispatcher, whose events wake the executor's scheduler.
    """
    if settings.broker_url:
        # Imported here, not above: an embedded deployment never loads Celery.
        from .celery_executor import CeleryExecutor

        return CeleryExecutor(store, settings, events)
    return LocalExecutor(store, settings, events)


def make_webhook_runner(store: Store, settings: Settings, events: EventDispatcher) -> WebhookRunner:
    """Sender threads in this process on the embedded default; Celery workers when a broker is set."""
    if settings.broker_url:
        from .celery_app import send_webhooks_task

        broker = settings.broker_url
        return WebhookRunner(store, settings, events, send_remote=lambda: send_webhooks_task(broker))
    return WebhookRunner(store, settings, events)
