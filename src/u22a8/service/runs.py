"""A model's runs: list, get, cancel, and what a run's age is."""

from __future__ import annotations

from dataclasses import dataclass

from ..store import ApiKey, Run, utcnow
from .access import check_model_access, checked_handle, enter
from .platform import Platform

__all__ = ["RunPage", "list_runs", "get_run", "cancel_run", "elapsed_seconds"]


@dataclass(frozen=True)
class RunPage:
    items: list[Run]
    next_cursor: str | None


def list_runs(platform: Platform, key: ApiKey, handle: str, *, cursor: str | None, limit: int) -> RunPage:
    """Newest first, ``limit`` at a time; ``cursor`` is the ``next_cursor`` of the page before."""
    check_model_access(key, checked_handle(handle), "read")
    found = platform.store.runs.list(handle, before=cursor, limit=limit + 1)
    more = len(found) > limit
    found = found[:limit]
    return RunPage(found, found[-1].id if more else None)


def get_run(platform: Platform, key: ApiKey, handle: str, run_id: str) -> Run:
    check_model_access(key, checked_handle(handle), "read")
    return platform.store.runs.get(handle, run_id)


def cancel_run(platform: Platform, key: ApiKey, handle: str, run_id: str) -> Run:
    """Queued runs end at once; running ones stop at their next trial boundary."""
    enter(platform, key, "train", handle)
    return platform.store.runs.request_cancel(handle, run_id)


def elapsed_seconds(run: Run) -> float | None:
    """How long the run has run (so far, while it runs); None before it starts."""
    if run.started_at is None:
        return None
    return round(((run.finished_at or utcnow()) - run.started_at).total_seconds(), 3)
