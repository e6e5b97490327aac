"""Deliver webhook messages: claim what is due, check the address, sign, send, record.

Used by the embedded sender threads (``webhooks.py``) and by the Celery task at scale
(``celery_app.py``), so both run one code path. A message is retried on the settings' schedule
(``U22A8_WEBHOOKS_RETRY_SCHEDULE``), each delay spread by jitter so that a receiver coming back
is not hit by every message at once, and fails after the last.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from datetime import timedelta

from ..settings import Settings
from ..store import AttemptOutcome, ClaimedDelivery, Store, WebhookDelivery, utcnow
from ..webhooks import signed_headers
from .webhook_guard import Resolver, UnsafeUrl, resolve_target, system_resolver
from .webhook_sender import send_attempt

__all__ = ["WebhookDeliverer", "retry_delay"]

log = logging.getLogger("u22a8.webhooks")

# Each delay is multiplied by a factor drawn from this range.
_JITTER = (0.8, 1.2)


def retry_delay(schedule: tuple[float, ...], attempts_made: int, rng: Callable[[float, float], float]) -> float | None:
    """Seconds before the next attempt after ``attempts_made`` attempts; None once the schedule is spent."""
    if attempts_made > len(schedule):
        return None
    return schedule[attempts_made - 1] * rng(*_JITTER)


class WebhookDeliverer:
    """Sends due messages. Stateless between calls: any process may run one."""

    def __init__(self, store: Store, settings: Settings, *, resolver: Resolver = system_resolver) -> None:
        self.store = store
        self.settings = settings
        self._resolver = resolver
        self._rng = random.Random().uniform

    def claim(self, limit: int) -> list[ClaimedDelivery]:
        return self.store.webhooks.claim_due(self.settings.webhooks_lease_seconds, limit)

    def deliver(self, claimed: ClaimedDelivery) -> WebhookDelivery | None:
        """One attempt at one claimed message, recorded; returns the message as it now stands."""
        outcome = self.attempt(claimed)
        retry_in = None if outcome.ok else retry_delay(self.settings.webhook_retry_delays,
                                                       claimed.delivery.attempts + 1, self._rng)
        after = self.store.webhooks.record_attempt(
            claimed, outcome, retry_in=retry_in,
            disable_after=timedelta(seconds=self.settings.webhooks_disable_after_seconds))
        if not outcome.ok:
            log.info("webhook %s to %s: attempt %d failed: %s", claimed.delivery.message_id, claimed.endpoint.id,
                     claimed.delivery.attempts + 1, outcome.error)
        return after

    def deliver_due(self, limit: int = 50) -> int:
        """Claim and send up to ``limit`` due messages one after another; how many were sent."""
        claimed = self.claim(limit)
        for one in claimed:
            self.deliver(one)
        return len(claimed)

    def attempt(self, claimed: ClaimedDelivery) -> AttemptOutcome:
        s = self.settings
        try:
            target = resolve_target(claimed.endpoint.url, allow_private=s.webhooks_allow_private,
                                    resolver=self._resolver)
        except UnsafeUrl as exc:
            return AttemptOutcome(False, None, 0.0, f"refused: {exc}")
        now = utcnow()
        body = json.dumps(claimed.delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
        headers = signed_headers(claimed.endpoint.signing_secrets(now), claimed.delivery.message_id, now, body)
        return send_attempt(target, headers, body, connect_timeout=s.webhooks_connect_timeout_seconds,
                            total_timeout=s.webhooks_timeout_seconds,
                            max_response_bytes=s.webhooks_max_response_bytes)
