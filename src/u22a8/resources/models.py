"""Models: a tenant's handle, task and labels, and what its samples, runs and versions make of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .fields import shown, shown_property
from .runs import Run
from .versions import Version

__all__ = ["Model", "AutoRetrainSetting"]


@dataclass(frozen=True)
class AutoRetrainSetting:
    """Whether sample changes retrain a ready model, and after how long a quiet period."""

    enabled: bool = shown()
    quiet_seconds: float = shown()


@dataclass(frozen=True)
class Model:
    id: int
    handle: str = shown()
    owner: str = shown()
    name: str
    task: str = shown()
    description: str = shown()
    labels: list[str] | None = shown()

    @shown_property
    def state(self) -> str:
        """draft (never trained), busy (a search in flight) or ready."""
        if self.active_search is not None:
            return "busy"
        return "ready" if self.active_version is not None else "draft"

    sample_count: int = shown()
    active_version: Version | None = shown(as_summary=True)
    last_run: Run | None = shown()
    auto_retrain: bool
    quiet_seconds: float
    # classify: samples of this label are examples of what not to answer; predict answers it,
    # with "fallback": true, when the model is not confident enough (null: no fallback).
    fallback_label: str | None = shown()
    # The least fallback precision the chosen threshold must reach (null: no floor).
    fallback_min_precision: float | None = shown()

    @shown_property(name="auto_retrain")
    def auto_retrain_setting(self) -> AutoRetrainSetting:
        return AutoRetrainSetting(enabled=self.auto_retrain, quiet_seconds=self.quiet_seconds)

    # The search run in flight, if any: its presence is what makes the model busy.
    active_search: Run | None
    retrain_due_at: datetime | None
    created_at: datetime = shown()
    updated_at: datetime = shown()
