"""Runs: executors, the worker, the scheduler and leases."""

from __future__ import annotations

from ..settings import Settings
from ..store import Store
from .executor import RunExecutor, worker_identity
from .local import LocalExecutor
from .models import prepare_models, prepare_models_in_background, use_models_dir
from .worker import execute_run

__all__ = [
    "RunExecutor",
    "LocalExecutor",
    "execute_run",
    "make_executor",
    "worker_identity",
    "prepare_models",
    "prepare_models_in_background",
    "use_models_dir",
]


def make_executor(store: Store, settings: Settings) -> RunExecutor:
    """The broker URL picks the backend: none → embedded worker processes, else Celery."""
    if settings.broker_url:
        from .celery_executor import CeleryExecutor

        return CeleryExecutor(store, settings)
    return LocalExecutor(store, settings)
