"""Refit: the exact configuration of an earlier result, on new data, under the same protocol."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from .assemble import assemble, protocol_outputs
from .data_report import data_report
from .rules import check_trainable
from .space import normalize_params
from .training import Workspace
from .types import Dataset, TrainingResult

__all__ = ["refit"]


def refit(data: Dataset, params: dict[str, Any], *, cache_dir: Path | None = None) -> TrainingResult:
    """Fit ``params`` (from an earlier :class:`TrainingResult`) on ``data``.

    The metrics come from the same protocol a search's final metrics use (see
    :mod:`.evaluation`), so :func:`should_promote` compares like with like. Only texts the feature
    cache has not seen are embedded.
    """
    check_trainable(data)
    cpu0 = time.process_time()
    params = normalize_params(data.task, params)
    if params.get("task", data.task) != data.task:
        raise ValueError(f"params were made for task {params['task']!r}, the data is {data.task!r}")
    ws = Workspace(data, cache_dir=cache_dir)
    members = [{**m, "features": ws.usable(m["features"])} for m in params["members"]]
    outputs = [protocol_outputs(ws, m) for m in members]
    return assemble(ws, members, outputs, trials_done=0, cpu0=cpu0, report=data_report(data),
                    extra_metrics={"refit": True})
