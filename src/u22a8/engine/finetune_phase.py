"""The fine-tuning phase of a search (effort max): MiniLM fine-tuned before the trials, if it fits.

When the plan fits in the share of the ceiling :mod:`.budget` allows it (judged from the data
size, before the trials), MiniLM is fine-tuned first (:mod:`.finetuned_members`); its members
are blended with the search's ensemble on the protocol rows at the end, with a share of 0
allowed, so they only join when they help on rows none of their encoders saw.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .budget import TUNE_MARGIN, TUNE_SHARE
from .ensemble import blend_tuned
from .embeddings import minilm_costs
from .estimate import estimate
from .finetune import LOAD_SECONDS, TRAIN_SECONDS_PER_TEXT, Recipe, probe_seconds_per_text, training_threads
from .finetuned_members import (TunedFits, cheapest_seconds, fit_tuned, is_tuned, plan_recipe, tuned_members,
                                tuned_seconds)
from .training import Workspace
from .trials import Clock
from .types import Progress, ProgressCallback, SearchCanceled

__all__ = ["TunedPhase", "fine_tune_up_front", "blend_tuned_members"]

log = logging.getLogger("u22a8.engine")


@dataclass
class TunedPhase:
    """What the fine-tuning before the trials produced: its recipe and its members' fits."""

    recipe: Recipe
    fits: TunedFits


def fine_tune_up_front(ws: Workspace, clock: Clock, on_progress: ProgressCallback | None = None,
                        trials_planned: int = 0) -> TunedPhase | None:
    """Fine-tune MiniLM (per protocol fold, then on all rows) if it earns its time; else None.

    It earns it when the plan for this data size (:func:`.finetuned_members.plan_recipe`: 3 epochs,
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
            # The cheapest recipe this protocol offers, with the margin the plan must fit in: a
            # figure without the margin could read as fitting ("1004 s needed, 1043 s available").
            need = cheapest_seconds(ws.n, ws.n_protocol, len(ws.folds), slowdown)
            ws.notes.append(f"fine-tuning skipped: about {need:.0f} s needed ({need * TUNE_MARGIN:.0f} s with the "
                            f"{TUNE_MARGIN - 1:.0%} margin a plan must leave), {max(share, 0):.0f} s available")
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
    return TunedPhase(recipe=recipe, fits=fits)


def blend_tuned_members(ws: Workspace, chosen: list[tuple[dict[str, Any], dict[int, np.ndarray]]], tuned: TunedPhase,
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


def _search_seconds(ws: Workspace) -> float:
    """Expected seconds of the trials and final fit after the fine-tuning, before any trial ran:
    the cost model's (:mod:`.estimate`) for high, whose search max repeats, less the embedding
    it counts (already done here, up front). Reference machine speed; the ceiling caps it."""
    mean_chars = float(np.mean([len(t) for t in ws.texts])) if ws.n else 0.0
    high = estimate(ws.n, len(ws.labels or []), ws.task, mean_chars)["high"]["seconds"]
    embed_load, embed_per_text = minilm_costs()
    return max(high - embed_load - embed_per_text * ws.n, 1.0)


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

    def __init__(self, on_progress: ProgressCallback, clock: Clock, trials_planned: int, expected_seconds: float,
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
