"""Samples: all-or-nothing upserts by client id, else by text."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, bindparam, delete, distinct, func, insert, select, update
from sqlalchemy.orm import Session

import orjson

from ..errors import LimitExceeded, NotFound
from ._convert import sample_record
from ._pool_rows import leave_pool
from ._labels import (TargetShape, carries_any_label, carries_label,
                      label_counts, of_model, stored_shape)
from ._batch import KeyList, executemany
from .database import Database, utcnow
from .models import mark_samples_changed, model_row
from ..resources import Sample, SampleCounts, SampleStats, TrainingSample
from .tables import ModelRow, SampleRow

__all__ = ["SampleRepository", "NewSample", "text_hash", "text_key"]

_CHUNK = 2000  # values per IN (...): well under every backend's bound-parameter limit
_LENGTH_SPREAD = 2000  # samples whose mean length stands for all (see SampleRepository.summary)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def text_key(hash_hex: str) -> int:
    """The first 64 bits of a :func:`text_hash` as a signed 64-bit integer, in the same order as
    the hex strings (the top bit flipped), so the database sorts keys as the engine sorts hashes
    (:mod:`u22a8.engine.sizing`). Distinct texts may share a key (one pair in some 10^13 at a
    million samples): lookups compare the whole hash after finding the key."""
    return int(hash_hex[:16], 16) - (1 << 63)


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

        A batch is matched against the stored samples in two queries (by client id, else by text
        hash; each binds its keys as one parameter) and written with one multi-row INSERT and one
        multi-row UPDATE of plain column tuples (``_batch``): no ORM object per row, which cost a
        20k-sample upload seconds.
        Within a batch the last sample with a key wins; the counts compare each key's first
        sample with what was stored.

        ``max_labels``: how many different labels the model may hold after the batch; counted in
        the same transaction, so two concurrent uploads cannot each pass the limit alone."""
        hashes = [text_hash(x.text) for x in samples]
        with self._db.session() as s:
            model = model_row(s, handle, lock=True)
            by_id, by_hash = _existing(s, model.id, samples, hashes)
            now = utcnow()
            added = updated = unchanged = 0
            # key → (the stored row it matches or None, the sample that wins, its hash)
            final: dict[str, tuple[_Stored | None, NewSample, str]] = {}
            for sample, h in zip(samples, hashes):
                key = sample.id if sample.id is not None else "#" + h
                if key in final:
                    final[key] = (final[key][0], sample, h)
                    continue
                old = by_id.get(sample.id) if sample.id is not None else by_hash.get(h)
                final[key] = (old, sample, h)
                if old is None:
                    added += 1
                elif old.same_as(sample):
                    unchanged += 1
                else:
                    updated += 1
            total = model.sample_count
            if added and total + added > max_per_model:
                raise LimitExceeded(f"model {handle!r} would hold {total + added} samples; "
                                    f"the limit is {max_per_model}")
            new = [(x, h) for old, x, h in final.values() if old is None]
            changed = [(old.pk, x, h) for old, x, h in final.values() if old is not None and not old.same_as(x)]
            brought, shape = _batch_labels(samples)
            must_count = _grow_labels_seen(model, brought, samples, max_labels)
            table = SampleRow.__table__
            if new:
                executemany(s, insert(table), {
                    "model_id": [model.id] * len(new),
                    "sample_id": [x.id if x.id is not None else "s_" + h[:20] for x, h in new],
                    "text": [x.text for x, _ in new], "text_hash": [h for _, h in new],
                    "text_key": [text_key(h) for _, h in new],
                    "target": [x.target for x, _ in new], "weight": [x.weight for x, _ in new],
                    "metadata": [x.metadata for x, _ in new],
                    "created_at": [now] * len(new), "updated_at": [now] * len(new),
                }, serializers=_SERIALIZERS)
            if changed:
                executemany(s, update(table).where(table.c.pk == bindparam("b_pk")), {
                    "b_pk": [pk for pk, _, _ in changed],
                    "text": [x.text for _, x, _ in changed], "text_hash": [h for _, _, h in changed],
                    "text_key": [text_key(h) for _, _, h in changed],
                    "target": [x.target for _, x, _ in changed], "weight": [x.weight for _, x, _ in changed],
                    "metadata": [x.metadata for _, x, _ in changed], "updated_at": [now] * len(changed),
                }, serializers=_SERIALIZERS)
            if must_count:
                held = label_counts(s, model.id, shape, n_samples=total + added)
                if max_labels is not None and len(held) > max_labels:
                    raise LimitExceeded(f"model {handle!r} would hold {len(held)} different labels; "
                                        f"the limit is {max_labels}")
                model.labels_seen = sorted(held)
            if new or changed:
                model.sample_count = total + added
                mark_samples_changed(s, model)
            # A text that is now labeled is no longer a candidate for labeling (issue 12).
            leave_pool(s, model.id, (h for _old, _x, h in final.values()))
            return SampleCounts(added=added, updated=updated, unchanged=unchanged, sample_count=total + added)

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
            model.sample_count -= result.rowcount  # type: ignore[attr-defined]
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

    def drawn_training_set(self, model_id: int, rows: int, per_label_min: int, *, n_samples: int | None = None,
                           totals: dict[str, int] | None = None) -> list[TrainingSample]:
        """A stable sub-sample of the training set, in :meth:`snapshot` order: the ``rows``
        samples whose ``text_key`` ranks first (ties by insertion), plus each label's first
        ``per_label_min`` in that order when the ``rows`` hold fewer (all of a rarer label's).

        The engine's :func:`~u22a8.engine.sizing.subsample` picks the same rows from the whole
        set; here the database walks its (model, text key) index and only the rows drawn are
        read, which a search on a million samples needs to end within a low ceiling. ``n_samples``
        and ``totals`` (samples per label): what :meth:`summary` said, if the caller has it.
        """
        cols = (SampleRow.pk, SampleRow.text_key, SampleRow.sample_id, SampleRow.text, SampleRow.target,
                SampleRow.weight)
        in_order = (SampleRow.text_key, SampleRow.pk)
        with self._db.session(write=False) as s:
            first = select(*cols).where(SampleRow.model_id == model_id).order_by(*in_order).limit(max(rows, 0))
            drawn = {r[0]: r for r in s.execute(first)}
            shape = stored_shape(s, model_id)
            if shape in ("label", "labels"):
                have = Counter(lab for r in drawn.values() for lab in _target_labels(r[4]))
                if n_samples is None:
                    n_samples = _stored_count(s, model_id)
                if totals is None:
                    totals = label_counts(s, model_id, shape, n_samples=n_samples)
                short = [lab for lab, n in totals.items() if have[lab] < min(n, per_label_min)]
                extra: list[Any] = []
                for i in range(0, len(short), _CHUNK):  # rare labels' rows only: few
                    extra.extend(s.execute(select(*cols).where(of_model(model_id, n_samples),
                                                               carries_any_label(s, shape, short[i:i + _CHUNK]))))
                taken = Counter(have)
                wanted = set(short)
                for r in sorted(extra, key=lambda r: (r[1], r[0])):
                    labels = [lab for lab in _target_labels(r[4]) if lab in wanted]
                    if r[0] in drawn or not labels:
                        continue
                    if any(taken[lab] < per_label_min for lab in labels):
                        drawn[r[0]] = r
                        taken.update(labels)
            return [TrainingSample(id=r[2], text=r[3], target=r[4], weight=r[5])
                    for _, r in sorted(drawn.items())]

    def count(self, model_id: int) -> int:
        with self._db.session(write=False) as s:
            return _stored_count(s, model_id)

    def stats(self, model_id: int, shape: TargetShape | None = None) -> SampleStats:
        """Counts that decide whether a model can be trained, aggregated by the database.

        Train requests are answered in the API process: loading the whole training set there
        just to count labels would cost a large model seconds and its texts' worth of memory.
        ``shape``: how the model's targets are stored (read off a sample when not given).
        """
        with self._db.session(write=False) as s:
            shape = shape or stored_shape(s, model_id)
            n = _stored_count(s, model_id)
            scores = 0
            if shape == "score":
                score = SampleRow.target["score"].as_float()
                scores = s.scalar(select(func.count(distinct(score))).where(of_model(model_id, n))) or 0
            return SampleStats(n_samples=int(n), label_counts=label_counts(s, model_id, shape, n_samples=n),
                               distinct_scores=int(scores))

    def summary(self, model_id: int, shape: TargetShape | None = None) -> dict[str, Any]:
        """Counts an effort estimate (and a run's draw) needs, without loading every text: how many
        samples, their mean length (over the first :data:`_LENGTH_SPREAD` in text-key order, a
        stable spread that costs no pass over the texts) and the samples per label."""
        with self._db.session(write=False) as s:
            n = _stored_count(s, model_id)
            spread = (select(SampleRow.text).where(SampleRow.model_id == model_id)
                      .order_by(SampleRow.text_key).limit(_LENGTH_SPREAD).subquery())
            chars = s.scalar(select(func.coalesce(func.avg(func.length(spread.c.text)), 0.0))) or 0.0
            counts = label_counts(s, model_id, shape, n_samples=n)
            return {"n_samples": n, "mean_chars": float(chars), "n_labels": len(counts), "label_counts": counts}


