"""The one rule samples and the pool share: a text that becomes a sample leaves the pool.

Kept apart from both repositories so each can apply it in its own transaction without
importing the other.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ._batch import KeyList
from .tables import PoolTextRow

__all__ = ["leave_pool"]


def leave_pool(s: Session, model_id: int, text_hashes: Iterable[str]) -> int:
    """Delete the model's pool texts with these hashes, in the caller's transaction; how many went.

    Most models have no pool: one look at its index then spares the delete's lookup of every hash.
    Sample and pool uploads both hold the model's row lock, so no pool text arrives in between."""
    if s.scalar(select(PoolTextRow.pk).where(PoolTextRow.model_id == model_id).limit(1)) is None:
        return 0
    hashes = sorted(set(text_hashes))
    if not hashes:
        return 0
    keys, table = KeyList(s), PoolTextRow.__table__
    result = s.execute(delete(table).where(table.c.model_id == model_id, keys.contains(table.c.text_hash)),
                       {keys.name: keys.value(hashes)})
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
