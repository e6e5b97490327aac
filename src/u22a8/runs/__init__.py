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
