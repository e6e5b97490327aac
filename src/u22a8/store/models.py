"""Models: a handle, a task, and what is derived from samples, runs and versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import Conflict, NotFound
from ..events import ModelDeleted, SamplesChanged
from ._convert import run_record, version_record
from ._labels import label_counts
from .database import Database, utcnow
from ..resources import ACTIVE_RUN_STATES, Model, Version
from .events import record
from .tables import ModelRow, RunRow, VersionRow

__all__ = ["ModelRepository", "DeletedModel"]


@dataclass(frozen=True)
class DeletedModel:
    """What a deleted model leaves outside the database for the caller to remove: its id (which
    names its n-gram count snapshots) and every run's id (each names at most one artifact)."""

    model_id: int
    handle: str
    run_ids: tuple[str, ...]
    artifact_keys: tuple[str, ...]


def load_model(s: Session, row: ModelRow) -> Model:
    """Assemble a Model record from its row and what the other tables say about it."""
    active = s.get(VersionRow, row.active_version_id) if row.active_version_id else None
    last = s.scalar(
        select(RunRow).where(RunRow.model_id == row.id).order_by(RunRow.created_at.desc(), RunRow.id.desc()).limit(1)
    )
    search = s.scalar(
        select(RunRow).where(RunRow.model_id == row.id, RunRow.kind == "search", RunRow.state.in_(ACTIVE_RUN_STATES))
    )
    return Model(
        id=row.id,
        handle=row.handle,
        owner=row.owner,
        name=row.handle.split(".", 1)[1],
        task=row.task,
        description=row.description,
        labels=row.labels,
        auto_retrain=row.auto_retrain,
        quiet_seconds=row.quiet_seconds,
        fallback_label=row.fallback_label,
        fallback_min_precision=row.fallback_min_precision,
        active_version=version_record(active) if active else None,
        sample_count=row.sample_count,
        last_run=run_record(last, row.handle) if last else None,
        active_search=run_record(search, row.handle) if search else None,
        retrain_due_at=row.retrain_due_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def model_row(s: Session, handle: str, *, lock: bool = False) -> ModelRow:
    q = select(ModelRow).where(ModelRow.handle == handle)
    if lock:
        q = q.with_for_update()
    row = s.scalar(q)
    if row is None:
        raise NotFound(f"no model {handle!r}")
    return row


def mark_samples_changed(s: Session, row: ModelRow) -> None:
    """Samples of a ready model changed: (re)start its quiet period before an auto-retrain."""
    now = utcnow()
    row.updated_at = now
    if row.active_version_id is not None and row.auto_retrain:
        row.retrain_due_at = now + timedelta(seconds=row.quiet_seconds)
    record(s, SamplesChanged(owner=row.owner, model_id=row.id, handle=row.handle, at=now,
                             retrain_due_at=row.retrain_due_at))


class ModelRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create(
        self,
        handle: str,
        task: str,
        *,
        description: str = "",
        labels: list[str] | None = None,
        auto_retrain: bool = True,
        quiet_seconds: float,
        fallback_label: str | None = None,
        fallback_min_precision: float | None = None,
    ) -> Model:
        now = utcnow()
        row = ModelRow(
            handle=handle,
            owner=handle.split(".", 1)[0],
            task=task,
            description=description,
            labels=labels,
            auto_retrain=auto_retrain,
            quiet_seconds=quiet_seconds,
            fallback_label=fallback_label,
            fallback_min_precision=fallback_min_precision,
            created_at=now,
            updated_at=now,
        )
        try:
            with self._db.session() as s:
                s.add(row)
                s.flush()
                return load_model(s, row)
        except IntegrityError as exc:
            raise Conflict(f"model {handle!r} already exists") from exc

    def get(self, handle: str) -> Model:
        with self._db.session(write=False) as s:
            return load_model(s, model_row(s, handle))

    def task_and_labels(self, handle: str) -> tuple[str, list[str] | None]:
        """What an upload is judged by: the model's task and closed label set, without the
        sample count and runs :meth:`get` also reads (counting a million samples takes a while)."""
        with self._db.session(write=False) as s:
            row = s.execute(select(ModelRow.task, ModelRow.labels).where(ModelRow.handle == handle)).first()
            if row is None:
                raise NotFound(f"no model {handle!r}")
            return row.task, row.labels

    def active_version(self, handle: str) -> Version | None:
        """Just the serving version: the predict hot path needs nothing else."""
        with self._db.session(write=False) as s:
            q = select(VersionRow).join(ModelRow, ModelRow.active_version_id == VersionRow.id).where(
                ModelRow.handle == handle
            )
            row = s.scalar(q)
            if row is None:
                model_row(s, handle)  # raises NotFound for an unknown handle
                return None
            return version_record(row)

    def list(self, owners: list[str], *, after: str | None = None, limit: int = 50) -> list[Model]:
        with self._db.session(write=False) as s:
            q = select(ModelRow).where(ModelRow.owner.in_(owners)).order_by(ModelRow.handle).limit(limit)
            if after is not None:
                q = q.where(ModelRow.handle > after)
            return [load_model(s, r) for r in s.scalars(q)]

    def update(self, handle: str, changes: dict[str, Any]) -> Model:
        with self._db.session() as s:
            row = model_row(s, handle)
            for name, value in changes.items():
                setattr(row, name, value)
            row.updated_at = utcnow()
            if not row.auto_retrain:
                row.retrain_due_at = None
            s.flush()
            return load_model(s, row)

    def delete(self, handle: str) -> DeletedModel:
        """Delete the model with its samples, runs and versions (one transaction)."""
        with self._db.session() as s:
            row = model_row(s, handle, lock=True)
            gone = DeletedModel(
                model_id=row.id,
                handle=row.handle,
                run_ids=tuple(s.scalars(select(RunRow.id).where(RunRow.model_id == row.id))),
                artifact_keys=tuple(s.scalars(select(VersionRow.artifact_key).where(VersionRow.model_id == row.id))),
            )
            s.delete(row)
            record(s, ModelDeleted(owner=row.owner, model_id=row.id, handle=row.handle, at=utcnow()))
            return gone

    def exists(self, model_id: int) -> bool:
        """Whether the model with this id is still there (ids are never given twice)."""
        with self._db.session(write=False) as s:
            return s.scalar(select(ModelRow.id).where(ModelRow.id == model_id)) is not None

    def labels_in_use(self, handle: str) -> set[str]:
        with self._db.session(write=False) as s:
            row = model_row(s, handle)
            return set(label_counts(s, row.id))

    def due_for_retrain(self) -> list[int]:
        with self._db.session(write=False) as s:
            q = select(ModelRow.id).where(ModelRow.retrain_due_at.is_not(None), ModelRow.retrain_due_at <= utcnow())
            return list(s.scalars(q))

