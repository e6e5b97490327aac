"""Idempotency-Key replays: the first response to a key is stored and replayed for a day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from .database import Database, utcnow
from .tables import IdempotencyRow

__all__ = ["IdempotencyRepository", "StoredResponse"]


@dataclass(frozen=True)
class StoredResponse:
    request_hash: str
    status: int
    body: str


class IdempotencyRepository:
    def __init__(self, db: Database, ttl_seconds: int) -> None:
        self._db = db
        self._ttl = timedelta(seconds=ttl_seconds)

    def get(self, key: str) -> StoredResponse | None:
        with self._db.session(write=False) as s:
            row = s.get(IdempotencyRow, key)
            if row is None or row.created_at < utcnow() - self._ttl:
                return None
            return StoredResponse(row.request_hash, row.status, row.body)

    def put(self, key: str, request_hash: str, status: int, body: str) -> None:
        try:
            with self._db.session() as s:
                s.execute(delete(IdempotencyRow).where(IdempotencyRow.created_at < utcnow() - self._ttl))
                s.merge(IdempotencyRow(key=key, request_hash=request_hash, status=status, body=body, created_at=utcnow()))
        except IntegrityError:
            pass  # a concurrent first request stored its answer; both answers describe the same effect
