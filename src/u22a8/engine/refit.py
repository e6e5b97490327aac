"""Refit: the exact configuration of an earlier result, on new data, under the same protocol."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from .assemble import Outputs, assemble, protocol_outputs
from .data_report import data_report
from .finetuned_members import is_tuned, refit_with_tuned
from .rules import check_trainable
from .budget import BUDGETS
from .sizing import drawn_note, fit_rows, sized
from .space import normalize_params
from .training import Workspace
from .types import Dataset, TrainingResult

__all__ = ["refit", "refit_rows"]


def refit(data: Dataset, params: dict[str, Any], *, cache_dir: Path | None = None,
          counts_key: str | None = None, stored_rows: int | None = None,
          max_rows: int | None = None) -> TrainingResult:
    """Fit ``params`` (from an earlier :class:`TrainingResult`) on ``data``.

    The metrics come from the same protocol a search's final metrics use (see
    :mod:`.evaluation`), so :func:`should_promote` compares like with like. Only texts the feature
    cache has not seen are embedded, and with ``counts_key`` only texts the last run on this data
    set did not count are counted (see :mod:`.counts_cache`). Fine-tuned members (effort max) are
    fine-tuned again with the recipe in their params, which takes minutes (see :mod:`.finetuned_members`).

    A version searched on a sub-sample is refitted on the same share, a version of a model that
    has grown past what its effort affords on what it affords now (see :func:`refit_rows`).
    ``stored_rows``: how many rows the data set holds when ``data`` is the store's draw of
    ``max_rows`` of them (in :mod:`.sizing`'s order); else ``data`` is all of it.
    """
    check_trainable(data)
    cpu0 = time.process_time()
    params = normalize_params(data.task, params)
    if params.get("task", data.task) != data.task:
        raise ValueError(f"params were made for task {params['task']!r}, the data is {data.task!r}")
    why = "the share its version was searched on" if params.get("max_rows") else "what its effort affords"
    n_stored = len(data.texts) if stored_rows is None else stored_rows
    if stored_rows is None:
        max_rows = refit_rows(params, n_stored, lambda effort: fit_rows(data, effort))
        data, size_notes = sized(data, max_rows, why)
    else:
        max_rows = max_rows or params.get("max_rows")
        size_notes = drawn_note(len(data.texts), stored_rows, why)
    ws = Workspace(data, cache_dir=cache_dir, counts_key=counts_key)
    ws.notes.extend(size_notes)
    ws.start_warm = True  # SVM fits start from the last run's solution (see .warm_start)
    members = [{**m, "features": ws.usable(m["features"])} for m in params["members"]]
    report = data_report(data)
    if any(is_tuned(m) for m in members):  # a max version: its encoder is re-fine-tuned (see .finetuned_members)
        return refit_with_tuned(ws, members, cpu0=cpu0, report=report)
    if ws.n_protocol == 1:
        outputs, fitted = _holdout_and_final_in_parallel(ws, members)
        # A retrain is on the path from new samples to a new version serving: no 4 extra fits
        # for label issues (the runs layer keeps the version's issues outside the held-out rows).
        result = assemble(ws, members, outputs, trials_done=0, cpu0=cpu0, report=report,
                          extra_metrics={"refit": True}, fitted=fitted, issue_folds=False)
    else:
        outputs = [protocol_outputs(ws, m) for m in members]
        result = assemble(ws, members, outputs, trials_done=0, cpu0=cpu0, report=report,
                          extra_metrics={"refit": True})
    if max_rows is not None and max_rows < n_stored:  # the next refit draws the same share
        result.params["max_rows"] = max_rows
    if params.get("effort"):
        result.params["effort"] = params["effort"]
    result.metrics["warm_fits"] = ws.warm_fits  # SVM fits started from the last run's solution
    ws.remember_counts(members)
    ws.remember_warm(members)
    return result


def refit_rows(params: dict[str, Any], n_stored: int, affords: Callable[[str], int]) -> int | None:
    """The rows a refit of ``params`` trains on, of ``n_stored``: its version's share (``max_rows``),
    else what its effort affords (``affords(effort)``; all of them unless the model has grown past
    that since its search), else all (None)."""
    if params.get("max_rows"):
        return int(params["max_rows"])
    if params.get("effort") in BUDGETS:
        rows = affords(params["effort"])
        return rows if rows < n_stored else None
    return None


def _holdout_and_final_in_parallel(ws: Workspace, members: list[dict[str, Any]]) -> tuple[list[Outputs], list[Any]]:
    """On large data the holdout fit and the final fit are independent: run them on both cores.

    Featurizing stays in this thread (the workspace's memo is not thread-safe); only the linear
    fits, which release the GIL, run in the pool. Worth it because a retrain is on the path
    from "sample uploaded" to "new version serving".
    """
    train, test = ws.folds[0]
    everything = np.arange(ws.n)
    with ThreadPoolExecutor(max_workers=2) as pool:
        fulls, heads = [], []
        for m in members:  # each final fit starts as soon as its matrix is ready
            fulls.append(ws.full(m["features"]))
            heads.append(pool.submit(ws.fit_head, m, fulls[-1][1], everything, "full"))
        # The final fits are under way: slice the holdout fold's matrices meanwhile.
        holdouts = [ws.counted(m["features"]).fold(ws.text_features(m["features"]), train, test,
                                                   ws.weighted_dense(m["features"])) for m in members]
        fold_heads = [pool.submit(ws.fit_head, m, x_train, train, "holdout") for m, (x_train, _) in zip(members, holdouts)]
        outputs = [{0: ws.head_output(f.result(), x_test)} for f, (_, x_test) in zip(fold_heads, holdouts)]
        fitted = [(tf, h.result()) for (tf, _), h in zip(fulls, heads)]
    return outputs, fitted