def _stored_count(s: Session, model_id: int) -> int:
    """How many samples the model holds: the count kept on its row (``ModelRow.sample_count``)."""
    return int(s.scalar(select(ModelRow.sample_count).where(ModelRow.id == model_id)) or 0)


def _target_labels(target: dict[str, Any]) -> list[str]:
    """The labels a stored target carries (none for a score), each once."""
    if "label" in target:
        return [str(target["label"])]
    return [str(x) for x in dict.fromkeys(target.get("labels") or [])]


def _may_add_labels(closed: list[Any] | None, samples: list[NewSample], max_labels: int) -> bool:
    """Whether the batch could take the model past ``max_labels`` (a closed set within it cannot)."""
    if closed is not None and len(closed) <= max_labels:
        return False
    return any("label" in x.target or "labels" in x.target for x in samples)


def _batch_labels(samples: list[NewSample]) -> tuple[set[str], TargetShape]:
    """The labels a batch carries, and the shape of its targets."""
    found: set[str] = set()
    shape: TargetShape = "label"
    for x in samples:
        if "label" in x.target:
            found.add(x.target["label"])
        elif "labels" in x.target:
            shape = "labels"
            found.update(x.target["labels"] or ())
    return found, shape


def _grow_labels_seen(model: ModelRow, brought: set[str], samples: list[NewSample],
                      max_labels: int | None) -> bool:
    """Add the batch's labels to ``model.labels_seen``; True when the labels must be counted.

    ``labels_seen`` holds a superset of the labels the model's samples carry (see ModelRow). After
    the batch the samples carry at most its labels and the batch's, so while that union stays
    within the limit no count is needed. Only when it would pass the limit (labels deleted since
    they were seen, or truly too many) are the stored labels counted, and the count then makes
    the set exact again.
    """
    seen = model.labels_seen
    if seen is None and model.sample_count == 0:
        seen = []
    if not brought:
        return False
    if seen is not None:
        grown = set(seen) | brought
        if len(grown) == len(seen):
            return False
        if max_labels is not None and len(grown) <= max_labels:
            model.labels_seen = sorted(grown)
            return False
    if max_labels is None or not _may_add_labels(model.labels, samples, max_labels):
        # Not counted now, so no longer known; an upload that needs it counts it.
        model.labels_seen = None
        return False
    return True


