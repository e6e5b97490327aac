"""Idempotency-Key replays: the first answer to a key is stored and replayed for a day.

A key is reserved (status 0) while its first request is being answered, so a retry that
arrives meanwhile is told so instead of running the request a second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.exc import IntegrityError

from .database import Database, utcnow
from .tables import IdempotencyRow

__all__ = ["IdempotencyRepository", "StoredResponse"]

_STALE_RESERVATION = timedelta(minutes=5)


@dataclass(frozen=True)
class StoredResponse:
    request_hash: str
    status: int  # 0: the first request is still in flight
    body: str
    content_type: str = "application/json"

    @property
    def in_flight(self) -> bool:
        return self.status == 0


class IdempotencyRepository:
    def __init__(self, db: Database, ttl_seconds: int) -> None:
        self._db = db
        self._ttl = timedelta(seconds=ttl_seconds)

    def reserve(self, key: str, request_hash: str, key_id: str | None = None) -> StoredResponse | None:
        """Claim ``key`` for a new request (None), or return what is stored under it."""
        try:
            with self._db.session() as s:
                now = utcnow()
                s.execute(delete(IdempotencyRow).where(IdempotencyRow.created_at < now - self._ttl))
                # A reservation left by a process that died mid-request must not block retries for a day.
                s.execute(delete(IdempotencyRow).where(IdempotencyRow.status == 0,
                                                       IdempotencyRow.created_at < now - _STALE_RESERVATION))
                s.add(IdempotencyRow(key=key, request_hash=request_hash, status=0, body="", created_at=utcnow(),
                                     key_id=key_id))
            return None
        except IntegrityError:
            got = self.get(key)
            return got if got is not None else self.reserve(key, request_hash, key_id)

    def get(self, key: str) -> StoredResponse | None:
        with self._db.session(write=False) as s:
            row = s.get(IdempotencyRow, key)
            if row is None or row.created_at < utcnow() - self._ttl:
                return None
            return StoredResponse(row.request_hash, row.status, row.body, row.content_type)

    def complete(self, key: str, status: int, body: str, content_type: str) -> None:
        with self._db.session() as s:
            s.execute(update(IdempotencyRow).where(IdempotencyRow.key == key)
                      .values(status=status, body=body, content_type=content_type))

    def forget_model(self, handle: str) -> int:
        """Delete the stored answers about a model (it was deleted): those to requests on its
        paths, and the answer that created it. Returns how many were deleted."""
        about = or_(
            IdempotencyRow.key.contains(f"/models/{handle}/", autoescape=True),
            IdempotencyRow.key.contains(f"/models/{handle}:", autoescape=True),
            IdempotencyRow.body.contains(f'"handle":"{handle}"', autoescape=True),
            IdempotencyRow.body.contains(f'"handle": "{handle}"', autoescape=True),
        )
        with self._db.session() as s:
            return int(s.execute(delete(IdempotencyRow).where(about)).rowcount)  # type: ignore[attr-defined]

    def release(self, key: str) -> None:
        """Forget a reservation whose request did not settle (5xx, 429): a retry runs it again."""
        with self._db.session() as s:
            s.execute(delete(IdempotencyRow).where(IdempotencyRow.key == key, IdempotencyRow.status == 0))

    def forget_key(self, key_id: str) -> None:
        """A key was revoked: nothing it was answered is replayed again."""
        with self._db.session() as s:
            s.execute(delete(IdempotencyRow).where(IdempotencyRow.key_id == key_id))
