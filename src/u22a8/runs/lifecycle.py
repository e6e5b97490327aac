"""The seed's train table, as domain rules (no HTTP here).

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
from ..store import SampleStats, SearchAlreadyActive, Store

__all__ = ["TrainOutcome", "request_train", "lacking", "DEFAULT_EFFORT"]

DEFAULT_EFFORT = "medium"


@dataclass(frozen=True)
class TrainOutcome:
    state: str
    run_id: str | None
    queued: bool  # True when this call enqueued a new run (the caller then wakes the executor)

    @property
    def status_code(self) -> int:
        return 200 if self.run_id is None else 202


def request_train(store: Store, handle: str, effort: str | None, reoptimize: bool) -> TrainOutcome:
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


def lacking(task: str, stats: SampleStats) -> list[str]:
    """What the samples lack for training, from the counts the database computes.

    The engine checks the full dataset again when the run starts, with the same rule
    (:func:`engine.missing_for_counts`), so both say the same thing word for word.
    """
    return engine.missing_for_counts(task, stats.n_samples, stats.label_counts, stats.distinct_scores)
