"""What each effort may spend: trials, wall-clock seconds, folds per trial, extras.

The wall-clock ceiling is what users feel, so it is enforced (see :mod:`.search`); the trial
budget is the most the search tries when there is time.

``max`` searches like ``high`` (3 folds, up to 40 trials, 4 members) and spends its extra time
on fine-tuning MiniLM (:mod:`.finetuned_members`) when that fits, rather than searching harder
(more folds, trials and members scored no better on test, bench/RESULTS.md): the top trials
differ by less than the held-out rows' standard error, so picking the best of many on the same
rows mostly selects noise; more trials of the same linear models cannot gain, and more
selection can only lose.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Budget", "BUDGETS", "TUNE_SHARE", "TUNE_MARGIN"]

# Fine-tuning (efforts with ``finetune``) may take at most this share of the ceiling, and its
# plan must fit there this many times over (timings on a shared machine vary); the trials of a
# high-sized search get the rest.
TUNE_SHARE = 0.6
TUNE_MARGIN = 1.1


@dataclass(frozen=True)
class Budget:
    trials: int
    seconds: float
    folds: int  # search folds per trial (at least the protocol's); later folds can be pruned
    embed: bool  # the sentence-embedding block is in the search space
    ensemble: int  # members of the final soft-voting ensemble (0 or 1: the best trial alone)
    finetune: bool = False  # fine-tune MiniLM on the samples when it fits (classify only)
    # Without MiniLM: kNN on the distilled static embedding (nearly free) is in the space.
    static: bool = False


BUDGETS: dict[str, Budget] = {
    "low": Budget(trials=6, seconds=20.0, folds=1, embed=False, ensemble=2, static=True),
    "medium": Budget(trials=16, seconds=180.0, folds=2, embed=True, ensemble=2),
    "high": Budget(trials=40, seconds=600.0, folds=3, embed=True, ensemble=4),
    "max": Budget(trials=40, seconds=1800.0, folds=3, embed=True, ensemble=4, finetune=True),
}
