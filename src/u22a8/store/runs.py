"""Runs: queueing, leases and heartbeats, progress, and the atomic finish that promotes.

Every transition is a compare-and-set on the run's state (and lease owner), so a run that
executes twice after a lost lease cannot finish twice or promote twice.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import NotFound
from ..events import (
    RunCanceled,
    RunCancelRequested,
    RunEvent as TypedRunEvent,
    RunFailed,
    RunProgress,
    RunQueued,
    RunStarted,
    RunSucceeded,
    VersionKept,
    VersionPromoted,
)
from ._convert import run_record
from .database import Database, utcnow
from .events import EventRepository, record
from .models import model_row
from ..resources import ACTIVE_RUN_STATES, Run, RunEvent
from .tables import ModelRow, RunRow
from .versions import NewVersion, insert_version, version_number

__all__ = ["RunRepository", "SearchAlreadyActive"]

# A run's state after a transition -> the event that reports it.
_STATE_EVENTS: dict[str, type[TypedRunEvent]] = {
    "queued": RunQueued, "succeeded": RunSucceeded, "failed": RunFailed, "canceled": RunCanceled,
}


class SearchAlreadyActive(Exception):
    """A search for this model is already queued or running; ``run`` is that one."""

    def __init__(self, run: Run) -> None:
        super().__init__(run.id)
        self.run = run


def _new_run_id() -> str:
    return "run_" + secrets.token_hex(10)


def _handle(s: Session, model_id: int) -> str:
    return s.scalar(select(ModelRow.handle).where(ModelRow.id == model_id)) or "?"


def _run_event(s: Session, kind: type[TypedRunEvent], row: RunRow, details: dict[str, Any]) -> None:
    model = s.get(ModelRow, row.model_id)
    assert model is not None
    record(s, kind(owner=model.owner, model_id=model.id, handle=model.handle, at=utcnow(), run_id=row.id,
                   details=details))


class RunRepository:
    def __init__(self, db: Database, events: EventRepository) -> None:
        self._db = db
        self._events = events

    # -- enqueueing ------------------------------------------------------------------------
    def enqueue_search(self, handle: str, effort: str) -> Run:
        """Queue a search, or raise SearchAlreadyActive with the one in flight."""
        try:
            with self._db.session() as s:
                model = model_row(s, handle, lock=True)
                active = self._active_search(s, model.id)
                if active is not None:
                    raise SearchAlreadyActive(run_record(active, handle))
                row = RunRow(
                    id=_new_run_id(), model_id=model.id, kind="search", state="queued", effort=effort,
                    created_at=utcnow(), trials_done=0, attempts=0, cancel_requested=False,
                )
                s.add(row)
                s.flush()
                _run_event(s, RunQueued, row, {"kind": "search", "effort": effort})
                return run_record(row, handle)
        except IntegrityError:
            # Another process won the race; the partial unique index kept it to one run.
            with self._db.session(write=False) as s:
                model = model_row(s, handle)
                active = self._active_search(s, model.id)
                if active is None:
                    raise
                raise SearchAlreadyActive(run_record(active, handle)) from None

    def enqueue_due_retrains(self) -> list[Run]:
        """Turn every passed quiet period into one queued retrain (coalesced per model)."""
        made: list[Run] = []
        now = utcnow()
        with self._db.session() as s:
            due = s.scalars(
                select(ModelRow).where(ModelRow.retrain_due_at.is_not(None), ModelRow.retrain_due_at <= now)
            ).all()
            for model in due:
                model.retrain_due_at = None
                if model.active_version_id is None or not model.auto_retrain:
                    continue
                queued = s.scalar(
                    select(RunRow.id).where(
                        RunRow.model_id == model.id, RunRow.kind == "retrain", RunRow.state == "queued"
                    )
                )
                if queued is not None:
                    continue
                row = RunRow(
                    id=_new_run_id(), model_id=model.id, kind="retrain", state="queued", effort=None,
                    created_at=now, trials_done=0, attempts=0, cancel_requested=False,
                )
                s.add(row)
                s.flush()
                _run_event(s, RunQueued, row, {"kind": "retrain"})
                made.append(run_record(row, model.handle))
        return made

    # -- claiming and leases ---------------------------------------------------------------
    def claim(self, run_id: str, owner: str, lease_seconds: float) -> Run | None:
        """Take a queued run for ``owner``; None if it is gone, taken, or its model is busy training.

        One run per model at a time (a retrain waits for a running search and vice versa): the
        partial unique index ``uq_runs_one_running`` refuses a second running run, so two
        workers claiming runs of one model at once cannot both win on any backend.
        """
        try:
            return self._claim(run_id, owner, lease_seconds)
        except IntegrityError:
            return None

    def _claim(self, run_id: str, owner: str, lease_seconds: float) -> Run | None:
        now = utcnow()
        with self._db.session() as s:
            row = s.get(RunRow, run_id)
            if row is None or row.state != "queued":
                return None
            if s.scalar(select(RunRow.id).where(RunRow.model_id == row.model_id, RunRow.state == "running")):
                return None  # the cheap answer; the index is the guarantee
            started_from = s.scalar(select(ModelRow.active_version_id).where(ModelRow.id == row.model_id))
            result = s.execute(
                update(RunRow)
                .where(RunRow.id == run_id, RunRow.state == "queued")
                .values(
                    state="running", lease_owner=owner, lease_expires_at=now + timedelta(seconds=lease_seconds),
                    started_at=now, attempts=RunRow.attempts + 1, phase=None, started_from_version_id=started_from,
                )
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return None
            s.refresh(row)
            _run_event(s, RunStarted, row, {"attempt": row.attempts, "worker": owner})
            return run_record(row, _handle(s, row.model_id))

    def queued_ids(self, limit: int = 20) -> list[str]:
        with self._db.session(write=False) as s:
            q = select(RunRow.id).where(RunRow.state == "queued").order_by(RunRow.created_at).limit(limit)
            return list(s.scalars(q))

    def heartbeat(self, run_id: str, owner: str, lease_seconds: float) -> Run | None:
        """Extend the lease; None when the lease was lost (the run must stop without writing)."""
        with self._db.session() as s:
            result = s.execute(
                update(RunRow)
                .where(RunRow.id == run_id, RunRow.state == "running", RunRow.lease_owner == owner)
                .values(lease_expires_at=utcnow() + timedelta(seconds=lease_seconds))
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return None
            row = s.get(RunRow, run_id)
            assert row is not None
            return run_record(row, _handle(s, row.model_id))

    def reap_expired(self, max_attempts: int) -> list[Run]:
        """Re-queue runs whose worker stopped heartbeating, or fail them after max_attempts."""
        now = utcnow()
        out: list[Run] = []
        with self._db.session() as s:
            stale = s.scalars(
                select(RunRow).where(RunRow.state == "running", RunRow.lease_expires_at < now)
            ).all()
            for row in stale:
                if row.cancel_requested:
                    row.state, row.finished_at, row.error = "canceled", now, "canceled while its worker was lost"
                elif row.attempts >= max_attempts:
                    row.state, row.finished_at = "failed", now
                    row.error = f"worker lost (no heartbeat) on attempt {row.attempts} of {max_attempts}; giving up"
                else:
                    row.state = "queued"
                    row.error = f"worker lost (no heartbeat) on attempt {row.attempts}; re-queued"
                row.phase = None
                try:
                    with s.begin_nested():
                        row.lease_owner, row.lease_expires_at = None, None
                        s.flush()
                except IntegrityError:
                    # A retrain was queued meanwhile; this one is redundant.
                    row.state, row.finished_at = "canceled", now
                    row.lease_owner = None
                    s.flush()
                _run_event(s, _STATE_EVENTS[row.state], row, {"reason": row.error})
                out.append(run_record(row, _handle(s, row.model_id)))
        return out

    # -- progress and finishing ------------------------------------------------------------
    def progress(self, run_id: str, owner: str, values: dict[str, Any], event: dict[str, Any] | None) -> bool:
        """Write a snapshot of a running run (and a ``progress`` event); False if the lease was lost.

        ``values`` are run columns (``trials_planned``, ``trials_done``, ``best_score``,
        ``eta_seconds``, ``phase``); ``event`` is the trial just finished, if any. A snapshot is
        whole: one without a ``phase``, or one reporting a trial, clears the phase.
        """
        values = {**values, "phase": None if event else values.get("phase")}
        with self._db.session() as s:
            result = s.execute(
                update(RunRow)
                .where(RunRow.id == run_id, RunRow.state == "running", RunRow.lease_owner == owner)
                .values(**values)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return False
            row = s.get(RunRow, run_id)
            assert row is not None
            _run_event(s, RunProgress, row, {**values, **({"trial": event} if event else {})})
            return True

    def finish(
        self,
        run_id: str,
        owner: str,
        state: str,
        *,
        error: str | None = None,
        decision: str | None = None,
        cpu_seconds: float | None = None,
        version: NewVersion | None = None,
        promote: bool = False,
    ) -> Run | None:
        """End a running run; with ``version`` also record it (and activate it if ``promote``).

        All in one transaction guarded by the lease: None if the lease was lost meanwhile (or
        the model was deleted). A run that succeeds also says what became of the active version:
        promoted or kept. Promotion is a compare-and-set: only if the version that served when
        the run was claimed still serves; otherwise (an operator activated another version
        meanwhile, a rollback say) the new version is kept unpromoted and ``decision`` says why.
        """
        now = utcnow()
        with self._db.session() as s:
            row = s.scalar(
                select(RunRow).where(RunRow.id == run_id, RunRow.state == "running", RunRow.lease_owner == owner)
            )
            if row is None:
                return None
            # Locked: an activation (rollback) and this promotion decide one after the other.
            model = s.get(ModelRow, row.model_id, with_for_update=True)
            if model is None:  # deleted while this transaction waited for its lock
                return None
            previous = version_number(s, model.active_version_id)
            promoted = False
            if version is not None:
                vrow = insert_version(s, model.id, run_id, version)
                row.version_number = vrow.number
                if promote and model.active_version_id != row.started_from_version_id:
                    decision = _not_promoted(s, row, previous, decision)
                elif promote:
                    model.active_version_id, model.updated_at, promoted = vrow.id, now, True
            row.state, row.finished_at, row.error, row.decision = state, now, error, decision
            row.cpu_seconds, row.lease_owner, row.lease_expires_at = cpu_seconds, None, None
            row.phase = None
            s.flush()
            _run_event(s, _STATE_EVENTS[state], row,
                       {"error": error, "decision": decision, "version": row.version_number})
            if state == "succeeded":
                _version_outcome(s, model, row, previous, promoted)
            return run_record(row, model.handle)

    def request_cancel(self, handle: str, run_id: str) -> Run:
        with self._db.session() as s:
            model = model_row(s, handle)
            row = s.get(RunRow, run_id)
            if row is None or row.model_id != model.id:
                raise NotFound(f"no run {run_id!r} for {handle!r}")
            if row.state == "queued":
                row.state, row.finished_at, row.error = "canceled", utcnow(), "canceled before it started"
                _run_event(s, RunCanceled, row, {"error": row.error})
            elif row.state == "running":
                row.cancel_requested = True
                _run_event(s, RunCancelRequested, row, {})
            return run_record(row, handle)

    # -- reading ---------------------------------------------------------------------------
    def get(self, handle: str, run_id: str) -> Run:
        with self._db.session(write=False) as s:
            model = model_row(s, handle)
            row = s.get(RunRow, run_id)
            if row is None or row.model_id != model.id:
                raise NotFound(f"no run {run_id!r} for {handle!r}")
            return run_record(row, handle)

    def get_by_id(self, run_id: str) -> Run | None:
        with self._db.session(write=False) as s:
            row = s.get(RunRow, run_id)
            return run_record(row, _handle(s, row.model_id)) if row else None

    def list(self, handle: str, *, before: str | None = None, limit: int = 50) -> list[Run]:
        """Newest first; ``before`` is the id of the last run of the previous page."""
        with self._db.session(write=False) as s:
            model = model_row(s, handle)
            q = select(RunRow).where(RunRow.model_id == model.id)
            if before is not None:
                anchor = s.get(RunRow, before)
                if anchor is not None:
                    q = q.where(
                        (RunRow.created_at < anchor.created_at)
                        | and_(RunRow.created_at == anchor.created_at, RunRow.id < anchor.id)
                    )
            q = q.order_by(RunRow.created_at.desc(), RunRow.id.desc()).limit(limit)
            return [run_record(r, handle) for r in s.scalars(q)]

    def events(self, run_id: str, after: int = 0) -> list[RunEvent]:
        """The run's events as its stream names them (``queued``, ``progress``, …), oldest first."""
        return [RunEvent(id=e.id or 0, run_id=e.run_id, at=e.at, type=e.stream_name, data=dict(e.details))
                for e in self._events.for_run(run_id, after)]

    def active_count(self) -> int:
        with self._db.session(write=False) as s:
            return len(s.scalars(select(RunRow.id).where(RunRow.state.in_(ACTIVE_RUN_STATES))).all())

    @staticmethod
    def _active_search(s: Session, model_id: int) -> RunRow | None:
        return s.scalar(
            select(RunRow).where(RunRow.model_id == model_id, RunRow.kind == "search", RunRow.state.in_(ACTIVE_RUN_STATES))
        )


def _not_promoted(s: Session, row: RunRow, active: int | None, decision: str | None) -> str:
    """Why a run's version does not serve although the run would have promoted it."""
    started = version_number(s, row.started_from_version_id)
    then = f"version {started} served" if started is not None else "no version served"
    now = f"version {active} was activated" if active is not None else "the active version changed"
    reason = (f"not promoted: {now} while this run trained ({then} when it started); "
              f"activate version {row.version_number} to serve it")
    return f"{reason} (would have promoted: {decision})" if decision else reason


def _version_outcome(s: Session, model: ModelRow, row: RunRow, previous: int | None, promoted: bool) -> None:
    """Record whether a succeeded run's version now serves, or the active one stays."""
    at = utcnow()
    if promoted:
        assert row.version_number is not None
        record(s, VersionPromoted(owner=model.owner, model_id=model.id, handle=model.handle, at=at, run_id=row.id,
                                  version=row.version_number, previous=previous, decision=row.decision))
    else:
        record(s, VersionKept(owner=model.owner, model_id=model.id, handle=model.handle, at=at, run_id=row.id,
                              version=previous, candidate=row.version_number, decision=row.decision))
