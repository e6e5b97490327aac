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
- Fine-tuning (effort max, classify): when the plan fits in at most 60% of the ceiling (judged
  from the data size, before the trials), MiniLM is fine-tuned first (:mod:`.ftmembers`); its two
  members are blended with the search's ensemble on the protocol rows at the end, with a share
  of 0 allowed, so they only join when they help on rows none of their encoders saw.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import optuna

from .assemble import assemble, protocol_outputs
from .budget import BUDGETS, TUNE_MARGIN, TUNE_SHARE, Budget
from .cache import EmbeddingTimeout
from .data_report import data_report
from .embeddings import MINILM, STATIC
from .ensemble import blend_tuned, select_ensemble
from .estimate import COSTS, estimate
from .finetune import LOAD_SECONDS, TRAIN_SECONDS_PER_TEXT, Recipe, probe_seconds_per_text, training_threads
from .ftmembers import TunedFits, fit_tuned, is_tuned, plan_recipe, tuned_members, tuned_seconds
from .rules import check_trainable
from .shared import finished_or_running, open_study, publish_plan, wait_for_others
from .space import member_summary, suggest_member
from .training import Workspace
from .types import Dataset, Effort, Progress, ProgressCallback, SearchCanceled, SharedStudy, StopCheck, TrainingResult

__all__ = ["search"]

log = logging.getLogger("u22a8.engine")

_DEFAULT_SUGGESTION = {"word_ngrams": "1-2", "char_ngrams": "2-5", "char_weight": 1.0, "lowercase": True,
                       "class_weight": "none"}


def _enqueue_defaults(study: optuna.Study, task: str, embed: bool, embedder: str = MINILM) -> None:
    """Known-good starting points: n-grams ⊕ embedding, n-grams alone, kNN on the embedding."""
    model = {"family": "ridge", "alpha": 1.0} if task == "score" else {"family": "svm", "svm_C": 0.5}
    if not embed:
        study.enqueue_trial({**_DEFAULT_SUGGESTION, **model})
        return
    if embedder == STATIC:
        # Low effort: static vectors serve only as a kNN partner for the n-gram model. Appended to
        # the n-grams they score higher alone (+0.3 on Banking77) but make every fit 2.4x slower,
        # which a 20 s search and a seconds-long retrain cannot afford; kNN costs no fit.
        study.enqueue_trial({"knn": False, **_DEFAULT_SUGGESTION, **model})
        study.enqueue_trial({"knn": True, "knn_k": 10, "knn_tau": 0.05})
        return
    study.enqueue_trial({"knn": False, **_DEFAULT_SUGGESTION, **model, "embed": True, "embed_weight": 2.0})
    study.enqueue_trial({"knn": False, **_DEFAULT_SUGGESTION, **model, "embed": False})
    study.enqueue_trial({"knn": True, "knn_k": 10, "knn_tau": 0.05})


