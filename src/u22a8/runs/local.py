"""The embedded executor: runs train in worker processes, so the API process stays responsive."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from .. import engine
from ..settings import Settings
from ..store import Store
from .derived_encoders import prepare_encoders_in_background, use_encoders_dir
from .dispatcher import EventDispatcher
from .executor import RunExecutor, worker_identity
from .lifetime import exit_with_parent, leave_interrupts_to_parent, no_shared_progress_lock
from .worker import execute_run

__all__ = ["LocalExecutor"]

log = logging.getLogger("u22a8.runs")

_child_store: Store | None = None
_child_settings: Settings | None = None


def _init_child(settings_data: dict[str, Any], parent_pid: int) -> None:
    global _child_store, _child_settings
    exit_with_parent(parent_pid)  # an idle worker too: a killed server leaves no process behind
    leave_interrupts_to_parent()
    no_shared_progress_lock()
    # Training runs at a lower priority than the API in the same machine: predictions stay fast
    # while a search uses every core it can get.
    os.nice(10)
    if not logging.getLogger().handlers:  # a spawned child starts with no logging set up
        # Worker lines (a run's phases, failures) go to the server's stderr like its own.
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("u22a8").setLevel(logging.INFO)
    settings = Settings(**settings_data)
    _child_settings = settings
    _child_store = Store(settings.resolved_database_url, settings.resolved_artifacts)
    # Importing this module imported the engine (through the worker): once per process, not per run.
    use_encoders_dir(settings)
    # Here rather than in the first run, whose ceiling would count it; a process the pool starts
    # to replace one that retired (max_tasks_per_child) loads them too.
    engine.warm_training()


def _warm() -> None:
    """Nothing: submitting it makes the pool start its processes now, whose initializer loads
    what a run needs."""


def _child_execute(run_id: str, owner: str) -> None:
    assert _child_store is not None and _child_settings is not None
    run = _child_store.runs.get_by_id(run_id)
    if run is not None:
        execute_run(_child_store, _child_settings, run, owner)


class LocalExecutor(RunExecutor):
    def __init__(self, store: Store, settings: Settings, events: EventDispatcher) -> None:
        super().__init__(store, settings, events)
        self._owner = worker_identity()
        self._running: dict[str, Future[None]] = {}
        self._renewed: dict[str, float] = {}  # run id → when this process last renewed its lease
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        self._pool = self._new_pool()
        # Start worker processes at boot, not on the first train call: that call should not
        # wait for interpreters to start and import the scientific stack.
        for _ in range(self.settings.run_slots):
            self._pool.submit(_warm)
        prepare_encoders_in_background(self.settings)
        super().start()

    def stop(self) -> None:
        super().stop()
        if self._pool is not None:
            # shutdown() forgets the processes, so take them first; a training process must not
            # outlive the server (its run is re-queued by the next server's reaper).
            processes = list((getattr(self._pool, "_processes", None) or {}).values())
            self._pool.shutdown(wait=False, cancel_futures=True)
            for proc in processes:
                proc.terminate()

    def _renew_leases(self) -> None:
        """Keep the lease of every run handed to the pool, from this process, until it ends.

        The run's own heartbeat starts only when its training process takes it up, and a process
        the pool is still starting (an interpreter, the engine, the compiled loops and the
        artifact format, at low priority on a busy machine) can take longer than a lease: the
        reaper would then queue the run a second time (and its events would be sent twice).
        While this process lives it knows the run is in hand; if it dies, the renewals stop and
        the lease lapses as before."""
        now = time.monotonic()
        for run_id, fut in self._running.items():
            if fut.done() or now - self._renewed.get(run_id, now) < self.settings.lease_seconds / 3:
                continue
            self._renewed[run_id] = now
            try:
                self.store.runs.heartbeat(run_id, self._owner, self.settings.lease_seconds)
            except Exception:  # the next pass tries again; the run's own heartbeat may hold it
                log.warning("renewing the lease of run %s failed", run_id, exc_info=True)

    def _new_pool(self) -> ProcessPoolExecutor:
        ctx = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(
            max_workers=self.settings.run_slots,
            mp_context=ctx,
            initializer=_init_child,
            initargs=(self.settings.model_dump(), os.getpid()),
            max_tasks_per_child=25,
        )
        return pool

    def dispatch(self) -> None:
        with self._lock:
            self._renew_leases()
            for run_id, fut in list(self._running.items()):
                if fut.done():
                    del self._running[run_id]
                    self._renewed.pop(run_id, None)
                    if isinstance(fut.exception(), BrokenProcessPool):
                        # A worker process died (killed, out of memory): its lease will lapse and
                        # the reaper re-queues or fails the run; a fresh pool serves the rest.
                        log.error("worker process of run %s died", run_id)
                        self._pool = self._new_pool()
            free = self.settings.run_slots - len(self._running)
            if free <= 0 or self._pool is None:
                return
            for run_id in self.store.runs.queued_ids(limit=free * 4):
                run = self.store.runs.claim(run_id, self._owner, self.settings.lease_seconds)
                if run is None:
                    continue
                self._running[run_id] = self._pool.submit(_child_execute, run_id, self._owner)
                self._renewed[run_id] = time.monotonic()
                free -= 1
                if free == 0:
                    break
