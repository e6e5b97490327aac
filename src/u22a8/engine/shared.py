"""Searches shared by several processes through Optuna's RDB storage (effort max, scale-out).

The owner (the run's worker) opens the study, publishes its plan as a study attribute (trial
budget, deadline, folds, whether embeddings are in the space) and runs trials like any search.
Helpers (:func:`join_search`) wait for the plan, then add trials until the budget is used or the
deadline passes. Every trial records the worker that ran it. Only the owner chooses the result.
"""

from __future__ import annotations

import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import optuna

from .budget import BUDGETS
from .embeddings import MINILM
from .space import suggest_member
from .training import Workspace
from .trials import Clock, run_trial
from .types import Dataset, Effort, SearchCanceled, SharedStudy, StopCheck

__all__ = ["open_study", "publish_plan", "join_search", "PLAN_ATTR"]

PLAN_ATTR = "u22a8_plan"
_PLAN_WAIT_SECONDS = 120.0


def open_study(shared: SharedStudy | None, *, seed: int, n_startup: int, min_resource: int) -> optuna.Study:
    """The search's study: in memory when alone, in the shared RDB storage otherwise."""
    storage: optuna.storages.BaseStorage | None = None
    if shared is not None:
        # pre_ping: a long search outlives idle connections that PostgreSQL or a proxy may close.
        storage = optuna.storages.RDBStorage(shared.storage, engine_kwargs={"pool_pre_ping": True})
    return optuna.create_study(
        storage=storage,
        study_name=shared.name if shared else None,
        load_if_exists=shared is not None,
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=n_startup),
        pruner=optuna.pruners.SuccessiveHalvingPruner(min_resource=min_resource, reduction_factor=2),
    )


def publish_plan(study: optuna.Study, *, trials: int, seconds_left: float, embed: bool, n_folds: int,
                 n_samples: int, members_final: int) -> None:
    study.set_user_attr(PLAN_ATTR, {
        "trials": trials, "deadline": time.time() + seconds_left, "embed": embed, "n_folds": n_folds,
        "n_samples": n_samples, "members_final": members_final,
    })


def finished_or_running(study: optuna.Study) -> int:
    return len(study.get_trials(deepcopy=False))


def wait_for_others(study: optuna.Study, deadline: float) -> None:
    """Let trials that helpers are still running finish (they count towards the result)."""
    while time.time() < deadline:
        running = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
        if not running:
            return
        time.sleep(0.5)


def join_search(data: Dataset, effort: Effort, shared: SharedStudy, *, seed: int = 0,
                should_stop: StopCheck | None = None, cache_dir: Path | None = None, worker: str = "") -> int:
    """Add trials to a search another process owns; returns how many this process ran.

    Trials run through :mod:`.trials`, as the owner's do, so their scores compare."""
    stop = should_stop or (lambda: False)
    budget = BUDGETS[effort]
    ws = Workspace(data, cache_dir=cache_dir, should_stop=stop)
    study = open_study(shared, seed=seed + 1 + zlib.crc32(worker.encode()) % 1000, n_startup=min(8, budget.trials),
                       min_resource=max(1, ws.n_protocol))
    plan = _wait_for_plan(study, stop)
    if plan is None or plan["n_samples"] != ws.n:
        return 0  # the owner finished, or trains on other data than this process sees: stay out
    clock = Clock(max(0.0, plan["deadline"] - time.time()))
    if plan["embed"]:
        ws.dense(MINILM)  # from the shared feature cache the owner filled
    n_labels = len(ws.labels or []) or 1
    done = 0
    while not stop() and finished_or_running(study) < plan["trials"]:
        if done > 0 and not clock.fits(plan["n_folds"], plan["members_final"]):
            break
        trial = study.ask()
        trial.set_user_attr("worker", worker)
        member = suggest_member(trial, ws.task, embed=plan["embed"], n_samples=ws.n, n_labels=n_labels)
        try:
            _, scores, state = run_trial(ws, trial, member, plan["n_folds"], clock, plan["members_final"], first=False)
        except SearchCanceled:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            break
        if state == optuna.trial.TrialState.COMPLETE:
            study.tell(trial, float(np.mean(scores)))
        else:
            study.tell(trial, state=state)
        done += 1
    return done


def _wait_for_plan(study: optuna.Study, stop: StopCheck) -> dict[str, Any] | None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < _PLAN_WAIT_SECONDS:
        plan = study.user_attrs.get(PLAN_ATTR)
        if plan is not None:
            return plan  # type: ignore[no-any-return]
        if stop():
            return None
        time.sleep(0.5)
    return None