class _Clock:
    """Wall-clock accounting: what the trials cost and whether another one fits."""

    def __init__(self, limit: float) -> None:
        self.t0 = time.monotonic()
        self.limit = limit
        self.fold_seconds: list[float] = []

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def fold_cost(self) -> float:
        recent = self.fold_seconds[-6:]
        return max(recent) if recent else 0.0

    def final_reserve(self, members: int) -> float:
        # Fitting on all rows costs about one fold fit on 5/4 of the rows, plus calibration.
        return 1.4 * self.fold_cost() * max(members, 1) + 0.2

    def fits(self, folds: int, members: int) -> bool:
        return self.elapsed() + folds * self.fold_cost() + self.final_reserve(members) <= self.limit


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
) -> TrainingResult:
    """Search configurations for ``data`` at ``effort``; the best (or an ensemble) fitted on all rows.

    ``time_limit_seconds`` can only lower the effort's ceiling. ``counts_key`` names the data set
    for the n-gram counts cache (see :mod:`.counts_cache`). With ``shared_study`` the trials
    live in an RDB storage where other processes (:func:`.shared.join_search`) add trials too.
    """
    if effort not in BUDGETS:
        raise ValueError(f"unknown effort {effort!r}; use one of {', '.join(BUDGETS)}")
    check_trainable(data)
    cpu0 = time.process_time()
    budget = BUDGETS[effort]
    clock = _Clock(min(time_limit_seconds, budget.seconds) if time_limit_seconds is not None else budget.seconds)
    stop = should_stop or (lambda: False)
    report = data_report(data)
    ws = Workspace(data, cache_dir=cache_dir, should_stop=stop, counts_key=counts_key)
    embedder = MINILM if budget.embed else STATIC
    embed = (budget.embed or budget.static) and ws.usable({"embed": embedder}).get("embed") is not None
    if embed:
        embed = _embed_up_front(ws, clock, embedder)
    n_folds = max(ws.n_protocol, min(budget.folds, len(ws.folds)))
    n_labels = len(ws.labels or []) or 1
    tuned = (_fine_tune_up_front(ws, clock, on_progress, budget.trials)
             if embed and budget.finetune and ws.task == "classify" else None)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = open_study(shared_study, seed=seed, n_startup=min(8, budget.trials), min_resource=max(1, ws.n_protocol))
    _enqueue_defaults(study, ws.task, embed, embedder)
    kept: dict[int, tuple[dict[str, Any], dict[int, np.ndarray]]] = {}  # completed trials' fold outputs
    done = 0
    best_number: int | None = None
    members_final = max(1, budget.ensemble)
    # At low the ensemble partner is kNN on the static vectors, which fits nothing: time is
    # reserved for one fitted member, and that partner (enqueued second, well under a second)
    # is always tried.
    members_reserved = 1 if embedder == STATIC else members_final
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
        outputs, scores, state = _run_trial(ws, trial, member, n_folds, clock, members_reserved, first=done == 0)
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
        chosen, fitted = _blend(ws, chosen, tuned, ensemble_info)
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
    result = assemble(ws, members, outputs, trials_done=done, cpu0=cpu0, report=report, extra_metrics=extra,
                      fitted=fitted)
    ws.remember_counts([m for m in members if not is_tuned(m)])  # the first retrain then counts only its new texts
    return result


def _prefer_default(study: optuna.Study, kept: dict[int, Any], best: int, task: str, n_eval: int) -> int:
    """Keep the known-good default (trial 0) unless the best trial beats it by a standard error.

    On one holdout of a few thousand rows, the gaps between good configurations are mostly noise
    (on Banking77 a trial won the holdout by 0.35 points and lost the test set by 0.23); a trial
    that wins by less than one standard error of the default's score has not shown it is better,
    and the default has a record on many data sets: the one-standard-error rule.
    """
    if best == 0 or 0 not in kept:
        return best
    base = float(study.trials[0].value or 0.0)
    if task == "score":
        se = (1 - min(base * base, 0.99)) / max(n_eval - 3, 1) ** 0.5
    else:
        p = min(max(base, 0.01), 0.99)
        se = (p * (1 - p) / max(n_eval, 1)) ** 0.5
    return best if float(study.trials[best].value or 0.0) - base > se else 0


def _adopt_best_of_others(ws: Workspace, study: optuna.Study, kept: dict[int, Any], clock: _Clock, embed: bool,
                          n_folds: int, members_final: int, n_labels: int) -> int:
    """After a shared search: the best trial may have run elsewhere; rebuild its fold outputs here."""
    wait_for_others(study, deadline=time.time() + max(0.0, clock.limit - clock.elapsed()))
    best = study.best_trial
    if best.number not in kept:
        fixed = optuna.trial.FixedTrial(best.params, number=best.number)
        member = suggest_member(fixed, ws.task, embed=embed, n_samples=ws.n, n_labels=n_labels)
        outputs, _, _ = _run_trial(ws, fixed, member, n_folds, clock, members_final, first=True)  # type: ignore[arg-type]
        kept[best.number] = (member, outputs)
    return best.number


@dataclass
class _Tuned:
    recipe: Recipe
    fits: TunedFits


