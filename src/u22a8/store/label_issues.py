"""Label issues of a model's active version, less the samples a reviewer dismissed.

A version keeps the likely label errors found when it was trained (``versions.label_issues``,
plain JSON). What is listed is read against the samples as they are now: a sample deleted since,
or relabeled since (its label is no longer the one the version judged), is left out, and so is a
sample dismissed while it still carries the label it was dismissed with. Relabeling a dismissed
sample brings it back under review only if a later version flags it again.
"""

from __future__ import annotations

from sqlalchemy import select

from ..errors import NotFound
from ..resources import LabelIssue, Sample
from ._convert import sample_record
from .database import Database, utcnow
from .models import model_row
from .tables import LabelIssueDismissalRow, SampleRow, VersionRow

__all__ = ["LabelIssueRepository"]


class LabelIssueRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def list(self, handle: str, limit: int) -> list[LabelIssue]:
        """Up to ``limit`` issues of the active version, most suspect first (none without one)."""
        with self._db.session(write=False) as s:
            model = model_row(s, handle)
            if model.active_version_id is None:
                return []
            stored = s.scalar(select(VersionRow.label_issues).where(VersionRow.id == model.active_version_id)) or []
            if not stored:
                return []
            ids = [str(item["sample_id"]) for item in stored]
            samples = {sid: (text, target) for sid, text, target in s.execute(
                select(SampleRow.sample_id, SampleRow.text, SampleRow.target)
                .where(SampleRow.model_id == model.id, SampleRow.sample_id.in_(ids)))}
            dismissed = {sid: label for sid, label in s.execute(
                select(LabelIssueDismissalRow.sample_id, LabelIssueDismissalRow.label)
                .where(LabelIssueDismissalRow.model_id == model.id))}
            found: list[LabelIssue] = []
            for item in stored:
                sid = str(item["sample_id"])
                if sid not in samples:
                    continue
                text, target = samples[sid]
                label = (target or {}).get("label")
                if label != item["label"] or dismissed.get(sid) == label:
                    continue
                found.append(LabelIssue(sample_id=sid, text=text, label=label, suggested_label=item["suggested_label"],
                                        self_confidence=float(item["self_confidence"]), rank=len(found) + 1,
                                        # lists kept before there was a flag held flagged samples only
                                        flagged=bool(item.get("flagged", True))))
                if len(found) >= limit:
                    break
            return found

    def sample(self, handle: str, sample_id: str) -> Sample:
        """One sample by id (what a relabel keeps: its text, weight and metadata)."""
        with self._db.session(write=False) as s:
            model = model_row(s, handle)
            row = s.scalar(select(SampleRow).where(SampleRow.model_id == model.id, SampleRow.sample_id == sample_id))
            if row is None:
                raise NotFound(f"no sample {sample_id!r} in {handle!r}")
            return sample_record(row)

    def dismiss(self, handle: str, sample_id: str) -> None:
        """Keep the sample off the list while it carries its current label."""
        with self._db.session() as s:
            model = model_row(s, handle, lock=True)
            target = s.scalar(select(SampleRow.target).where(SampleRow.model_id == model.id,
                                                              SampleRow.sample_id == sample_id))
            if target is None:
                raise NotFound(f"no sample {sample_id!r} in {handle!r}")
            label = str((target or {}).get("label", ""))
            row = s.get(LabelIssueDismissalRow, (model.id, sample_id))
            if row is None:
                s.add(LabelIssueDismissalRow(model_id=model.id, sample_id=sample_id, label=label, created_at=utcnow()))
            else:
                row.label, row.created_at = label, utcnow()
