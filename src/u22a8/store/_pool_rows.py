"""The one rule samples and the pool share: a text that becomes a sample leaves the pool.

Kept apart from both repositories so each can apply it in its own transaction without
importing the other.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete
from sqlalchemy.orm import Session

from .tables import PoolTextRow

__all__ = ["leave_pool"]

_CHUNK = 500


def leave_pool(s: Session, model_id: int, text_hashes: Iterable[str]) -> int:
    """Delete the model's pool texts with these hashes, in the caller's transaction; how many went."""
    hashes = sorted(set(text_hashes))
    gone = 0
    for i in range(0, len(hashes), _CHUNK):
        result = s.execute(delete(PoolTextRow).where(PoolTextRow.model_id == model_id,
                                                     PoolTextRow.text_hash.in_(hashes[i:i + _CHUNK])))
        gone += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return gone
