"""One trial of a search: the time rule, and a configuration scored fold by fold.

The search, the helpers of a shared search (:mod:`.shared`) and the cost model
(:mod:`.estimate`) all use this module, so scores compare across processes and the estimate
replays the rule the search applies.

Time rule: another trial (or fold) starts only if it, and the final fit of the ensemble on all
rows after it, still fit within the ceiling, judging by what folds cost so far.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import optuna

from .training import Workspace

__all__ = ["Clock", "run_trial", "final_reserve", "trial_fits", "FINAL_FIT_PER_FOLD"]

# Fitting a member on all rows costs about one fold fit on 5/4 of the rows; calibrating and
# packing the result add a fixed overhead.
FINAL_FIT_PER_FOLD = 1.4
_FINAL_OVERHEAD = 0.2
# Several members are fitted side by side (two worker threads, see .assemble; liblinear runs
# without the GIL): two took about 0.65 of the sum of their fits (a retrain's 1.42 and 2.07 s
# fits on 10k Banking77 rows ended 2.2 s after the first began). The trials keep the time of
# fitting them one after the other (the margin a slower machine needs); whether the final fit
# still fits once the trials are over is judged side by side, else a low search without the
# static vectors found no time for its two-member final fit and served its held-out fits.
_SIDE_BY_SIDE = 0.65
_RECENT_FOLDS = 6  # a fold's cost is the slowest of the recent ones: trials differ in size


def _slowest_recent(seconds: list[float]) -> float:
    recent = seconds[-_RECENT_FOLDS:]
    return max(recent) if recent else 0.0


def final_reserve(fold_cost: float, members: int, side_by_side: bool = False) -> float:
    """Seconds to keep for fitting ``members`` on all rows, at ``fold_cost`` per fold: one after
    the other, or (``side_by_side``) as the final fit runs them, two at a time."""
    members = max(members, 1)
    share = _SIDE_BY_SIDE if side_by_side and members > 1 else 1.0
    return FINAL_FIT_PER_FOLD * fold_cost * members * share + _FINAL_OVERHEAD


def trial_fits(elapsed: float, folds: int, fold_cost: float, reserve: float, limit: float) -> bool:
    """The time rule: ``folds`` more folds at ``fold_cost`` each, then the final fit (``reserve``
    seconds, see :func:`final_reserve`), end within ``limit``."""
    return elapsed + folds * fold_cost + reserve <= limit


class Clock:
    """Wall-clock accounting: what the trials cost and whether another one fits."""

    def __init__(self, limit: float) -> None:
        self.t0 = time.monotonic()
        self.limit = limit
        self.fold_seconds: list[float] = []  # what each fold took
        # The same without what it computed once for every later fit (see Workspace.once_seconds):
        # the final fit reuses that, so its reserve is judged by these. Trial 0's first fold counts
        # the n-grams of every row: kept in, a low search on a large model's draw reserved more
        # than twice what its final fit takes and served its held-out fit (bench/RESULTS.md, scale).
        self.fit_seconds: list[float] = []

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def add_fold(self, seconds: float, once: float = 0.0) -> None:
        """Record a fold that took ``seconds``, ``once`` of them on what later fits reuse."""
        self.fold_seconds.append(seconds)
        self.fit_seconds.append(max(seconds - once, 0.0))

    def fold_cost(self) -> float:
        return _slowest_recent(self.fold_seconds)

    def final_reserve(self, members: int, side_by_side: bool = False) -> float:
        return final_reserve(_slowest_recent(self.fit_seconds), members, side_by_side)

    def fits(self, folds: int, members: int) -> bool:
        return trial_fits(self.elapsed(), folds, self.fold_cost(), self.final_reserve(members), self.limit)

    def final_fit_fits(self, members: int) -> bool:
        """Whether fitting ``members`` on all rows, side by side as the final fit does, ends in time."""
        return trial_fits(self.elapsed(), 0, self.fold_cost(), self.final_reserve(members, True), self.limit)


def run_trial(ws: Workspace, trial: optuna.Trial, member: dict[str, Any], n_folds: int, clock: Clock,
              members_final: int, first: bool) -> tuple[dict[int, np.ndarray], list[float], optuna.trial.TrialState]:
    """Score ``member`` on up to ``n_folds`` folds: its fold outputs, fold scores and final state.

    The running mean is reported after the protocol folds so the pruner can stop a hopeless
    trial; ``first`` (the known-good default) is never pruned and always completes its protocol
    folds, so a search always has a result.
    """
    outputs: dict[int, np.ndarray] = {}
    scores: list[float] = []
    for k in range(n_folds):
        must_finish = first and k < ws.n_protocol
        if k > 0 and not must_finish and not clock.fits(1, members_final):
            # Out of time mid-trial: a partial mean is not comparable with full ones, except for
            # trial 0, which must stand (on the folds it has) so that there is a result.
            state = optuna.trial.TrialState.COMPLETE if first else optuna.trial.TrialState.PRUNED
            return outputs, scores, state
        t, once = time.monotonic(), ws.once_seconds
        out, score = ws.fold_output(member, k)
        clock.add_fold(time.monotonic() - t, ws.once_seconds - once)
        outputs[k] = out
        scores.append(score)
        if k + 1 >= ws.n_protocol and k + 1 < n_folds:
            trial.report(float(np.mean(scores)), step=k + 1)
            if not first and trial.should_prune():
                return outputs, scores, optuna.trial.TrialState.PRUNED
    return outputs, scores, optuna.trial.TrialState.COMPLETE
