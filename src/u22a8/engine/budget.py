"""What each effort may spend: trials, wall-clock seconds, folds per trial, extras.

The wall-clock ceiling is what users feel, so it is enforced (see :mod:`.search`); the trial
budget is the most the search tries when there is time.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Budget", "BUDGETS"]


@dataclass(frozen=True)
class Budget:
    trials: int
    seconds: float
    folds: int  # search folds per trial (at least the protocol's); later folds can be pruned
    embed: bool  # the sentence-embedding block is in the search space
    ensemble: int  # members of the final soft-voting ensemble (0 or 1: the best trial alone)


BUDGETS: dict[str, Budget] = {
    "low": Budget(trials=6, seconds=20.0, folds=1, embed=False, ensemble=0),
    "medium": Budget(trials=16, seconds=180.0, folds=2, embed=True, ensemble=2),
    "high": Budget(trials=40, seconds=600.0, folds=3, embed=True, ensemble=4),
    "max": Budget(trials=100, seconds=1800.0, folds=5, embed=True, ensemble=6),
}
