"""Versions: immutable trained artifacts; one per model is active."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..errors import NotFound
from ..events import VersionActivated
from ._convert import version_record
from .database import Database, utcnow
from .events import record
from .models import model_row
from ..resources import Version
from .tables import VersionRow

__all__ = ["VersionRepository", "NewVersion", "insert_version", "version_number"]


@dataclass(frozen=True)
class NewVersion:
    """What a run hands over to become a version (the number is the store's to give)."""

    params: dict[str, Any]
    metrics: dict[str, Any]
    report: dict[str, Any]
    sample_ids: list[str]
    artifact_key: str
    artifact_sha256: str
    # Likely label errors, most suspect first: {sample_id, label, suggested_label, self_confidence, score}
    label_issues: list[dict[str, Any]] | None = None


def version_number(s: Session, version_id: int | None) -> int | None:
    return s.scalar(select(VersionRow.number).where(VersionRow.id == version_id)) if version_id else None


def insert_version(s: Session, model_id: int, run_id: str, new: NewVersion) -> VersionRow:
    """Add the next version of a model (inside the caller's transaction)."""
    number = (s.scalar(select(func.max(VersionRow.number)).where(VersionRow.model_id == model_id)) or 0) + 1
    row = VersionRow(
        model_id=model_id,
        number=number,
        run_id=run_id,
        params=new.params,
        metrics=new.metrics,
        report=new.report,
        sample_ids=new.sample_ids,
        artifact_key=new.artifact_key,
        artifact_sha256=new.artifact_sha256,
        label_issues=new.label_issues,
        created_at=utcnow(),
    )
    s.add(row)
    s.flush()
    return row


class VersionRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def list(self, handle: str) -> list[Version]:
        with self._db.session(write=False) as s:
            model = model_row(s, handle)
            q = select(VersionRow).where(VersionRow.model_id == model.id).order_by(VersionRow.number.desc())
            return [version_record(r) for r in s.scalars(q)]

    def newest_artifact_key(self) -> str | None:
        """The artifact of the version made last, on any model: what every API process must see."""
        with self._db.session(write=False) as s:
            return s.scalar(select(VersionRow.artifact_key).order_by(VersionRow.id.desc()).limit(1))

    def get(self, handle: str, number: int) -> Version:
        with self._db.session(write=False) as s:
            return version_record(self._row(s, handle, number))

    def label_issues(self, handle: str, number: int) -> list[dict[str, Any]]:
        """The likely label errors version ``number`` stored (see :mod:`.label_issues`)."""
        with self._db.session(write=False) as s:
            model = model_row(s, handle)
            return list(s.scalar(select(VersionRow.label_issues).where(
                VersionRow.model_id == model.id, VersionRow.number == number)) or [])

    def activate(self, handle: str, number: int) -> Version:
        """Make an earlier (or later) version the one that serves: a rollback."""
        with self._db.session() as s:
            row = self._row(s, handle, number)
            model = model_row(s, handle, lock=True)
            previous = version_number(s, model.active_version_id)
            model.active_version_id, model.updated_at = row.id, utcnow()
            record(s, VersionActivated(owner=model.owner, model_id=model.id, handle=handle, at=model.updated_at,
                                       version=row.number, previous=previous))
            return version_record(row)

    @staticmethod
    def _row(s: Session, handle: str, number: int) -> VersionRow:
        model = model_row(s, handle)
        row = s.scalar(select(VersionRow).where(VersionRow.model_id == model.id, VersionRow.number == number))
        if row is None:
            raise NotFound(f"no version {number} of {handle!r}")
        return row
