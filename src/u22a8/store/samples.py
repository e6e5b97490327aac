"""Samples: all-or-nothing upserts by client id, else by text."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, distinct, func, select
from sqlalchemy.orm import Session

from ..errors import LimitExceeded, NotFound
from ._convert import sample_record
from ._pool_rows import leave_pool
from ._labels import TargetShape, carries_label, distinct_label_count, label_counts, stored_shape
from .database import Database, utcnow
from .models import mark_samples_changed, model_row
from ..resources import Sample, SampleCounts, SampleStats, TrainingSample
from .tables import SampleRow

__all__ = ["SampleRepository", "NewSample", "text_hash"]

_CHUNK = 500


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewSample:
    """A validated sample as the API hands it over. ``id`` None means: match by text."""

    text: str
    target: dict[str, Any]
    id: str | None = None
    weight: float = 1.0
    metadata: dict[str, Any] | None = None


class SampleRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def upsert(self, handle: str, samples: list[NewSample], *, max_per_model: int,
               max_labels: int | None = None) -> SampleCounts:
        """Store every sample or none: the whole batch is one transaction.

        ``max_labels``: how many different labels the model may hold after the batch; counted in
        the same transaction, so two concurrent uploads cannot each pass the limit alone."""
        with self._db.session() as s:
            model = model_row(s, handle, lock=True)
            by_id, by_hash = _existing(s, model.id, samples)
            now = utcnow()
            added = updated = unchanged = 0
            seen: dict[str, SampleRow] = {}
            for sample in samples:
                h = text_hash(sample.text)
                key = sample.id if sample.id is not None else "#" + h
                row = seen.get(key) or (by_id.get(sample.id) if sample.id is not None else by_hash.get(h))
                if row is None:
                    row = SampleRow(
                        model_id=model.id,
                        sample_id=sample.id if sample.id is not None else "s_" + h[:20],
                        text=sample.text,
                        text_hash=h,
                        target=sample.target,
                        weight=sample.weight,
                        meta=sample.metadata,
                        created_at=now,
                        updated_at=now,
                    )
                    s.add(row)
                    added += 1
                elif (row.text, row.target, row.weight, row.meta) == (
                    sample.text,
                    sample.target,
                    sample.weight,
                    sample.metadata,
                ):
                    if key not in seen:
                        unchanged += 1
                else:
                    row.text, row.text_hash, row.target = sample.text, h, sample.target
                    row.weight, row.meta, row.updated_at = sample.weight, sample.metadata, now
                    if key not in seen and row.pk is not None:
                        updated += 1
                seen[key] = row
            s.flush()
            total = s.scalar(select(func.count()).select_from(SampleRow).where(SampleRow.model_id == model.id)) or 0
            if total > max_per_model:
                raise LimitExceeded(f"model {handle!r} would hold {total} samples; the limit is {max_per_model}")
            if max_labels is not None and _may_add_labels(model.labels, samples, max_labels):
                n_labels = distinct_label_count(s, model.id)
                if n_labels > max_labels:
                    raise LimitExceeded(f"model {handle!r} would hold {n_labels} different labels; "
                                        f"the limit is {max_labels}")
            if added or updated:
                mark_samples_changed(s, model)
            # A text that is now labeled is no longer a candidate for labeling (issue 12).
            leave_pool(s, model.id, (row.text_hash for row in seen.values()))
            return SampleCounts(added=added, updated=updated, unchanged=unchanged)

    def list(
        self, handle: str, *, after: int | None = None, limit: int = 100, label: str | None = None,
        shape: TargetShape | None = None,
    ) -> tuple[list[Sample], int | None]:
        """A page of samples in insertion order, and the cursor of the next page (None at the end).

        ``shape``: how the model's targets are stored (read off a sample when not given)."""
        with self._db.session(write=False) as s:
            model = model_row(s, handle)
            q = select(SampleRow).where(SampleRow.model_id == model.id).order_by(SampleRow.pk)
            if after is not None:
                q = q.where(SampleRow.pk > after)
            if label is not None:
                q = q.where(carries_label(s, shape or stored_shape(s, model.id), label))
            rows = list(s.scalars(q.limit(limit + 1)))
            more = len(rows) > limit
            rows = rows[:limit]
            return [sample_record(r) for r in rows], (rows[-1].pk if more and rows else None)

    def delete(self, handle: str, sample_id: str) -> None:
        with self._db.session() as s:
            model = model_row(s, handle, lock=True)
            result = s.execute(
                delete(SampleRow).where(SampleRow.model_id == model.id, SampleRow.sample_id == sample_id)
            )
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise NotFound(f"no sample {sample_id!r} in {handle!r}")
            mark_samples_changed(s, model)

    def snapshot(self, model_id: int) -> list[Sample]:
        """Every sample of a model, in a stable order: what a run trains on."""
        with self._db.session(write=False) as s:
            q = select(SampleRow).where(SampleRow.model_id == model_id).order_by(SampleRow.pk)
            return [sample_record(r) for r in s.scalars(q)]

    def training_set(self, model_id: int) -> list[TrainingSample]:
        """The samples a run trains on, in :meth:`snapshot` order.

        Selects four columns instead of loading ORM rows: on the path of a retrain, where
        building 10k full records cost twice as long.
        """
        with self._db.session(write=False) as s:
            q = (select(SampleRow.sample_id, SampleRow.text, SampleRow.target, SampleRow.weight)
                 .where(SampleRow.model_id == model_id).order_by(SampleRow.pk))
            return [TrainingSample(id=i, text=t, target=g, weight=w) for i, t, g, w in s.execute(q)]

    def stats(self, model_id: int, shape: TargetShape | None = None) -> SampleStats:
        """Counts that decide whether a model can be trained, aggregated by the database.

        Train requests are answered in the API process: loading the whole training set there
        just to count labels would cost a large model seconds and its texts' worth of memory.
        ``shape``: how the model's targets are stored (read off a sample when not given).
        """
        with self._db.session(write=False) as s:
            shape = shape or stored_shape(s, model_id)
            n = s.scalar(select(func.count()).select_from(SampleRow).where(SampleRow.model_id == model_id)) or 0
            scores = 0
            if shape == "score":
                score = SampleRow.target["score"].as_float()
                scores = s.scalar(select(func.count(distinct(score))).where(SampleRow.model_id == model_id)) or 0
            return SampleStats(n_samples=int(n), label_counts=label_counts(s, model_id, shape),
                               distinct_scores=int(scores))

    def summary(self, model_id: int, shape: TargetShape | None = None) -> dict[str, Any]:
        """Counts an effort estimate needs, without loading every text into the API process."""
        with self._db.session(write=False) as s:
            n, chars = s.execute(
                select(func.count(), func.coalesce(func.avg(func.length(SampleRow.text)), 0.0)).where(
                    SampleRow.model_id == model_id
                )
            ).one()
            n_labels = len(label_counts(s, model_id, shape))
            return {"n_samples": int(n), "mean_chars": float(chars), "n_labels": n_labels}


