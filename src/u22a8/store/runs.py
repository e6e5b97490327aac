"""Runs: queueing, leases and heartbeats, progress, and the atomic finish that promotes.

Every transition is a compare-and-set on the run's state (and lease owner), so a run that
executes twice after a lost lease cannot finish twice or promote twice.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import NotFound
from ._convert import run_record
from .database import Database, utcnow
from .models import model_row
from ..resources import ACTIVE_RUN_STATES, Run, RunEvent
from .tables import ModelRow, RunEventRow, RunRow

__all__ = ["RunRepository", "NewVersion", "SearchAlreadyActive"]


class SearchAlreadyActive(Exception):
    """A search for this model is already queued or running; ``run`` is that one."""

    def __init__(self, run: Run) -> None:
        super().__init__(run.id)
        self.run = run


@dataclass(frozen=True)
class NewVersion:
    params: dict[str, Any]
    metrics: dict[str, Any]
    report: dict[str, Any]
    sample_ids: list[str]
    artifact_key: str
    artifact_sha256: str


def _new_run_id() -> str:
    return "run_" + secrets.token_hex(10)


def _handle(s: Session, model_id: int) -> str:
    return s.scalar(select(ModelRow.handle).where(ModelRow.id == model_id)) or "?"


class RunRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

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
                _event(s, row.id, "queued", {"kind": "search", "effort": effort})
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
                _event(s, row.id, "queued", {"kind": "retrain"})
                made.append(run_record(row, model.handle))
        return made

    # -- claiming and leases ---------------------------------------------------------------
    def claim(self, run_id: str, owner: str, lease_seconds: float) -> Run | None:
        """Take a queued run for ``owner``; None if it is gone, taken, or its model is busy training."""
        now = utcnow()
        with self._db.session() as s:
            row = s.get(RunRow, run_id)
            if row is None or row.state != "queued":
                return None
            # One run per model at a time: a retrain waits for a running search and vice versa.
            if s.scalar(select(RunRow.id).where(RunRow.model_id == row.model_id, RunRow.state == "running")):
                return None
            result = s.execute(
                update(RunRow)
                .where(RunRow.id == run_id, RunRow.state == "queued")
                .values(
                    state="running", lease_owner=owner, lease_expires_at=now + timedelta(seconds=lease_seconds),
                    started_at=now, attempts=RunRow.attempts + 1, phase=None,
                )
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return None
            s.refresh(row)
            _event(s, run_id, "started", {"attempt": row.attempts, "worker": owner})
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
                _event(s, row.id, row.state, {"reason": row.error})
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
            _event(s, run_id, "progress", {**values, **({"trial": event} if event else {})})
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

        All in one transaction guarded by the lease: None if the lease was lost meanwhile.
        """
        from .versions import insert_version

        now = utcnow()
        with self._db.session() as s:
            row = s.scalar(
                select(RunRow).where(RunRow.id == run_id, RunRow.state == "running", RunRow.lease_owner == owner)
            )
            if row is None:
                return None
            model = s.get(ModelRow, row.model_id)
            assert model is not None
            if version is not None:
                vrow = insert_version(s, model.id, run_id, version)
                row.version_number = vrow.number
                if promote:
                    model.active_version_id, model.updated_at = vrow.id, now
            row.state, row.finished_at, row.error, row.decision = state, now, error, decision
            row.cpu_seconds, row.lease_owner, row.lease_expires_at = cpu_seconds, None, None
            row.phase = None
            s.flush()
            _event(s, run_id, state, {"error": error, "decision": decision, "version": row.version_number})
            return run_record(row, model.handle)

    def request_cancel(self, handle: str, run_id: str) -> Run:
        with self._db.session() as s:
            model = model_row(s, handle)
            row = s.get(RunRow, run_id)
            if row is None or row.model_id != model.id:
                raise NotFound(f"no run {run_id!r} for {handle!r}")
            if row.state == "queued":
                row.state, row.finished_at, row.error = "canceled", utcnow(), "canceled before it started"
                _event(s, run_id, "canceled", {"error": row.error})
            elif row.state == "running":
                row.cancel_requested = True
                _event(s, run_id, "cancel_requested", {})
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
        with self._db.session(write=False) as s:
            q = select(RunEventRow).where(RunEventRow.run_id == run_id, RunEventRow.id > after).order_by(RunEventRow.id)
            return [RunEvent(id=r.id, run_id=r.run_id, at=r.at, type=r.type, data=r.data) for r in s.scalars(q)]

    def active_count(self) -> int:
        with self._db.session(write=False) as s:
            return len(s.scalars(select(RunRow.id).where(RunRow.state.in_(ACTIVE_RUN_STATES))).all())

    @staticmethod
    def _active_search(s: Session, model_id: int) -> RunRow | None:
        return s.scalar(
            select(RunRow).where(RunRow.model_id == model_id, RunRow.kind == "search", RunRow.state.in_(ACTIVE_RUN_STATES))
        )


def _event(s: Session, run_id: str, type_: str, data: dict[str, Any]) -> None:
    s.add(RunEventRow(run_id=run_id, at=utcnow(), type=type_, data=data))
