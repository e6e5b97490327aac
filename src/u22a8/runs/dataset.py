"""Stored samples → the engine's Dataset: all of them, or the rows a run can afford."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..engine import MIN_ROWS, PER_LABEL_MIN, Dataset, get_task, refit_rows, search_rows
from ..settings import Settings
from ..store import Model, Run, Store, TrainingSample

__all__ = ["build_dataset", "label_issue_rows", "training_rows"]


def training_rows(store: Store, settings: Settings, model: Model,
                  run: Run) -> tuple[list[TrainingSample], int, int | None]:
    """The samples ``run`` trains on, how many the model holds, and the cap they were drawn with
    (None: all of them).

    A search trains on what its effort's ceiling affords (:func:`~u22a8.engine.search_rows`, from
    counts the database aggregates), a retrain on the share its version was searched on (or, on
    a model that has grown since, what that effort affords: :func:`~u22a8.engine.refit_rows`); only
    those rows are read, drawn by the database in the engine's order (see
    :mod:`u22a8.engine.sizing`). Reading a million rows into the worker to sub-sample them there
    cost more than the low ceiling itself (bench/RESULTS.md).
    """
    n = model.sample_count  # kept on the model's row: no count of a million rows per run
    summary: dict[str, Any] = {}

    def affords(effort: str) -> int:
        if n <= MIN_ROWS:  # never fewer (and no aggregate query on the path of a small retrain)
            return n
        summary.update(store.samples.summary(model.id))
        n_labels = max(summary["n_labels"], len(model.labels or []), 1)
        return search_rows(effort, n, n_labels, model.task, summary["mean_chars"], settings.search_time_limit_seconds,
                           settings.train_memory_bytes)

    if run.kind == "search":
        cap: int | None = affords(run.effort or "medium")
    else:
        cap = refit_rows(model.active_version.params if model.active_version is not None else {}, n, affords)
    if cap is None or cap >= n:
        return store.samples.training_set(model.id), n, None
    drawn = store.samples.drawn_training_set(model.id, int(cap), PER_LABEL_MIN, n_samples=n,
                                             totals=summary.get("label_counts"))
    return drawn, n, int(cap)


def build_dataset(task: str, labels: Sequence[str] | None, samples: Sequence[TrainingSample], *,
                  fallback_label: str | None = None, fallback_min_precision: float | None = None) -> Dataset:
    parse = get_task(task).parse_target
    return Dataset(task=task, texts=[s.text for s in samples], targets=[parse(s.target) for s in samples],
                   weights=[s.weight for s in samples], labels=list(labels) if labels else None,
                   fallback_label=fallback_label, fallback_min_precision=fallback_min_precision)


def label_issue_rows(issues: Sequence[dict[str, Any]], samples: Sequence[TrainingSample]) -> list[dict[str, Any]]:
    """The engine's label issues (by position in the dataset) by sample id, as a version keeps them."""
    return [{"sample_id": samples[int(i["index"])].id, "label": i["label"], "suggested_label": i["suggested_label"],
             "self_confidence": i["self_confidence"], "score": i["score"], "flagged": i["flagged"]} for i in issues]