def _may_add_labels(closed: list[Any] | None, samples: list[NewSample], max_labels: int) -> bool:
    """Whether the batch could take the model past ``max_labels`` (a closed set within it cannot)."""
    if closed is not None and len(closed) <= max_labels:
        return False
    return any("label" in x.target or "labels" in x.target for x in samples)


def _existing(
    s: Session, model_id: int, samples: list[NewSample]
) -> tuple[dict[str, SampleRow], dict[str, SampleRow]]:
    ids = list({x.id for x in samples if x.id is not None})
    hashes = list({text_hash(x.text) for x in samples if x.id is None})
    by_id: dict[str, SampleRow] = {}
    by_hash: dict[str, SampleRow] = {}
    for i in range(0, len(ids), _CHUNK):
        q = select(SampleRow).where(SampleRow.model_id == model_id, SampleRow.sample_id.in_(ids[i : i + _CHUNK]))
        by_id.update((r.sample_id, r) for r in s.scalars(q))
    for i in range(0, len(hashes), _CHUNK):
        q = select(SampleRow).where(SampleRow.model_id == model_id, SampleRow.text_hash.in_(hashes[i : i + _CHUNK]))
        for r in s.scalars(q):
            by_hash.setdefault(r.text_hash, r)
    return by_id, by_hash

