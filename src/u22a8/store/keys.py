"""API keys: stored as a SHA-256 of the secret, the secret shown once at creation."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import delete, select

from ..errors import NotFound
from ._convert import key_record
from .database import Database, utcnow
from ..resources import ApiKey
from .tables import ApiKeyRow, ConsoleSessionRow

__all__ = ["KeyRepository", "SCOPES"]

SCOPES = ("read", "write", "train", "admin")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class KeyRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, owner: str, scopes: list[str], name: str = "", *,
               rate_limits: str | None = None) -> tuple[ApiKey, str]:
        secret = "u22a8_" + secrets.token_urlsafe(32)
        row = ApiKeyRow(
            id="key_" + secrets.token_hex(8),
            owner=owner,
            name=name,
            scopes=",".join(s for s in SCOPES if s in scopes),
            secret_hash=_hash(secret),
            prefix=secret[:12],
            created_at=utcnow(),
            rate_limits=rate_limits,
        )
        with self._db.session() as s:
            s.add(row)
            s.flush()
            return key_record(row), secret

    def authenticate(self, secret: str) -> ApiKey | None:
        with self._db.session(write=False) as s:
            row = s.scalar(select(ApiKeyRow).where(ApiKeyRow.secret_hash == _hash(secret)))
            if row is None or row.revoked_at is not None:
                return None
            return key_record(row)

    def list(self, owner: str | None) -> list[ApiKey]:
        with self._db.session(write=False) as s:
            q = select(ApiKeyRow).order_by(ApiKeyRow.created_at)
            if owner is not None:
                q = q.where(ApiKeyRow.owner == owner)
            return [key_record(r) for r in s.scalars(q)]

    def revoke(self, key_id: str, owner: str | None) -> ApiKey:
        with self._db.session() as s:
            row = s.get(ApiKeyRow, key_id)
            if row is None or (owner is not None and row.owner != owner):
                raise NotFound(f"no key {key_id!r}")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
            # A revoked key's console sessions end with it, in the same transaction.
            s.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.key_id == key_id))
            return key_record(row)
