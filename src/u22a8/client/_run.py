"""Runs, models and train results: value objects that remember their client so runs can be awaited.

``Run`` belongs to :class:`~u22a8.Client` and waits by blocking; ``AsyncRun`` belongs to
:class:`~u22a8.AsyncClient` and waits with ``await``. Their data is the same.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from ._types import AutoRetrain, VersionSummary, parse_time
from ._waiting import Watch

__all__ = ["FINAL_STATES", "Run", "AsyncRun", "Model", "TrainResult", "RunT"]

FINAL_STATES = ("succeeded", "failed", "canceled")
Json = Mapping[str, Any]


@dataclass(frozen=True)
class _RunFields:
    id: str
    model: str
    kind: str  # "search" or "retrain"
    state: str  # queued, running, succeeded, failed, canceled
    effort: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    trials_planned: int | None
    trials_done: int
    best_score: float | None
    elapsed_seconds: float | None
    eta_seconds: float | None
    cpu_seconds: float | None
    attempts: int
    error: str | None
    decision: str | None
    version: int | None
    phase: str | None = None  # documented with the API's RunPublic (docs/api.md)
    raw: Json = field(default_factory=dict, repr=False, compare=False)
    _client: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def from_json(cls, d: Json, client: Any) -> Any:
        return cls(
            id=d["id"], model=d["model"], kind=d["kind"], state=d["state"], effort=d.get("effort"),
            created_at=datetime.fromisoformat(d["created_at"]), started_at=parse_time(d.get("started_at")),
            finished_at=parse_time(d.get("finished_at")), trials_planned=d.get("trials_planned"),
            trials_done=d.get("trials_done", 0), best_score=d.get("best_score"),
            elapsed_seconds=d.get("elapsed_seconds"), eta_seconds=d.get("eta_seconds"),
            cpu_seconds=d.get("cpu_seconds"), attempts=d.get("attempts", 0), error=d.get("error"),
            decision=d.get("decision"), version=d.get("version"), phase=d.get("phase"), raw=d, _client=client,
        )

    @property
    def done(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def succeeded(self) -> bool:
        return self.state == "succeeded"

    def _progress_key(self) -> tuple[Any, ...]:
        # What counts as a change for on_progress: not elapsed_seconds, which moves on every poll;
        # the ETA only by whole seconds, so a re-estimate shows but float noise does not.
        eta = None if self.eta_seconds is None else round(self.eta_seconds)
        return (self.state, self.trials_planned, self.trials_done, self.best_score, eta, self.phase, self.error,
                self.version)


@dataclass(frozen=True)
class Run(_RunFields):
    """One unit of training work. ``wait()`` polls until it is succeeded, failed or canceled."""

    def refresh(self) -> Run:
        """The run as the server sees it now."""
        return self._client.runs.get(self.model, self.id)  # type: ignore[no-any-return]

    def cancel(self) -> Run:
        return self._client.runs.cancel(self.model, self.id)  # type: ignore[no-any-return]

    def wait(self, on_progress: Callable[[Run], Any] | None = None, *, timeout: float | None = None,
             poll_interval: float = 0.5) -> Run:
        """Block until a final state and return the final run (it does not raise if the run failed:
        check ``.state`` / ``.succeeded``). ``on_progress(run)`` is called first, then whenever
        the state, trial counts, best score, phase or ETA (in whole seconds) change. Raises
        ``TimeoutError`` after ``timeout`` s."""
        watch = Watch(timeout, time.monotonic)
        run = self
        while True:
            if on_progress is not None and watch.changed(run):
                on_progress(run)
            if watch.over(run):
                return run
            time.sleep(poll_interval)
            run = run.refresh()


@dataclass(frozen=True)
class AsyncRun(_RunFields):
    """A run from :class:`~u22a8.AsyncClient`: ``await run.wait()``."""

    async def refresh(self) -> AsyncRun:
        return await self._client.runs.get(self.model, self.id)  # type: ignore[no-any-return]

    async def cancel(self) -> AsyncRun:
        return await self._client.runs.cancel(self.model, self.id)  # type: ignore[no-any-return]

    async def wait(self, on_progress: Callable[[AsyncRun], Awaitable[Any] | Any] | None = None, *,
                   timeout: float | None = None, poll_interval: float = 0.5) -> AsyncRun:
        """Like :meth:`Run.wait`; ``on_progress`` may be a plain function or a coroutine function."""
        watch = Watch(timeout, asyncio.get_running_loop().time)
        run = self
        while True:
            if on_progress is not None and watch.changed(run):
                result = on_progress(run)
                if asyncio.iscoroutine(result):
                    await result
            if watch.over(run):
                return run
            await asyncio.sleep(poll_interval)
            run = await run.refresh()


RunT = TypeVar("RunT", Run, AsyncRun)


@dataclass(frozen=True)
class Model(Generic[RunT]):
    """A model: ``state`` is draft (never trained), busy (a search in flight) or ready."""

    handle: str
    owner: str
    task: str
    description: str
    labels: tuple[str, ...] | None
    state: str
    sample_count: int
    active_version: VersionSummary | None
    last_run: RunT | None
    auto_retrain: AutoRetrain
    # classify: the label predict answers when the model is not sure (None: no fallback), and the
    # least precision its threshold must keep
    fallback_label: str | None
    fallback_min_precision: float | None
    created_at: datetime
    updated_at: datetime
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, d: Json, run_type: type[RunT], client: Any) -> Model[RunT]:
        av, lr, ar = d.get("active_version"), d.get("last_run"), d.get("auto_retrain") or {}
        labels: Sequence[str] | None = d.get("labels")
        return cls(
            handle=d["handle"], owner=d["owner"], task=d["task"], description=d.get("description", ""),
            labels=tuple(labels) if labels is not None else None, state=d["state"],
            sample_count=d.get("sample_count", 0), active_version=VersionSummary.from_json(av) if av else None,
            last_run=run_type.from_json(lr, client) if lr else None,
            auto_retrain=AutoRetrain(enabled=ar.get("enabled", True), quiet_seconds=ar.get("quiet_seconds", 0.0)),
            fallback_label=d.get("fallback_label"), fallback_min_precision=d.get("fallback_min_precision"),
            created_at=datetime.fromisoformat(d["created_at"]), updated_at=datetime.fromisoformat(d["updated_at"]),
            raw=d,
        )


@dataclass(frozen=True)
class TrainResult(Generic[RunT]):
    """The answer to train: ``state`` "busy" with the ``run`` in flight, or "ready" with ``run`` None
    (a ready model without ``reoptimize``: nothing to do)."""

    state: str
    run: RunT | None
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    @property
    def queued(self) -> bool:
        return self.run is not None
