"""A cost model for a search: seconds and trials per effort, before anything is trained.

Costs are linear in what drives them, with constants measured on the reference machine (see
"Figures behind engine defaults" in bench/RESULTS.md): counting n-grams and building per-fold
matrices grow with characters; a fit grows as its family says (``Family.fit_rates``, per
sample and output column); a MiniLM embedding costs a fixed time per text on the backend this
machine has (ONNX Runtime or torch) plus loading it (cached texts are free, which this model
ignores, so it errs on the slow side). The trial loop then applies the search's own time rule (:func:`.trials.trial_fits`):
a trial starts only if it and the final fit still fit in the ceiling.

Fine-tuning (max, tasks that allow it) is planned as the search plans it
(:func:`.finetuned_members.plan_recipe` with the reference machine's speed, within the share of
the ceiling and the margin of :mod:`.budget`) and its expected seconds come first; the trials
get what is left.
"""

from __future__ import annotations

from .budget import BUDGETS, TUNE_MARGIN, TUNE_SHARE
from .embeddings import minilm_costs
from .evaluation import N_FOLDS, SMALL_DATA
from .families import get_family
from .finetuned_members import plan_recipe, tuned_seconds
from .static_embeddings import static_missing
from .tasks import get_task
from .trials import FINAL_FIT_PER_FOLD, trial_fits

__all__ = ["estimate", "affordable_rows", "memory_rows", "COSTS", "MEMORY", "MEMORY_HEADROOM", "ROW_SHARE", "MIN_ROWS"]
# Peak resident memory of all of a server's processes during a search, in bytes: a base (the
# API, the worker, the models they load) and a share per character of the rows trained on (the
# texts, their n-gram matrices and per-fold copies). Measured on Banking77-like sets of 10k-690k
# rows (bench/RESULTS.md, scale: 1.3-11.7 GiB, about 16.5 KB a row of some 67 characters).
MEMORY = {"base": 1.2e9, "per_char": 260.0}
# The share of the training memory the model above may fill: the same 440,735 rows peaked at 7.90
# and 8.65 GiB in two quiet runs (the model says 8.06), so a cap aimed at the whole budget let
# one of them pass it.
MEMORY_HEADROOM = 0.9
COSTS = {
    "overhead": 0.5,  # data report, folds, calibration, storing the artifact
    "per_char": 1.0e-6,  # n-gram counting (once) and per-fold TF-IDF matrices, per character
    "fold_overhead": 0.05,  # per fold: slicing, scoring
    # Per fold from medium up: tone cues and dense blocks to stack, larger ensembles to score.
    "fold_overhead_rich": 0.2,
    "dense_share": 0.6,  # share of trials with the embedding block once it is in the space
    # Per stored row, whatever the rows trained on: the aggregate queries over every stored row
    # (count, labels; the API's trainability check and the worker's draw), 2 CPU s per million
    # on this 2-core machine under load, 0.6-0.8 s on a quiet one. The rows drawn are read from an
    # index (see .sizing): they cost next to nothing per stored row.
    "per_row": 1.5e-6,
}

# The share of the ceiling the rows of a sub-sampled search are chosen to fill with trial 0 and
# the final fit at the reference machine's speed; the rest is slack for more trials and a slower
# machine. Measured on this 2-core machine shared with other jobs (load average about 7): counting
# n-grams and the SVM fits took 2.2-2.9x the reference constants (2.4e-6 s per character, 7e-6 s
# per row and output column; bench/RESULTS.md, scale), so trial 0 and the final fit on a 0.35
# share take about 0.8 of the ceiling there, and a quiet machine spends the rest on more trials.
ROW_SHARE = 0.35
MIN_ROWS = 5_000  # never sub-sample below this many rows


_SIZE_SCALE = 250_000  # rows at which a sparse fit's per-row cost has doubled (see _size_factor)

# Judging by trials so far, the search's fold cost is the slowest recent fold: above the mean.
_SLOWEST_OVER_MEAN = 1.2


def _effort(effort: str, n: int, outputs: int, task: str, mean_chars: float) -> tuple[float, int]:
    """Expected wall seconds and trials of one effort's search on ``n`` rows."""
    rules = get_task(task)
    budget = BUDGETS[effort]
    chars = COSTS["per_char"] * n * max(mean_chars, 1.0)
    protocol = N_FOLDS if n <= SMALL_DATA else 1
    train_rows = n * (N_FOLDS - 1) / N_FOLDS
    embed_load, embed_per_text = minilm_costs()  # on the backend this machine has
    embed_cost = embed_load + embed_per_text * n
    dense = budget.embed and embed_cost <= budget.seconds / 4  # the search's own skip rule
    sparse_rate, dense_rate = get_family(rules.default_family).fit_rates

    def fit_rate(rows: float) -> float:
        rate = sparse_rate * _size_factor(rows)
        if dense:
            share = COSTS["dense_share"]
            rate = share * dense_rate + (1 - share) * rate
        return rate

    overhead = COSTS["fold_overhead"] + (COSTS["fold_overhead_rich"] if budget.embed else 0.0)
    fold = fit_rate(train_rows) * train_rows * outputs + 0.8 * chars + overhead
    folds = max(protocol, min(budget.folds, N_FOLDS))
    # What the search reserves for its final fit (search.py: members_reserved): every member of
    # the ensemble, but one at low with the static vectors, whose partner is kNN and fits nothing.
    reserved = 1 if budget.static and static_missing() is None else max(1, budget.ensemble)
    elapsed = COSTS["overhead"] + chars + (embed_cost if dense else 0.0)
    if budget.finetune and dense and rules.fine_tunable:
        recipe = plan_recipe(n, protocol, N_FOLDS, (TUNE_SHARE * budget.seconds - elapsed) / TUNE_MARGIN)
        if recipe is not None:
            elapsed += tuned_seconds(n, protocol, N_FOLDS, recipe)
    # The search's time rule; its fixed final overhead is in COSTS["overhead"] here.
    reserve = FINAL_FIT_PER_FOLD * fold * reserved
    slowest = _SLOWEST_OVER_MEAN * fold
    trials = 0
    while trials < budget.trials:
        if trials == 0:
            # Trial 0 always runs its protocol folds; each further fold only if it and the final
            # fit still end within the ceiling (.trials.run_trial), which on a large draw at high
            # or max leaves it at one fold.
            run = protocol
            while run < folds and trial_fits(elapsed + run * fold, 1, slowest, reserve, budget.seconds):
                run += 1
            cost = fold * run
        else:
            if not trial_fits(elapsed, folds, slowest, reserve, budget.seconds):
                break
            # Pruning stops about half the later trials after their first (protocol) folds.
            cost = fold * (protocol + 0.5 * (folds - protocol))
        elapsed += cost
        trials += 1
    # The final fit: at most one fitted member per trial (kNN members cost next to nothing).
    members = min(trials, reserved, 3)  # trial 0 always runs
    final = fit_rate(n) * n * outputs * members + chars
    return elapsed + final, trials


