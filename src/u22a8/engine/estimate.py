"""A cost model for a search: seconds and trials per effort, before anything is trained.

Costs are linear in what drives them, with constants measured on the reference machine (see
"Figures behind engine defaults" in bench/RESULTS.md): counting n-grams and building per-fold
matrices grow with characters; a fit grows as its family says (``Family.fit_rates``, per
sample and output column); a MiniLM embedding costs a fixed time per
text plus loading the model (cached texts are free, which this model ignores, so it errs on the
slow side). The trial loop then applies the search's own time rule (:func:`.trials.trial_fits`):
a trial starts only if it and the final fit still fit in the ceiling.

Fine-tuning (max, tasks that allow it) is planned as the search plans it
(:func:`.finetuned_members.plan_recipe` with the reference machine's speed, within the share of
the ceiling and the margin of :mod:`.budget`) and its expected seconds come first; the trials
get what is left.
"""

from __future__ import annotations

from .budget import BUDGETS, TUNE_MARGIN, TUNE_SHARE
from .evaluation import N_FOLDS, SMALL_DATA
from .families import get_family
from .finetuned_members import plan_recipe, tuned_seconds
from .tasks import get_task
from .trials import FINAL_FIT_PER_FOLD, trial_fits

__all__ = ["estimate", "COSTS"]
COSTS = {
    "overhead": 0.5,  # data report, folds, calibration, storing the artifact
    "per_char": 1.0e-6,  # n-gram counting (once) and per-fold TF-IDF matrices, per character
    "fold_overhead": 0.05,  # per fold: slicing, scoring
    # Per fold from medium up: tone cues and dense blocks to stack, larger ensembles to score.
    "fold_overhead_rich": 0.2,
    "embed_load": 6.0,  # importing torch + sentence-transformers and reading MiniLM, once
    "embed_per_text": 2.7e-3,  # MiniLM on CPU
    "dense_share": 0.6,  # share of trials with the embedding block once it is in the space
}


# Judging by trials so far, the search's fold cost is the slowest recent fold: above the mean.
_SLOWEST_OVER_MEAN = 1.2


def estimate(n_samples: int, n_labels: int, task: str, mean_chars: float) -> dict[str, dict[str, float]]:
    """Per effort, ``{"seconds": expected wall seconds, "trials": expected trials}``."""
    rules = get_task(task)
    n = max(int(n_samples), 0)
    outputs = rules.output_columns(n_labels)
    chars = COSTS["per_char"] * n * max(mean_chars, 1.0)
    protocol = N_FOLDS if n <= SMALL_DATA else 1
    train_rows = n * (N_FOLDS - 1) / N_FOLDS
    out: dict[str, dict[str, float]] = {}
    for effort, budget in BUDGETS.items():
        embed_cost = COSTS["embed_load"] + COSTS["embed_per_text"] * n
        dense = budget.embed and embed_cost <= budget.seconds / 4  # the search's own skip rule
        sparse_rate, dense_rate = get_family(rules.default_family).fit_rates
        fit_rate = sparse_rate
        if dense:
            share = COSTS["dense_share"]
            fit_rate = share * dense_rate + (1 - share) * fit_rate
        overhead = COSTS["fold_overhead"] + (COSTS["fold_overhead_rich"] if budget.embed else 0.0)
        fold = fit_rate * train_rows * outputs + 0.8 * chars + overhead
        folds = max(protocol, min(budget.folds, N_FOLDS))
        members = min(max(1, budget.ensemble), 3)  # kNN members cost next to nothing to refit
        final = fit_rate * n * outputs * members + chars
        elapsed = COSTS["overhead"] + chars + (embed_cost if dense else 0.0)
        if budget.finetune and dense and rules.fine_tunable:
            recipe = plan_recipe(n, protocol, N_FOLDS, (TUNE_SHARE * budget.seconds - elapsed) / TUNE_MARGIN)
            if recipe is not None:
                elapsed += tuned_seconds(n, protocol, N_FOLDS, recipe)
        trials = 0
        while trials < budget.trials:
            # Pruning stops about half the later trials after their first (protocol) folds.
            cost = fold * (folds if trials == 0 else protocol + 0.5 * (folds - protocol))
            # The search's time rule; its fixed final overhead is in COSTS["overhead"] here.
            reserve = FINAL_FIT_PER_FOLD * fold * members
            if trials > 0 and not trial_fits(elapsed, folds, _SLOWEST_OVER_MEAN * fold, reserve, budget.seconds):
                break
            elapsed += cost
            trials += 1
        out[effort] = {"seconds": round(elapsed + final, 1), "trials": trials}
    return out
