"""The pool: unlabeled texts beside a model. All-or-nothing adds, deduplicated by text and by id.

A text already labeled (a sample of the model) is not added; a text that becomes a sample later
leaves the pool in the sample's own transaction (:mod:`._pool_rows`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, delete, func, select
from sqlalchemy.orm import Session

from ..errors import LimitExceeded, NotFound
from ..resources import PoolCounts, PoolText, record_from
from ._batch import KeyList
from .database import Database, utcnow
from .models import model_row
from .samples import text_hash, text_key
from .tables import PoolTextRow, SampleRow

__all__ = ["PoolRepository", "NewPoolText", "PoolRows", "PoolState"]

_CHUNK = 500


@dataclass(frozen=True)
class NewPoolText:
    """A validated pool text. ``id`` None means: named by its text's hash."""

    text: str
    id: str | None = None


@dataclass(frozen=True)
class PoolState:
    """A fingerprint of a model's pool that changes whenever a text comes or goes.

    Row keys are never reused and a changed text gets a new row, so (count, largest key, sum
    of keys) moves on every add, change or removal: cheap to read on every suggestions call.
    """

    count: int
    max_pk: int
    sum_pk: int


@dataclass(frozen=True)
class PoolRows:
    """Every pool text of a model, as the suggestions need them (row key, id, text)."""

    pks: list[int]
    ids: list[str]
    texts: list[str]


class PoolRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, handle: str, texts: list[NewPoolText], *, max_per_model: int) -> tuple[PoolCounts, int]:
        """Store every text or none; the counts, and how many texts the pool holds after."""
        with self._db.session() as s:
            model = model_row(s, handle, lock=True)
            hashes = [text_hash(t.text) for t in texts]
            labeled = _labeled_hashes(s, model.id, hashes)
            by_id, by_hash = _existing(s, model.id, texts, hashes)
            now = utcnow()
            added = updated = unchanged = skipped = 0
            seen_ids: set[str] = set()
            seen_hashes: set[str] = set()
            for item, h in zip(texts, hashes):
                if h in labeled:
                    skipped += 1
                    continue
                pool_id = item.id if item.id is not None else "p_" + h[:20]
                if h in seen_hashes or pool_id in seen_ids:
                    unchanged += 1  # repeated within the upload: the first one counts
                    continue
                seen_ids.add(pool_id)
                seen_hashes.add(h)
                old = by_id.get(pool_id) or (by_hash.get(h) if item.id is None else None)
                if old is not None and old.text_hash == h:
                    unchanged += 1
                    continue
                if h in by_hash and by_hash[h] is not old:
                    # The text is in the pool under another id: one text, one pool row.
                    unchanged += 1
                    continue
                if old is not None:
                    # Same id, new text: a new row, so a cached score of the old text is never reused.
                    s.delete(old)
                    s.flush()
                    updated += 1
                else:
                    added += 1
                s.add(PoolTextRow(model_id=model.id, pool_id=pool_id, text=item.text, text_hash=h, created_at=now))
            s.flush()
            total = int(s.scalar(select(func.count()).select_from(PoolTextRow).where(PoolTextRow.model_id == model.id)) or 0)
            if total > max_per_model:
                raise LimitExceeded(f"the pool of {handle!r} would hold {total} texts; the limit is {max_per_model}")
            counts = PoolCounts(added=added, updated=updated, unchanged=unchanged, labeled=skipped)
            return counts, total

    def list(self, handle: str, *, after: int | None = None, limit: int = 100) -> tuple[list[PoolText], int | None]:
        """A page of pool texts in insertion order, and the cursor of the next page (None at the end)."""
        with self._db.session(write=False) as s:
            model = model_row(s, handle)
            q = select(PoolTextRow).where(PoolTextRow.model_id == model.id).order_by(PoolTextRow.pk)
            if after is not None:
                q = q.where(PoolTextRow.pk > after)
            rows = list(s.scalars(q.limit(limit + 1)))
            more = len(rows) > limit
            rows = rows[:limit]
            return [record_from(PoolText, r) for r in rows], (rows[-1].pk if more and rows else None)

    def get(self, handle: str, pool_id: str) -> PoolText:
        with self._db.session(write=False) as s:
            model = model_row(s, handle)
            row = s.scalar(select(PoolTextRow).where(PoolTextRow.model_id == model.id, PoolTextRow.pool_id == pool_id))
            if row is None:
                raise NotFound(f"no pool text {pool_id[:200]!r} in {handle!r} (labeled already, or deleted)")
            return record_from(PoolText, row)

    def delete(self, handle: str, pool_id: str) -> None:
        with self._db.session() as s:
            model = model_row(s, handle, lock=True)
            result = s.execute(delete(PoolTextRow).where(PoolTextRow.model_id == model.id,
                                                         PoolTextRow.pool_id == pool_id))
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise NotFound(f"no pool text {pool_id[:200]!r} in {handle!r}")

    def clear(self, handle: str) -> int:
        """Empty the model's pool; how many texts went."""
        with self._db.session() as s:
            model = model_row(s, handle, lock=True)
            result = s.execute(delete(PoolTextRow).where(PoolTextRow.model_id == model.id))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def state(self, model_id: int) -> PoolState:
        with self._db.session(write=False) as s:
            n, top, total = s.execute(
                select(func.count(), func.coalesce(func.max(PoolTextRow.pk), 0), func.coalesce(func.sum(PoolTextRow.pk), 0))
                .where(PoolTextRow.model_id == model_id)
            ).one()
            return PoolState(int(n), int(top), int(total))

    def rows(self, model_id: int) -> tuple[PoolRows, PoolState]:
        """Every pool text of the model and the state they are in, read in one transaction."""
        with self._db.session(write=False) as s:
            q = (select(PoolTextRow.pk, PoolTextRow.pool_id, PoolTextRow.text)
                 .where(PoolTextRow.model_id == model_id).order_by(PoolTextRow.pk))
            got = s.execute(q).all()
            pks = [int(r[0]) for r in got]
            rows = PoolRows(pks=pks, ids=[r[1] for r in got], texts=[r[2] for r in got])
            return rows, PoolState(len(pks), max(pks, default=0), sum(pks))

    def keys(self, model_id: int) -> tuple[list[int], PoolState]:
        """The row keys of the model's pool texts, ascending, and their state: what changed since a
        scoring is told by these alone, so a labeled text does not cost reading every text again."""
        with self._db.session(write=False) as s:
            q = select(PoolTextRow.pk).where(PoolTextRow.model_id == model_id).order_by(PoolTextRow.pk)
            # Straight from the driver: no ORM loading for what may be a million integers.
            pks = [row[0] for row in s.connection().execute(q).fetchall()]
            return pks, PoolState(len(pks), max(pks, default=0), sum(pks))

    def rows_by_key(self, model_id: int, pks: list[int]) -> PoolRows:
        """The pool texts with these row keys (those still there), ascending."""
        found: list[tuple[int, str, str]] = []
        with self._db.session(write=False) as s:
            for i in range(0, len(pks), _CHUNK):
                q = (select(PoolTextRow.pk, PoolTextRow.pool_id, PoolTextRow.text)
                     .where(PoolTextRow.model_id == model_id, PoolTextRow.pk.in_(pks[i:i + _CHUNK])))
                found.extend((int(a), b, c) for a, b, c in s.execute(q))
        found.sort()
        return PoolRows(pks=[r[0] for r in found], ids=[r[1] for r in found], texts=[r[2] for r in found])

    def labeled_among(self, model_id: int, texts: list[str]) -> set[str]:
        """Which of ``texts`` are samples of the model (a last check before suggesting them)."""
        with self._db.session(write=False) as s:
            by_hash = {text_hash(t): t for t in texts}
            return {by_hash[h] for h in _labeled_hashes(s, model_id, list(by_hash))}


