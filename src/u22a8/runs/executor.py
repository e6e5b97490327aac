"""The run executor interface, and the scheduler work every backend shares.

    RunExecutor
    ├── LocalExecutor    embedded default: worker processes on this machine (local.py)
    └── CeleryExecutor   scale-out: ``u22a8 worker`` processes via a broker (celery_executor.py)

The database is the source of truth for runs; an executor only moves queued runs to workers.
"""

from __future__ import annotations

import abc
import logging
import os
import socket
import threading
import uuid

from ..settings import Settings
from ..store import Store

__all__ = ["RunExecutor", "worker_identity"]

log = logging.getLogger("u22a8.runs")


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class RunExecutor(abc.ABC):
    """Moves queued runs to workers, and keeps time-driven work going (retrains, reaping)."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=type(self).__name__, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def notify(self) -> None:
        """A run was queued: look for work now rather than at the next poll."""
        self._wake.set()

    def tick(self) -> None:
        """One pass of scheduling: due retrains queued, dead workers' runs reaped, work dispatched."""
        self.store.runs.enqueue_due_retrains()
        for run in self.store.runs.reap_expired(self.settings.max_attempts):
            log.warning("run %s of %s: %s", run.id, run.handle, run.error)
        self.dispatch()

    @abc.abstractmethod
    def dispatch(self) -> None:
        """Hand queued runs to workers."""

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.tick()
            except Exception:  # the database may be briefly away; keep the loop alive
                log.warning("scheduler tick failed", exc_info=True)
            self._wake.wait(self.settings.poll_seconds)
            self._wake.clear()
