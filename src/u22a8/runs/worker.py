"""Executing one claimed run: the same code under the embedded executor and under Celery.

The run's lease is kept alive by a heartbeat thread. The heartbeat also carries the two ways a
run is told to stop: a cancel request written to the database, and a lost lease (another worker
took the run over). Either makes the engine's stop check return True between trials.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from .. import engine
from ..settings import Settings
from ..store import NewVersion, Run, Store
from .dataset import build_dataset, label_issue_rows, training_rows
from .failures import public_reason
from .model_files import artifact_key, clean_up_after_run, counts_key
from .shared_search import InviteHelpers, shared_study_for

__all__ = ["execute_run"]

log = logging.getLogger("u22a8.runs")


class _Heartbeat(threading.Thread):
    def __init__(self, store: Store, run: Run, owner: str, lease: float) -> None:
        super().__init__(name=f"heartbeat-{run.id}", daemon=True)
        self._store, self._run_id, self._owner, self._lease = store, run.id, owner, lease
        self._done = threading.Event()
        self.canceled = False
        self.lost = False
        self._last_look = 0.0

    def run(self) -> None:
        # A training process whose server or worker was killed ends on its own, so its lease
        # lapses and the run is re-queued: the embedded pool's children by
        # lifetime.exit_with_parent, Celery's prefork children by the parent-death signal Celery
        # sets on them. The heartbeat only keeps the lease and listens for a stop.
        while not self._done.wait(min(self._lease / 3, 2.0)):
            try:
                run = self._store.runs.heartbeat(self._run_id, self._owner, self._lease)
            except Exception:  # the database may be restarting; the lease has slack for that
                log.warning("heartbeat for %s failed", self._run_id, exc_info=True)
                continue
            if run is None:
                self.lost = True
            elif run.cancel_requested:
                self.canceled = True

    def should_stop(self) -> bool:
        # Asked between trials: look at the database at most twice a second so a cancel is
        # honoured promptly without a query per trial.
        now = time.monotonic()
        if not (self.canceled or self.lost) and now - self._last_look >= 0.5:
            self._last_look = now
            try:
                run = self._store.runs.get_by_id(self._run_id)
            except Exception:  # the database may be restarting: ask again later
                run, gone = None, False
            else:
                gone = run is None
            if gone:  # its model was deleted: nobody will take the result
                self.lost = True
            elif run is not None and run.cancel_requested:
                self.canceled = True
        return self.canceled or self.lost

    def stop(self) -> None:
        self._done.set()


def execute_run(store: Store, settings: Settings, run: Run, owner: str, *,
                invite_helpers: InviteHelpers | None = None) -> None:
    """Train a run already claimed by ``owner`` and record the outcome. Never raises.

    ``invite_helpers``: how this executor asks other workers to share a max-effort search;
    None trains alone.
    """
    beat = _Heartbeat(store, run, owner, settings.lease_seconds)
    beat.start()
    cpu0 = time.process_time()
    try:
        _train(store, settings, run, owner, beat.should_stop, cpu0, invite_helpers)
    except engine.SearchCanceled:
        if beat.lost:
            log.warning("run %s lost its lease; leaving it to its new owner", run.id)
        else:
            store.runs.finish(run.id, owner, "canceled", error="canceled by request", cpu_seconds=_cpu(cpu0))
    except Exception as exc:
        # The details are the operator's (the log); the run's error is what API users read.
        log.exception("run %s of %s failed", run.id, run.handle)
        store.runs.finish(run.id, owner, "failed", error=public_reason(exc, run.id), cpu_seconds=_cpu(cpu0))
    finally:
        beat.stop()
        clean_up_after_run(store, settings, run)  # the model may have been deleted meanwhile


def _cpu(cpu0: float) -> float:
    return round(time.process_time() - cpu0, 3)


class _Phases:
    """Wall seconds per phase of a run, logged at its end: where a retrain's latency goes (load
    from the database, fit, store the artifact, record the version)."""

    def __init__(self) -> None:
        self._t = time.perf_counter()
        self.seconds: dict[str, float] = {}

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name], self._t = now - self._t, now

    def log(self, run: Run, n_samples: int, outcome: str) -> None:
        log.info("%s run %s of %s (%d samples, %s): %s", run.kind, run.id, run.handle, n_samples, outcome,
                 ", ".join(f"{k} {v:.2f} s" for k, v in self.seconds.items()))


def _train(store: Store, settings: Settings, run: Run, owner: str, should_stop: Callable[[], bool], cpu0: float,
           invite_helpers: InviteHelpers | None) -> None:
    phases = _Phases()
    model = store.models.get(run.handle)
    samples, n_stored, cap = training_rows(store, settings, model, run)
    drawn = {"stored_rows": n_stored} if cap is not None else {}
    data = build_dataset(model.task, model.labels, samples, fallback_label=model.fallback_label,
                         fallback_min_precision=model.fallback_min_precision)
    cache_dir = settings.resolved_feature_cache_dir
    phases.done("load")

    if run.kind == "search":
        sharing: dict[str, Any] = {}
        if invite_helpers is not None and (study := shared_study_for(settings, run)) is not None:
            invite_helpers(run, study)
            sharing = {"shared_study": study, "worker": owner}
        result = engine.search(
            data,
            run.effort or "medium",  # type: ignore[arg-type]
            seed=settings.seed,
            on_progress=lambda p: _report(store, run, owner, p),
            should_stop=should_stop,
            cache_dir=cache_dir,
            time_limit_seconds=settings.search_time_limit_seconds,
            counts_key=counts_key(model.id),
            spent_seconds=phases.seconds["load"],  # the ceiling counts from the claim
            max_rows=cap,
            memory_bytes=settings.train_memory_bytes,
            **drawn,
            **sharing,
        )
        promote, decision = True, "first version" if model.active_version is None else "fresh parameter search"
        phases.done("fit")
    else:
        active = model.active_version
        if active is None:
            raise RuntimeError("retrain needs an active version")
        result = engine.refit(data, active.params, cache_dir=cache_dir, counts_key=counts_key(model.id),
                              max_rows=cap, **drawn)
        promote, decision = engine.should_promote(result.metrics, active.metrics, settings.retrain_tolerance)
        phases.done("fit")
        if not promote:
            store.runs.finish(run.id, owner, "succeeded", decision=f"kept version {active.number}: {decision}",
                              cpu_seconds=_cpu(cpu0))
            phases.done("record")
            phases.log(run, len(samples), f"kept version {active.number}")
            return
    if should_stop():
        raise engine.SearchCanceled()
    key = artifact_key(model.handle, run.id)
    sha = store.artifacts.put(key, result.artifact)
    phases.done("store")
    version = NewVersion(
        params=result.params, metrics=result.metrics, report=result.report,
        sample_ids=[s.id for s in samples], artifact_key=key, artifact_sha256=sha,
        label_issues=_label_issues(store, model, result, samples),
    )
    recorded = store.runs.finish(run.id, owner, "succeeded", decision=decision, cpu_seconds=_cpu(cpu0),
                                 version=version, promote=promote)
    phases.done("record")
    outcome = f"{len(result.artifact) / 1e6:.1f} MB artifact"
    phases.log(run, len(samples), outcome if recorded else f"{outcome} not recorded: lease lost or model deleted")


def _label_issues(store: Store, model: Any, result: engine.TrainingResult, samples: list[Any]) -> list[dict[str, Any]]:
    """The new version's label issues by sample id. A run that looked at some rows only (a
    retrain: its held-out rows) keeps the active version's issues about the other samples; the
    listing drops those relabeled or deleted since (see store.label_issues)."""
    found = label_issue_rows(result.label_issues, samples)
    if result.issues_checked is None or model.active_version is None:
        return found
    checked = {samples[i].id for i in result.issues_checked}
    earlier = [x for x in store.versions.label_issues(model.handle, model.active_version.number)
               if x["sample_id"] not in checked]
    return sorted(found + earlier, key=lambda x: float(x["self_confidence"]))[:engine.MAX_ISSUES]


def _report(store: Store, run: Run, owner: str, p: engine.Progress) -> None:
    values = {
        "trials_planned": p.trials_planned,
        "trials_done": p.trials_done,
        "best_score": p.best_score,
        "eta_seconds": p.eta_seconds,
        "phase": p.phase,
    }
    # elapsed_seconds goes with the event (for plots of score over time), not onto the run row:
    # the row derives it from started_at.
    trial = {**p.last_trial, "run_elapsed_seconds": p.elapsed_seconds} if p.last_trial else None
    try:
        store.runs.progress(run.id, owner, values, trial)
    except Exception:  # progress is best effort; the outcome is what must be written
        log.warning("progress of %s not recorded", run.id, exc_info=True)