def _fine_tune_up_front(ws: Workspace, clock: _Clock, on_progress: ProgressCallback | None = None,
                        trials_planned: int = 0) -> _Tuned | None:
    """Fine-tune MiniLM (per protocol fold, then on all rows) if it earns its time; else None.

    It earns it when the plan for this data size (:func:`.ftmembers.plan_recipe`: 3 epochs,
    else 2) fits, with a margin, in the share of the ceiling still left to it. Done before the
    trials so that they get exactly the time that remains. The deadline is hard: if the machine
    turns out slower than planned, the fine-tuning is dropped, not the ceiling. It takes minutes
    on large data, so ``on_progress`` hears of it as it goes (see :class:`_TuningReport`).
    """
    share = TUNE_SHARE * clock.limit - clock.elapsed()
    slowdown = 1.0
    try:
        if plan_recipe(ws.n, ws.n_protocol, len(ws.folds), share / TUNE_MARGIN) is not None:
            # Worth measuring only when an idle reference machine would make it.
            slowdown = max(0.5, probe_seconds_per_text(ws.texts[:2000]) / TRAIN_SECONDS_PER_TEXT)
            share = TUNE_SHARE * clock.limit - clock.elapsed()
        recipe = plan_recipe(ws.n, ws.n_protocol, len(ws.folds), share / TUNE_MARGIN, slowdown)
        if recipe is None:
            need = tuned_seconds(ws.n, ws.n_protocol, len(ws.folds), Recipe(epochs=2, final_fit=False), slowdown) * TUNE_MARGIN
            ws.notes.append(f"fine-tuning skipped: about {need:.0f} s needed, {max(share, 0):.0f} s available")
            return None
        if not recipe.threads:  # record the count used, so that a refit repeats this network
            recipe = replace(recipe, threads=training_threads())
        on_steps = None
        if on_progress is not None:
            expected = tuned_seconds(ws.n, ws.n_protocol, len(ws.folds), recipe, slowdown) - LOAD_SECONDS
            on_steps = _TuningReport(on_progress, clock, trials_planned, expected, _search_seconds(ws))
        fits = fit_tuned(ws, tuned_members(recipe), should_stop=ws.should_stop,
                         deadline=clock.t0 + TUNE_SHARE * clock.limit, on_steps=on_steps)
    except SearchCanceled:
        raise
    except Exception as exc:  # a broken torch install must cost the fine-tuning, not the run
        log.warning("fine-tuning failed", exc_info=True)
        ws.notes.append(f"fine-tuning failed ({type(exc).__name__}: {exc}); searched without it")
        return None
    if fits is None:
        ws.notes.append(f"fine-tuning dropped: not done within {TUNE_SHARE * clock.limit:.0f} s")
        return None
    return _Tuned(recipe=recipe, fits=fits)


def _blend(ws: Workspace, chosen: list[tuple[dict[str, Any], dict[int, np.ndarray]]], tuned: _Tuned,
           info: dict[str, Any]) -> tuple[list[tuple[dict[str, Any], dict[int, np.ndarray]]], list[Any]]:
    """The search's ensemble blended with the tuned members; (features, head) of those fitted."""
    t_members = tuned_members(tuned.recipe)
    blended, blend_info = blend_tuned(ws, chosen, list(zip(t_members, tuned.fits.outputs)))
    blend_info["tuned_blend"].update(seconds=round(tuned.fits.seconds, 1), recipe=tuned.recipe.to_params())
    info.update(blend_info)
    b = blend_info["tuned_blend"]
    # Said in the report too: it explains where a max search's time went and what it bought.
    ws.notes.append(f"fine-tuned MiniLM ({tuned.recipe.epochs} epochs{'' if tuned.recipe.final_fit else ', holdout encoder served'},"
                    f" {tuned.fits.seconds:.0f} s): held-out {b['tuned_scores']}, blended at shares {b['shares']}:"
                    f" {b['base_score']:.4f} → {b['blend_score']:.4f}")
    def key(m: dict[str, Any]) -> str:
        return json.dumps(m["features"], sort_keys=True) + m["model"]["family"]

    fits = {key(m): f for m, f in zip(t_members, tuned.fits.fitted)}
    return blended, [fits.get(key(m)) if is_tuned(m) else None for m, _ in blended]


def _embed_up_front(ws: Workspace, clock: _Clock, embedder: str = MINILM) -> bool:
    """Embed every text now (so trial timings and the ETA are not skewed by trial 1) if it fits.

    They are skipped when expected to take over a quarter of the ceiling (trials on embeddings are
    slower too), and abandoned if not done by half of it. Returns whether the search may use them.
    """
    share = 0.5 * clock.limit
    expected = ws.embedding_seconds(embedder)
    if expected > share / 2:
        ws.notes.append(f"embeddings skipped: about {expected:.0f} s needed, {share:.0f} s available in this effort")
        return False
    emb = ws.embedder(embedder)
    emb.deadline = clock.t0 + share
    try:
        ws.dense(embedder)
    except EmbeddingTimeout:
        ws.notes.append(f"embeddings skipped: not done within {share:.0f} s (half the time ceiling)")
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