def _size_factor(rows: float) -> float:
    """How much slower per row a sparse fit on ``rows`` runs than the reference rates (measured on
    some 10k rows) say: its matrices outgrow the caches. Set from the runs on 85k-690k rows
    (bench/RESULTS.md, scale), which ran one trial where the reference rates planned up to six;
    max on 389,505 rows ran one fold of 310 s where the scale of 400k rows planned two trials of
    127 s folds (1.58x). With 250k rows, every recorded run's estimate is within 0.70-1.41x of
    its wall time (``tests/engine/test_sizing.py``). The sub-sample's size does not use it: that
    is chosen by trial 0 and the final fit at the reference rates (:func:`affordable_rows`)."""
    return 1.0 + rows / _SIZE_SCALE


def memory_rows(mean_chars: float, memory_bytes: float) -> int:
    """The most rows a search keeps within ``memory_bytes`` (at least :data:`MIN_ROWS`): the rows
    whose modelled peak fills :data:`MEMORY_HEADROOM` of it, the rest for the spread of real peaks."""
    per_row = MEMORY["per_char"] * max(mean_chars, 1.0)
    return max(MIN_ROWS, int((MEMORY_HEADROOM * memory_bytes - MEMORY["base"]) / per_row))


def affordable_rows(effort: str, n_samples: int, n_labels: int, task: str, mean_chars: float,
                    seconds: float | None = None, memory_bytes: float | None = None) -> int:
    """How many of ``n_samples`` rows one effort's search can train on within its ceiling (or
    ``seconds``): all of them, or the most whose first trial and final fit still end within
    ``ROW_SHARE`` of it (the search's time rule spends the rest on more trials); and, given
    ``memory_bytes``, no more than :func:`memory_rows` keeps within it."""
    rows = _time_rows(effort, n_samples, n_labels, task, mean_chars, seconds)
    if memory_bytes is not None:
        rows = min(rows, memory_rows(mean_chars, memory_bytes))
    return rows


def _time_rows(effort: str, n_samples: int, n_labels: int, task: str, mean_chars: float,
               seconds: float | None) -> int:
    limit = ROW_SHARE * (seconds if seconds is not None else BUDGETS[effort].seconds)
    outputs = get_task(task).output_columns(n_labels)
    budget = BUDGETS[effort]

    def first_trial(n: int) -> float:  # the search always completes trial 0 and the final fit
        chars = COSTS["per_char"] * n * max(mean_chars, 1.0)
        rate = get_family(get_task(task).default_family).fit_rates[0]
        members = 1 if budget.static else min(max(1, budget.ensemble), 3)  # low's partner is kNN: no fit
        fold = rate * n * 0.8 * outputs + 0.8 * chars
        return COSTS["overhead"] + chars + fold + rate * n * outputs * members + chars

    if n_samples <= MIN_ROWS or first_trial(n_samples) <= limit:
        return n_samples
    lo, hi = MIN_ROWS, n_samples
    while hi - lo > max(1000, lo // 100):
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if first_trial(mid) <= limit else (lo, mid)
    return lo


def estimate(n_samples: int, n_labels: int, task: str, mean_chars: float,
             memory_bytes: float | None = None) -> dict[str, dict[str, float]]:
    """Per effort, ``{"seconds": expected wall seconds, "trials": expected trials}``.

    Above the rows an effort can afford (:func:`affordable_rows`, within ``memory_bytes`` when
    given) the search trains on that many; the aggregate queries over every stored row still
    cost ``COSTS["per_row"]`` each."""
    n = max(int(n_samples), 0)
    outputs = get_task(task).output_columns(n_labels)
    out: dict[str, dict[str, float]] = {}
    for effort in BUDGETS:
        rows = affordable_rows(effort, n, n_labels, task, mean_chars, memory_bytes=memory_bytes)
        seconds, trials = _effort(effort, rows, outputs, task, mean_chars)
        seconds += COSTS["per_row"] * n
        out[effort] = {"seconds": round(seconds, 1), "trials": trials}
    return out
