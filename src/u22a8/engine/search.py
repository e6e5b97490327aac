"""Hyper-parameter search: seeded Optuna over the space of :mod:`.space`, within a time ceiling.

- Trial 0 is the known-good default (⊕ MiniLM when the effort embeds), so a search never ends
  worse than the default on its own protocol folds.
- Trials are scored fold by fold on the protocol's folds (first) and a few more; the running mean
  is reported after each fold and a successive-halving pruner stops hopeless trials early
  (multi-fidelity over folds).
- Time: a trial starts only if, judging by trials so far, it and the final fit still fit in the
  ceiling; between folds the same check can cut a trial short. Trial 0 always completes its
  protocol folds, so there is always a result.
- Cancel: ``should_stop`` is checked before each fold and between embedding chunks.
- Fine-tuning (effort max, tasks that allow it) runs before the trials when it fits
  (:mod:`.finetune_phase`).
- Trials run through :mod:`.trials`, which helpers of a shared search (:mod:`.shared`) use too.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import optuna

from .assemble import assemble, protocol_outputs
from .budget import BUDGETS, Budget
from .cache import EmbeddingTimeout
from .data_report import data_report
from .embeddings import MINILM, STATIC
from .ensemble import select_ensemble
from .finetune_phase import blend_tuned_members, fine_tune_up_front
from .finetuned_members import is_tuned
from .rules import check_trainable
from .sizing import drawn_note, fit_rows, sized
from .shared import finished_or_running, open_study, publish_plan, wait_for_others
from .families import get_family
from .space import member_summary, suggest_member
from .tasks import get_task
from .training import Workspace
from .trials import Clock, run_trial
from .types import Dataset, Effort, Progress, ProgressCallback, SearchCanceled, SharedStudy, StopCheck, TrainingResult

__all__ = ["search"]

log = logging.getLogger("u22a8.engine")

_DEFAULT_SUGGESTION = {"word_ngrams": "1-2", "char_ngrams": "2-5", "char_weight": 1.0, "lowercase": True}


def _enqueue_defaults(study: optuna.Study, task: str, embed: bool, embedder: str = MINILM) -> None:
    """Known-good starting points: n-grams ⊕ embedding, n-grams alone, kNN on the embedding."""
    model = get_family(get_task(task).default_family).default_suggestion()
    knn = get_family("knn").default_suggestion()
    if not embed:
        study.enqueue_trial({**_DEFAULT_SUGGESTION, **model})
        return
    if embedder == STATIC:
        # Low effort: static vectors serve only as a kNN partner for the n-gram model. Appended to
        # the n-grams they make every fit several times slower (bench/RESULTS.md), which a low
        # search and a seconds-long retrain cannot afford; kNN costs no fit.
        study.enqueue_trial({"knn": False, **_DEFAULT_SUGGESTION, **model})
        study.enqueue_trial({"knn": True, **knn})
        return
    study.enqueue_trial({"knn": False, **_DEFAULT_SUGGESTION, **model, "embed": True, "embed_weight": 2.0})
    study.enqueue_trial({"knn": False, **_DEFAULT_SUGGESTION, **model, "embed": False})
    study.enqueue_trial({"knn": True, **knn})


def search(
    data: Dataset,
    effort: Effort,
    *,
    seed: int = 0,
    on_progress: ProgressCallback | None = None,
    should_stop: StopCheck | None = None,
    cache_dir: Path | None = None,
    time_limit_seconds: float | None = None,
    shared_study: SharedStudy | None = None,
    worker: str = "",
    counts_key: str | None = None,
    spent_seconds: float = 0.0,
    stored_rows: int | None = None,
    max_rows: int | None = None,
    memory_bytes: float | None = None,
) -> TrainingResult:
    """Search configurations for ``data`` at ``effort``; the best (or an ensemble) fitted on all rows.

    ``time_limit_seconds`` can only lower the effort's ceiling; ``spent_seconds`` of it went before
    the call (reading the samples). ``stored_rows``: how many rows the data set holds when ``data``
    is the store's draw of ``max_rows`` of them (the rows :func:`.sizing.search_rows` affords,
    drawn in :mod:`.sizing`'s order); else ``data`` is all of it and the search draws here.
    ``memory_bytes``: the training memory the rows must fit in (:func:`.estimate.memory_rows`).
    ``counts_key`` names the data set
    for the n-gram counts cache (see :mod:`.counts_cache`). With ``shared_study`` the trials
    live in an RDB storage where other processes (:func:`.shared.join_search`) add trials too.
    """
    if effort not in BUDGETS:
        raise ValueError(f"unknown effort {effort!r}; use one of {', '.join(BUDGETS)}")
    check_trainable(data)
    cpu0 = time.process_time()
    budget = BUDGETS[effort]
    ceiling = min(time_limit_seconds, budget.seconds) if time_limit_seconds is not None else budget.seconds
    clock = Clock(max(ceiling - spent_seconds, 0.25 * ceiling))
    stop = should_stop or (lambda: False)
    report = data_report(data)
    why = (f"what effort {effort}'s {ceiling:.0f} s ceiling affords" if memory_bytes is None else
           f"what effort {effort}'s {ceiling:.0f} s ceiling and {memory_bytes / 2**30:g} GiB of training memory afford")
    if stored_rows is None:
        n_stored = len(data.texts)
        rows = fit_rows(data, effort, ceiling, memory_bytes)  # the same data and effort: the same rows
        data, size_notes = sized(data, rows, why)
    else:
        n_stored, rows = stored_rows, min(max_rows or stored_rows, stored_rows)
        size_notes = drawn_note(len(data.texts), n_stored, why)
    ws = Workspace(data, cache_dir=cache_dir, should_stop=stop, counts_key=counts_key)
    ws.notes.extend(size_notes)
    embedder = MINILM if budget.embed else STATIC
    embed = (budget.embed or budget.static) and ws.usable({"embed": embedder}).get("embed") is not None
    if embed:
        embed = _embed_up_front(ws, clock, embedder)
    n_folds = max(ws.n_protocol, min(budget.folds, len(ws.folds)))
    n_labels = len(ws.labels or []) or 1
    tuned = (fine_tune_up_front(ws, clock, on_progress, budget.trials)
             if embed and budget.finetune and ws.task_rules.fine_tunable else None)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = open_study(shared_study, seed=seed, n_startup=min(8, budget.trials), min_resource=max(1, ws.n_protocol))
    _enqueue_defaults(study, ws.task, embed, embedder)
    kept: dict[int, tuple[dict[str, Any], dict[int, np.ndarray]]] = {}  # completed trials' fold outputs
    done = 0
    best_number: int | None = None
    members_final = max(1, budget.ensemble)
    # At low the ensemble partner is kNN on the static vectors, which fits nothing: time is
    # reserved for one fitted member, and that partner (enqueued second, well under a second)
    # is always tried. Without the vectors the partner is another fitted sparse member, and the
    # final fit needs time for both (reserving one left no time for it on 10k Banking77 rows).
    members_reserved = 1 if embed and embedder == STATIC else members_final
    stopped_for_time = False
    t_trials = clock.elapsed()  # the ETA's pace is the trials', not the embedding's or fine-tuning's

    while (finished_or_running(study) if shared_study else done) < budget.trials:
        if stop():
            raise SearchCanceled()
        cheap_partner = embed and embedder == STATIC and done == 1
        if done > 0 and not cheap_partner and not clock.fits(n_folds, members_reserved):
            stopped_for_time = True
            break
        t_trial = clock.elapsed()
        trial = study.ask()
        if shared_study is not None:
            trial.set_user_attr("worker", worker)
            if done == 0:  # this process holds the default trial: helpers may start now
                publish_plan(study, trials=budget.trials, seconds_left=clock.limit - clock.elapsed(), embed=embed,
                             n_folds=n_folds, n_samples=ws.n, members_final=members_final)
        member = suggest_member(trial, ws.task, embed=embed, n_samples=ws.n, n_labels=n_labels, embedder=embedder,
                                concat=embedder != STATIC, cues=budget.embed)
        outputs, scores, state = run_trial(ws, trial, member, n_folds, clock, members_reserved, first=done == 0)
        value = float(np.mean(scores)) if scores else None
        if state == optuna.trial.TrialState.COMPLETE:
            study.tell(trial, value)
            kept[trial.number] = (member, outputs)
            if best_number is None or value > study.trials[best_number].value:  # type: ignore[operator]
                best_number = trial.number
        else:
            study.tell(trial, state=state)
        done += 1
        _prune_kept(kept, study, keep=max(members_final * 2, 2))
        if on_progress:
            total = finished_or_running(study) if shared_study else done
            _report(on_progress, study, budget, clock, total, trial.number, value, member, t_trial, state, t_trials)

    if best_number is None:  # cannot happen: trial 0 always completes
        raise RuntimeError("no trial completed")
    if shared_study is not None:
        best_number = _adopt_best_of_others(ws, study, kept, clock, embed, n_folds, members_final, n_labels)
    if stopped_for_time:
        log.info("search stopped after %d trials: time ceiling %.0f s", done, clock.limit)
    n_eval = sum(len(ws.folds[k][1]) for k in range(n_folds))
    best_number = _prefer_default(study, kept, best_number, ws.task, n_eval)
    best_member, best_outputs = kept[best_number]
    chosen = [(best_member, best_outputs)]
    ensemble_info: dict[str, Any] = {}
    if budget.ensemble > 1 and len(kept) > 1:
        # The ensemble grows from the member the one-standard-error rule chose (it used to start
        # from the top trial whatever that rule said, so the rule only ever applied at low).
        ranked = sorted(kept, key=lambda n: (n != best_number, -(study.trials[n].value or 0.0)))
        candidates = [kept[n] for n in ranked]
        chosen, ensemble_info = select_ensemble(ws, candidates, budget.ensemble)
    chosen = [(m, protocol_outputs(ws, m, outs)) for m, outs in chosen]
    fitted: list[Any] | None = None
    if tuned is not None:
        chosen, fitted = blend_tuned_members(ws, chosen, tuned, ensemble_info)
    members = [m for m, _ in chosen]
    outputs = [outs for _, outs in chosen]
    extra = {
        "search": {
            "effort": effort, "trials_done": done, "trials_planned": budget.trials,
            "search_folds": n_folds, "best_trial": best_number, "best_cv_score": round(float(study.trials[best_number].value), 6),  # type: ignore[arg-type]
            "stopped_for_time": stopped_for_time, "seconds": round(clock.elapsed(), 2),
            "best": member_summary(best_member), **ensemble_info,
        }
    }
    if stop():
        raise SearchCanceled()
    fitting = sum(1 for m in members if m["model"].get("family") != "knn")  # kNN fits nothing of note
    if fitted is None and not clock.final_fit_fits(fitting):
        fitted = _held_out_fits(ws, members)
    # Label issues on large data fit the cheap member on 4 more folds: only if that and the final
    # fit still end within the ceiling (else they look at the held-out rows, see .label_issues).
    more_folds = len(ws.folds) - ws.n_protocol
    issue_folds = clock.elapsed() + more_folds * clock.fold_cost() + clock.final_reserve(len(members)) <= clock.limit
    result = assemble(ws, members, outputs, trials_done=done, cpu0=cpu0, report=report, extra_metrics=extra,
                      fitted=fitted, issue_folds=issue_folds)
    if rows < n_stored:  # a refit trains on the same share of the data (see .sizing)
        result.params["max_rows"] = rows
    # A refit of a model that has grown past what this effort affords draws what it affords then.
    result.params["effort"] = effort
    ws.remember_counts([m for m in members if not is_tuned(m)])  # the first retrain then counts only its new texts
    ws.remember_warm(members)  # and starts its SVM fits from these
    return result


def _held_out_fits(ws: Workspace, members: list[dict[str, Any]]) -> list[Any] | None:
    """When the trials have left no time to fit the chosen members on all rows (the default
    trial always completes, so on a machine slower than the sizing assumed it alone can use up
    the ceiling), serve their fold-0 fits as they are: the same models whose held-out outputs
    gave the metrics, fitted on the other folds' rows. Members without one (kNN fits nothing
    of note) are fitted on all rows as usual. None when no member has one."""
    kept = [ws.holdout_fit(m) for m in members]
    if all(k is None for k in kept):
        return None
    train = len(ws.folds[0][0])
    ws.notes.append(f"final fit skipped: no time was left to fit on all {ws.n:,} rows, so the model serves "
                    f"the search's fit on {train:,} of them (the one its held-out metrics come from)")
    return kept


def _prefer_default(study: optuna.Study, kept: dict[int, Any], best: int, task: str, n_eval: int) -> int:
    """Keep the known-good default (trial 0) unless the best trial beats it by a standard error.

    On one holdout the gaps between good configurations are mostly noise (bench/RESULTS.md); a
    trial that wins by less than one standard error of the default's score has not shown it is
    better, and the default has a record on many data sets: the one-standard-error rule.
    """
    if best == 0 or 0 not in kept:
        return best
    base = float(study.trials[0].value or 0.0)
    se = get_task(task).standard_error(base, n_eval)
    return best if float(study.trials[best].value or 0.0) - base > se else 0


def _adopt_best_of_others(ws: Workspace, study: optuna.Study, kept: dict[int, Any], clock: Clock, embed: bool,
                          n_folds: int, members_final: int, n_labels: int) -> int:
    """After a shared search: the best trial may have run elsewhere; rebuild its fold outputs here."""
    wait_for_others(study, deadline=time.time() + max(0.0, clock.limit - clock.elapsed()))
    best = study.best_trial
    if best.number not in kept:
        fixed = optuna.trial.FixedTrial(best.params, number=best.number)
        member = suggest_member(fixed, ws.task, embed=embed, n_samples=ws.n, n_labels=n_labels)
        outputs, _, _ = run_trial(ws, fixed, member, n_folds, clock, members_final, first=True)  # type: ignore[arg-type]
        kept[best.number] = (member, outputs)
    return best.number


def _embed_up_front(ws: Workspace, clock: Clock, embedder: str = MINILM) -> bool:
    """Embed every text now (so trial timings and the ETA are not skewed by trial 1) if it fits.

    They are skipped when expected to take over a quarter of the ceiling (trials on embeddings are
    slower too), and abandoned as soon as their pace shows they will not be done by half of it.
    Returns whether the search may use them.
    """
    share = 0.5 * clock.limit
    expected = ws.embedding_seconds(embedder)
    if expected > share / 2:
        ws.notes.append(f"embeddings skipped: about {expected:.0f} s needed, more than a quarter of this "
                        f"effort's {clock.limit:.0f} s ceiling")
        return False
    emb = ws.embedder(embedder)
    emb.deadline = clock.t0 + share
    try:
        ws.dense(embedder)
    except EmbeddingTimeout:
        ws.notes.append(f"embeddings skipped: not done, at the pace they went, within {share:.0f} s (half the "
                        "time ceiling)")
        return False
    except SearchCanceled:
        raise
    except Exception as exc:  # a broken torch install must cost the embeddings, not the run
        log.warning("embedder failed to load", exc_info=True)
        ws.notes.append(f"embedder {embedder} failed ({type(exc).__name__}: {exc}); trained on sparse features only")
        return False
    finally:
        emb.deadline = None
    return True


def _kind(member: dict[str, Any]) -> str:
    return f"{member['model']['family']}:{bool(member['features'].get('embed'))}"


def _prune_kept(kept: dict[int, Any], study: optuna.Study, keep: int) -> None:
    """Hold fold outputs of the ensemble's candidates only: the best ``keep`` trials overall plus
    the best of each kind (family × embedded or not), since diversity is what an ensemble needs."""
    if len(kept) <= keep:
        return
    ranked = sorted(kept, key=lambda n: -(study.trials[n].value or 0.0))
    best_of_kind: dict[str, int] = {}
    for n in ranked:
        best_of_kind.setdefault(_kind(kept[n][0]), n)
    survivors = set(ranked[:keep]) | set(best_of_kind.values())
    for n in ranked:
        if n not in survivors:
            del kept[n]


def _report(on_progress: ProgressCallback, study: optuna.Study, budget: Budget, clock: Clock, done: int,
            number: int, value: float | None, member: dict[str, Any], t_trial: float,
            state: optuna.trial.TrialState, t_trials: float = 0.0) -> None:
    elapsed = clock.elapsed()
    # Per trial since the trials began (``t_trials``): the embedding and fine-tuning done before
    # them (minutes at max) are not a trial's cost, else the ETA would jump to the ceiling.
    per_trial = (elapsed - t_trials) / done
    eta = min(per_trial * (budget.trials - done), max(clock.limit - elapsed, 0.0))
    try:
        best = float(study.best_value)
    except ValueError:
        best = None
    last = {
        "number": number, "score": None if value is None else round(value, 6),
        "state": state.name.lower(), "params": member, "summary": member_summary(member),
        "elapsed": round(elapsed - t_trial, 3),
    }
    on_progress(Progress(trials_planned=budget.trials, trials_done=done, best_score=best,
                         elapsed_seconds=round(elapsed, 3), eta_seconds=round(eta, 3), last_trial=last))