def _dump_target(target: dict[str, Any]) -> str:
    return orjson.dumps(target).decode()


# Targets are small dicts of strings and numbers the service checked: orjson writes them.
_SERIALIZERS = {"target": _dump_target}


@dataclass(frozen=True)
class _Stored:
    """The columns of a stored sample an upload compares against."""

    pk: int
    text: str
    target: Any
    weight: float
    meta: Any

    def same_as(self, sample: NewSample) -> bool:
        return (self.text, self.target, self.weight, self.meta) == (
            sample.text, sample.target, sample.weight, sample.metadata)


def _existing(s: Session, model_id: int, samples: list[NewSample],
              hashes: list[str]) -> tuple[dict[str, _Stored], dict[str, _Stored]]:
    """Stored samples matching the batch by client id, and by text hash (the oldest per hash)."""
    ids = list({x.id for x in samples if x.id is not None})
    wanted = list({h for x, h in zip(samples, hashes) if x.id is None})
    cols = (SampleRow.pk, SampleRow.text, SampleRow.target, SampleRow.weight, SampleRow.meta)
    keys = KeyList(s)
    by_id: dict[str, _Stored] = {}
    by_hash: dict[str, _Stored] = {}
    if ids:
        q = keys.matching(select(SampleRow.sample_id, *cols).where(SampleRow.model_id == model_id), SampleRow.sample_id)
        by_id.update((sid, _Stored(*rest)) for sid, *rest in s.execute(q, {keys.name: keys.value(ids)}))
    if wanted:
        int_keys = KeyList(s, of=BigInteger)
        q = int_keys.matching(select(SampleRow.text_hash, *cols).where(SampleRow.model_id == model_id),
                              SampleRow.text_key, order_by="pk")
        # Keyed by the stored row's whole hash: a text that only shares the 64-bit key is never asked for.
        for h, *rest in s.execute(q, {int_keys.name: int_keys.value([text_key(h) for h in wanted])}):
            by_hash.setdefault(h, _Stored(*rest))
    return by_id, by_hash
