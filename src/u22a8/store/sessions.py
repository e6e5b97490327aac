"""Console sessions: a random id in the browser's cookie, only its SHA-256 in the database.

A session belongs to one API key and acts with that key's scopes. It ends at its expiry, at
sign-out, and when its key is revoked (``KeyRepository.revoke`` deletes its sessions in the same
transaction; a lookup also refuses a revoked key, whatever path revoked it).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select

from ..resources import ApiKey
from ._convert import key_record
from .database import Database, utcnow
from .tables import ApiKeyRow, ConsoleSessionRow

__all__ = ["SessionRepository"]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def start(self, key_id: str, seconds: float) -> str:
        """A new session for the key; returns the id for the cookie (shown nowhere else)."""
        token = secrets.token_urlsafe(32)
        now = utcnow()
        with self._db.session() as s:
            # Sign-ins are rare: a good moment to forget sessions that ran out.
            s.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.expires_at <= now))
            s.add(ConsoleSessionRow(id_hash=_hash(token), key_id=key_id, created_at=now,
                                    expires_at=now + timedelta(seconds=seconds)))
        return token

    def key_for(self, token: str) -> ApiKey | None:
        """The live key of a live session, or None (unknown, expired, ended, or its key revoked)."""
        with self._db.session(write=False) as s:
            q = (select(ApiKeyRow).join(ConsoleSessionRow, ConsoleSessionRow.key_id == ApiKeyRow.id)
                 .where(ConsoleSessionRow.id_hash == _hash(token), ConsoleSessionRow.expires_at > utcnow(),
                        ApiKeyRow.revoked_at.is_(None)))
            row = s.scalar(q)
            return key_record(row) if row is not None else None

    def end(self, token: str) -> None:
        with self._db.session() as s:
            s.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.id_hash == _hash(token)))
