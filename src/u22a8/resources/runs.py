"""Runs: one unit of training work (a search or a retrain) and the events it went through."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .fields import shown, shown_property

__all__ = ["Run", "RunEvent", "ACTIVE_RUN_STATES", "FINAL_RUN_STATES"]

ACTIVE_RUN_STATES = ("queued", "running")
FINAL_RUN_STATES = ("succeeded", "failed", "canceled")

_PHASE = ('What runs before the trials, e.g. "fine-tuning MiniLM: 120/940 steps"; '
          "null during the trials and once the run has ended.")


@dataclass(frozen=True)
class Run:
    id: str = shown()
    model_id: int
    handle: str = shown(name="model")
    kind: str = shown()
    state: str = shown()
    effort: str | None = shown()
    created_at: datetime = shown()
    started_at: datetime | None = shown()
    finished_at: datetime | None = shown()
    trials_planned: int | None = shown()
    trials_done: int = shown()
    best_score: float | None = shown()

    @shown_property
    def elapsed_seconds(self) -> float | None:
        """Seconds since the run started, until it ended; None before it starts."""
        if self.started_at is None:
            return None
        return round(((self.finished_at or datetime.now(timezone.utc)) - self.started_at).total_seconds(), 3)

    eta_seconds: float | None = shown()
    phase: str | None = shown(_PHASE)
    cpu_seconds: float | None = shown()
    attempts: int = shown()
    error: str | None = shown()
    decision: str | None = shown()
    version_number: int | None = shown(name="version")
    cancel_requested: bool
    lease_owner: str | None
    lease_expires_at: datetime | None

    def __post_init__(self) -> None:
        # The ETA and the phase describe work in flight: once a run has ended its row may still
        # hold the last ones, its record does not.
        if not self.active:
            object.__setattr__(self, "eta_seconds", None)
            object.__setattr__(self, "phase", None)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_RUN_STATES


@dataclass(frozen=True)
class RunEvent:
    id: int
    run_id: str
    at: datetime
    type: str
    data: dict[str, Any]
