"""Runs: executors, the worker, the scheduler and leases."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ..settings import Settings
from ..store import Store
from .dispatcher import EventDispatcher, EventHandler, Subscription
from .executor import RunExecutor, worker_identity
from .lifetime import exit_with_parent
from .webhook_delivery import WebhookDeliverer
from .webhook_guard import UnsafeUrl, check_url_shape, resolve_target
from .webhooks import WebhookRunner

if TYPE_CHECKING:
    from .derived_encoders import prepare_encoders, prepare_encoders_in_background, use_encoders_dir
    from .local import LocalExecutor
    from .model_files import artifact_key, clean_up_after_run, counts_key, remove_model_files
    from .stored_predictors import load_version_predictor, portable_artifact
    from .worker import execute_run

# Names from the modules that import the engine, loaded on first use (PEP 562): a process that
# needs only the store side of runs (the webhook sender child) then never imports the scientific
# stack (seen: 435 MB and seconds of start-up for a process that only sends HTTP requests).
_FROM_ENGINE_SIDE = {
    "prepare_encoders": "derived_encoders", "prepare_encoders_in_background": "derived_encoders",
    "use_encoders_dir": "derived_encoders", "LocalExecutor": "local", "artifact_key": "model_files",
    "clean_up_after_run": "model_files", "counts_key": "model_files", "remove_model_files": "model_files",
    "load_version_predictor": "stored_predictors", "portable_artifact": "stored_predictors",
    "execute_run": "worker",
}


def __getattr__(name: str) -> Any:
    where = _FROM_ENGINE_SIDE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{where}", __name__), name)
    globals()[name] = value
    return value

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
    "exit_with_parent",
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
    from .local import LocalExecutor

    return LocalExecutor(store, settings, events)


def make_webhook_runner(store: Store, settings: Settings, events: EventDispatcher) -> WebhookRunner:
    """Sender threads in this process on the embedded default; Celery workers when a broker is set."""
    if settings.broker_url:
        from .celery_app import send_webhooks_task

        broker = settings.broker_url
        return WebhookRunner(store, settings, events, send_remote=lambda: send_webhooks_task(broker))
    return WebhookRunner(store, settings, events)
