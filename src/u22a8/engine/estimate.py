"""A cost model for a search: seconds and trials per effort, before anything is trained.

Costs are linear in what drives them, with constants measured on the reference machine (2 cores,
see bench/quality.py): counting n-grams grows with characters; a one-vs-rest linear fit grows
with samples × labels; a MiniLM embedding costs a fixed time per text (cached texts are free,
which this model ignores, so it errs on the slow side). The effort's ceiling caps the result.
"""

from __future__ import annotations

from .budget import BUDGETS
from .evaluation import N_FOLDS, SMALL_DATA
from .types import Task

__all__ = ["estimate", "COSTS"]

COSTS = {
    "overhead": 0.3,  # process-side setup, calibration, pickling
    "count_per_char": 1.0e-6,  # n-gram counting, per character of training text
    "fit_per_sample_label": 2.5e-6,  # sparse linear fit, per sample × (label or output column)
    "fit_dense_per_sample_label": 1.1e-5,  # the same with the 384 embedding columns appended
    "embed_per_text": 2.7e-3,  # MiniLM on CPU
}


def _fit_seconds(n: int, outputs: int, dense: bool) -> float:
    per = COSTS["fit_dense_per_sample_label"] if dense else COSTS["fit_per_sample_label"]
    return n * outputs * per


def estimate(n_samples: int, n_labels: int, task: Task, mean_chars: float) -> dict[str, dict[str, float]]:
    """Per effort, ``{"seconds": expected wall seconds, "trials": expected trials}``."""
    n = max(int(n_samples), 0)
    outputs = 1 if task == "score" or n_labels <= 2 else int(n_labels)
    count = COSTS["count_per_char"] * n * max(mean_chars, 1.0)
    protocol = N_FOLDS if n <= SMALL_DATA else 1
    train_rows = int(n * (N_FOLDS - 1) / N_FOLDS)
    out: dict[str, dict[str, float]] = {}
    for effort, budget in BUDGETS.items():
        dense = budget.embed
        fold = _fit_seconds(train_rows, outputs, dense) + 0.1 * count
        folds = max(protocol, min(budget.folds, N_FOLDS))
        # Pruning stops about half the later trials after their first folds.
        per_trial = fold * (protocol + 0.6 * (folds - protocol))
        fixed = COSTS["overhead"] + count + (COSTS["embed_per_text"] * n if dense else 0.0)
        final = _fit_seconds(n, outputs, dense) * max(1, budget.ensemble) + count
        room = budget.seconds - fixed - final
        trials = budget.trials if per_trial <= 0 else max(1, min(budget.trials, int(room // per_trial)))
        seconds = min(fixed + final + trials * per_trial, max(budget.seconds, fixed + final + per_trial))
        out[effort] = {"seconds": round(seconds, 1), "trials": trials}
    return out
