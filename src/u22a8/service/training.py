"""Train requests: the seed's train table, what data a model needs, and what each effort costs.

| model state | reoptimize | result                                               |
|-------------|------------|------------------------------------------------------|
| draft       | any        | queue a search → 202 busy + run id                   |
| busy        | any        | idempotent hit → 202 busy + the search in flight     |
| ready       | false      | no-op → 200 ready, run id null                       |
| ready       | true       | queue a search → 202 busy; the old version serves on |
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import engine
from ..errors import TooFewSamples
from ..store import ApiKey, SampleStats, SearchAlreadyActive, Store
from .access import enter
from .fields import InvalidField
from .models import get_model
from .platform import Platform

__all__ = ["DEFAULT_EFFORT", "EFFORTS", "TrainOutcome", "TrainingEstimate", "request_train", "train", "lacking",
           "estimate_training"]

DEFAULT_EFFORT = "medium"
EFFORTS: tuple[str, ...] = tuple(engine.EFFORTS)


@dataclass(frozen=True)
class TrainOutcome:
    state: str
    run_id: str | None
    queued: bool  # True when this call enqueued a new run (the executor has been woken)

    @property
    def status_code(self) -> int:
        return 200 if self.run_id is None else 202


@dataclass(frozen=True)
class TrainingEstimate:
    """What each effort would likely cost on a model's current samples."""

    handle: str
    n_samples: int
    n_labels: int
    efforts: dict[str, dict[str, float]]


def request_train(store: Store, handle: str, effort: str | None, reoptimize: bool) -> TrainOutcome:
    """The train table above, on the store alone (no access check, no wake-up)."""
    model = store.models.get(handle)
    if model.active_search is not None:
        return TrainOutcome("busy", model.active_search.id, queued=False)
    if model.state == "ready" and not reoptimize:
        return TrainOutcome("ready", None, queued=False)
    missing = lacking(model.task, store.samples.stats(model.id))
    if missing:
        raise TooFewSamples(f"{handle} cannot be trained yet: {'; '.join(missing)}", missing=missing)
    try:
        run = store.runs.enqueue_search(handle, effort or DEFAULT_EFFORT)
    except SearchAlreadyActive as hit:
        return TrainOutcome("busy", hit.run.id, queued=False)
    return TrainOutcome("busy", run.id, queued=True)


def train(platform: Platform, key: ApiKey, handle: str, effort: str | None, reoptimize: bool) -> TrainOutcome:
    """``POST …/train`` for ``key``: the train table (a queued run's event wakes the executor)."""
    enter(platform, key, "train", handle)
    if effort is not None and effort not in EFFORTS:
        choices = ", ".join(repr(e) for e in EFFORTS[:-1]) + f" or {EFFORTS[-1]!r}"
        raise InvalidField("effort", f"effort: Input should be {choices}")
    return request_train(platform.store, handle, effort, reoptimize)


def lacking(task: str, stats: SampleStats) -> list[str]:
    """What the samples lack for training, from the counts the database computes.

    The engine checks the full dataset again when the run starts, with the same rule
    (:func:`engine.missing_for_counts`), so both say the same thing word for word.
    """
    return engine.missing_for_counts(task, stats.n_samples, stats.label_counts, stats.distinct_scores)


def estimate_training(platform: Platform, key: ApiKey, handle: str) -> TrainingEstimate:
    """What each effort would likely cost on this model's current samples."""
    model = get_model(platform, key, handle, "read")
    summary = platform.store.samples.summary(model.id)
    efforts = engine.estimate(summary["n_samples"], summary["n_labels"], model.task,  # type: ignore[arg-type]
                              summary["mean_chars"], platform.settings.train_memory_bytes)
    return TrainingEstimate(handle=handle, n_samples=summary["n_samples"], n_labels=summary["n_labels"],
                            efforts={k: {kk: float(vv) for kk, vv in v.items()} for k, v in efforts.items()})