def _labeled_hashes(s: Session, model_id: int, hashes: list[str]) -> set[str]:
    sought = set(hashes)
    keys = KeyList(s, of=BigInteger)
    q = keys.matching(select(SampleRow.text_hash).where(SampleRow.model_id == model_id), SampleRow.text_key)
    # Found by the indexed key; the whole hash decides (another text may share the key).
    return {h for h in s.scalars(q, {keys.name: keys.value(sorted({text_key(h) for h in sought}))}) if h in sought}


def _existing(s: Session, model_id: int, texts: list[NewPoolText],
              hashes: list[str]) -> tuple[dict[str, PoolTextRow], dict[str, PoolTextRow]]:
    ids = sorted({t.id for t in texts if t.id is not None} | {"p_" + h[:20] for t, h in zip(texts, hashes) if t.id is None})
    unique = sorted(set(hashes))
    by_id: dict[str, PoolTextRow] = {}
    by_hash: dict[str, PoolTextRow] = {}
    for i in range(0, len(ids), _CHUNK):
        q = select(PoolTextRow).where(PoolTextRow.model_id == model_id, PoolTextRow.pool_id.in_(ids[i:i + _CHUNK]))
        by_id.update((r.pool_id, r) for r in s.scalars(q))
    for i in range(0, len(unique), _CHUNK):
        q = select(PoolTextRow).where(PoolTextRow.model_id == model_id, PoolTextRow.text_hash.in_(unique[i:i + _CHUNK]))
        by_hash.update((r.text_hash, r) for r in s.scalars(q))
    return by_id, by_hash
