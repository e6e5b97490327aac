"""When to try a request again, and how long to wait first.

Shared by the sync and async clients: they differ only in how they sleep.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone

__all__ = ["Retry", "new_idempotency_key"]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def new_idempotency_key() -> str:
    return f"u22a8-{uuid.uuid4().hex}"


@dataclass(frozen=True)
class Retry:
    """``attempts`` tries in all (1 disables retrying); waits grow as ``backoff * 2**n`` up to ``max_wait``.

    Retried: connection errors and timeouts, 429, 500, 502, 503, 504. Every method may be
    retried because every POST carries an Idempotency-Key, which makes the server answer a
    repeat with the stored outcome instead of acting twice.
    """

    attempts: int = 4
    backoff: float = 0.25
    max_wait: float = 8.0
    # A server's Retry-After is obeyed, but never for longer than this.
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")

    def should_retry_status(self, status: int) -> bool:
        return status in RETRY_STATUSES

    def can_retry(self, attempt: int) -> bool:
        """``attempt`` counts from 0 for the first try."""
        return attempt + 1 < self.attempts

    def wait(self, attempt: int, retry_after: str | None = None) -> float:
        told = _parse_retry_after(retry_after)
        if told is not None:
            return min(told, self.max_retry_after)
        base = min(self.backoff * (2**attempt), self.max_wait)
        # Full jitter keeps many clients from retrying in lockstep after an outage.
        return random.uniform(base / 2, base)


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
