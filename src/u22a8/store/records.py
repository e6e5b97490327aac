"""The frozen records the repositories return instead of live ORM rows.

They are declared once, in :mod:`u22a8.resources` (a leaf every layer may import); the store's
modules import them from here.
"""

from __future__ import annotations

from ..resources import (
    ACTIVE_RUN_STATES,
    FINAL_RUN_STATES,
    ApiKey,
    Model,
    Run,
    RunEvent,
    Sample,
    SampleCounts,
    SampleStats,
    TrainingSample,
    Version,
)

__all__ = [
    "ApiKey",
    "Model",
    "Sample",
    "TrainingSample",
    "Run",
    "RunEvent",
    "Version",
    "SampleCounts",
    "SampleStats",
    "ACTIVE_RUN_STATES",
    "FINAL_RUN_STATES",
]
