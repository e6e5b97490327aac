"""API keys: who may do what. The secret is never on the record, only its hash in the table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .fields import shown

__all__ = ["ApiKey"]


@dataclass(frozen=True)
class ApiKey:
    id: str = shown()
    owner: str = shown()
    name: str = shown()
    scopes: frozenset[str] = shown()
    prefix: str = shown()
    created_at: datetime = shown()
    revoked_at: datetime | None = shown()
    # This key's own request limits per class ("predict=100/minute;writes=10/minute"), not shown.
    rate_limits: str | None = field(default=None)