def _run_trial(ws: Workspace, trial: optuna.Trial, member: dict[str, Any], n_folds: int, clock: _Clock,
               members_final: int, first: bool) -> tuple[dict[int, np.ndarray], list[float], optuna.trial.TrialState]:
    outputs: dict[int, np.ndarray] = {}
    scores: list[float] = []
    for k in range(n_folds):
        must_finish = first and k < ws.n_protocol
        if k > 0 and not must_finish and not clock.fits(1, members_final):
            # Out of time mid-trial: a partial mean is not comparable with full ones, except for
            # trial 0, which must stand (on the folds it has) so that there is a result.
            state = optuna.trial.TrialState.COMPLETE if first else optuna.trial.TrialState.PRUNED
            return outputs, scores, state
        t = time.monotonic()
        out, score = ws.fold_output(member, k)
        clock.fold_seconds.append(time.monotonic() - t)
        outputs[k] = out
        scores.append(score)
        if k + 1 >= ws.n_protocol and k + 1 < n_folds:
            trial.report(float(np.mean(scores)), step=k + 1)
            if not first and trial.should_prune():
                return outputs, scores, optuna.trial.TrialState.PRUNED
    return outputs, scores, optuna.trial.TrialState.COMPLETE


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


def _report(on_progress: ProgressCallback, study: optuna.Study, budget: Budget, clock: _Clock, done: int,
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


def _search_seconds(ws: Workspace) -> float:
    """Expected seconds of the trials and final fit after the fine-tuning, before any trial ran:
    the cost model's (:mod:`.estimate`) for high, whose search max repeats, less the embedding
    it counts (already done here, up front). Reference machine speed; the ceiling caps it."""
    mean_chars = float(np.mean([len(t) for t in ws.texts])) if ws.n else 0.0
    high = estimate(ws.n, len(ws.labels or []), ws.task, mean_chars)["high"]["seconds"]
    return max(high - COSTS["embed_load"] - COSTS["embed_per_text"] * ws.n, 1.0)


class _TuningReport:
    """Progress while MiniLM is fine-tuned, before the first trial (an ``on_steps`` of fit_tuned).

    Reports ``trials_done`` 0, no best score and an ETA: the fine-tuning's steps still to go at
    its pace so far (the plan's pace at first, the measured one after a few steps; the one-off
    network load before the first step is left out), capped by its deadline, plus the search
    after it, capped by the ceiling. At most once a second and once per 1% of the steps (each
    report is a database write and an event for the run), and always at the start and the end.
    Progress is best effort: a failing callback is logged, it does not cost the fine-tuning.
    """

    EVERY_SECONDS = 1.0
    EVERY_SHARE = 0.01

    def __init__(self, on_progress: ProgressCallback, clock: _Clock, trials_planned: int, expected_seconds: float,
                 search_seconds: float) -> None:
        self.on_progress = on_progress
        self.clock = clock
        self.trials_planned = trials_planned
        self.expected = max(expected_seconds, 0.0)  # all the fine-tunings, at this machine's probed speed
        self.search_seconds = search_seconds
        self.deadline = TUNE_SHARE * clock.limit  # on the clock's scale
        self.first: tuple[float, int] | None = None  # (when, steps) at the first step
        self.last: tuple[float, int] | None = None  # (when, steps) at the last report

    def __call__(self, done: int, planned: int) -> None:
        now = self.clock.elapsed()
        if done > 0 and self.first is None:
            self.first = (now, done)
        if self.last is not None and done < planned and (
                now - self.last[0] < self.EVERY_SECONDS or done - self.last[1] < self.EVERY_SHARE * planned):
            return
        self.last = (now, done)
        rate = self.expected / max(planned, 1)
        if self.first is not None and done > self.first[1]:
            measured_steps = done - self.first[1]
            trust = min(1.0, measured_steps / max(10.0, 0.02 * planned))
            rate = trust * (now - self.first[0]) / measured_steps + (1 - trust) * rate
        tuning = min(rate * max(planned - done, 0), max(self.deadline - now, 0.0))
        eta = min(tuning + self.search_seconds, max(self.clock.limit - now, 0.0))
        try:
            self.on_progress(Progress(trials_planned=self.trials_planned, trials_done=0, best_score=None,
                                      elapsed_seconds=round(now, 3), eta_seconds=round(eta, 3),
                                      phase=f"fine-tuning MiniLM: {done}/{planned} steps"))
        except SearchCanceled:
            raise
        except Exception:
            log.warning("fine-tuning progress not reported", exc_info=True)
