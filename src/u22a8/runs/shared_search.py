"""Max-effort searches spread over workers: the run's worker opens an Optuna study in the
platform database and invites other workers to add trials to it.

How helpers are invited is the executor's business (a Celery task at scale): the worker gets an
:data:`InviteHelpers` callable, or none when it trains alone. A helper only ever adds trials:
the run's own worker still chooses the result, writes the version and finishes the run. A helper
stops when the run is no longer running.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import optuna
import sqlalchemy.exc

from .. import engine
from ..settings import Settings
from ..store import Run, Store
from .dataset import build_dataset, training_rows

__all__ = ["InviteHelpers", "shared_study_for", "help_search"]

log = logging.getLogger("u22a8.runs")

# Asks other workers to join a run's shared study (its id and the study).
InviteHelpers = Callable[[Run, engine.SharedStudy], None]


def shared_study_for(settings: Settings, run: Run) -> engine.SharedStudy | None:
    """The study a run would share with helpers, or None when it trains alone (effort below max,
    or no helpers configured)."""
    if run.kind != "search" or run.effort != "max" or settings.search_helpers <= 0:
        return None
    _create_optuna_tables(settings.resolved_database_url)
    return engine.SharedStudy(storage=settings.resolved_database_url, name=f"u22a8-{run.id}-a{run.attempts}")


def _create_optuna_tables(url: str, attempts: int = 3) -> None:
    """Create Optuna's tables in the platform database before any helper is invited.

    Optuna creates its schema when a process first opens the storage; two processes doing so at
    once on a fresh PostgreSQL database collide (a duplicate type or table) and one fails its
    run. So the run's worker creates them here, before it invites helpers; a collision with
    another run's worker doing the same at the same moment is tried again, and the next try
    finds the tables made.
    """
    for attempt in range(1, attempts + 1):
        try:
            optuna.storages.RDBStorage(url).engine.dispose()
            return
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError):
            if attempt == attempts:
                raise
            time.sleep(0.2 * attempt)


def help_search(store: Store, settings: Settings, run_id: str, study_name: str, worker: str) -> int:
    """Run trials of another worker's search until it ends; returns how many this worker ran."""
    run = store.runs.get_by_id(run_id)
    if run is None or run.state != "running":
        return 0
    model = store.models.get(run.handle)
    samples, _, _ = training_rows(store, settings, model, run)  # the rows the search itself draws
    data = build_dataset(model.task, model.labels, samples)
    last_look = [0.0, False]

    def run_ended() -> bool:
        now = time.monotonic()
        if now - last_look[0] >= 1.0:
            last_look[0] = now
            current = store.runs.get_by_id(run_id)
            last_look[1] = current is None or current.state != "running" or current.cancel_requested
        return bool(last_look[1])

    study = engine.SharedStudy(storage=settings.resolved_database_url, name=study_name)
    cache_dir = settings.resolved_feature_cache_dir
    try:
        return engine.join_search(data, "max", study, seed=settings.seed, should_stop=run_ended,
                                  cache_dir=cache_dir, worker=worker)
    except engine.SearchCanceled:
        return 0
