"""Deliver webhook messages: claim what is due, check the address, sign, send, record.

Used by the embedded sender process (``webhook_process.py``) and by the Celery task at scale
(``celery_app.py``), so both run one code path. A message is retried on the settings' schedule
(``U22A8_WEBHOOKS_RETRY_SCHEDULE``), each delay spread by jitter so that a receiver coming back
is not hit by every message at once, and fails after the last.

Attempts are coroutines (``webhook_sender.py``); the database calls around them are short and
synchronous. Attempts that finish together are recorded in one transaction.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import random
from collections.abc import Callable, Iterable
from datetime import timedelta
from urllib.parse import urlsplit

from ..settings import Settings
from ..store import AttemptOutcome, ClaimedDelivery, Store, WebhookDelivery, utcnow
from ..webhooks import signed_headers
from .webhook_guard import Resolver, Target, UnsafeUrl, resolve_target, system_resolver
from .webhook_sender import Client, new_client, send_attempt

__all__ = ["WebhookDeliverer", "retry_delay"]

log = logging.getLogger("u22a8.webhooks")

# Each delay is multiplied by a factor drawn from this range.
_JITTER = (0.8, 1.2)


def retry_delay(schedule: tuple[float, ...], attempts_made: int, rng: Callable[[float, float], float]) -> float | None:
    """Seconds before the next attempt after ``attempts_made`` attempts; None once the schedule is spent."""
    if attempts_made > len(schedule):
        return None
    return schedule[attempts_made - 1] * rng(*_JITTER)


def _names_a_host(url: str) -> bool:
    """Whether checking ``url`` asks DNS (a name), or only reads an address written in it."""
    try:
        ipaddress.ip_address(urlsplit(url).hostname or "")
    except ValueError:
        return True
    return False


class WebhookDeliverer:
    """Sends due messages. Stateless between calls: any process may run one."""

    def __init__(self, store: Store, settings: Settings, *, resolver: Resolver = system_resolver) -> None:
        self.store = store
        self.settings = settings
        self._resolver = resolver
        self._rng = random.Random().uniform

    @property
    def slots(self) -> int:
        """Attempts one process makes at once (``U22A8_WEBHOOKS_SENDERS``, at least one)."""
        return max(1, self.settings.webhooks_senders)

    def claim(self, limit: int) -> list[ClaimedDelivery]:
        return self.store.webhooks.claim_due(self.settings.webhooks_lease_seconds, limit)

    def record(self, results: Iterable[tuple[ClaimedDelivery, AttemptOutcome]]) -> list[WebhookDelivery | None]:
        """Write the outcomes of finished attempts, in one transaction; each message as it now stands."""
        rows = []
        for claimed, outcome in results:
            retry_in = None if outcome.ok else retry_delay(self.settings.webhook_retry_delays,
                                                           claimed.delivery.attempts + 1, self._rng)
            if not outcome.ok:
                log.info("webhook %s to %s: attempt %d failed: %s", claimed.delivery.message_id,
                         claimed.endpoint.id, claimed.delivery.attempts + 1, outcome.error)
            rows.append((claimed, outcome, retry_in))
        if not rows:
            return []
        return self.store.webhooks.record_attempts(
            rows, disable_after=timedelta(seconds=self.settings.webhooks_disable_after_seconds))

    def deliver(self, claimed: ClaimedDelivery) -> WebhookDelivery | None:
        """One attempt at one claimed message, recorded; returns the message as it now stands."""
        return asyncio.run(self.deliver_all([claimed]))[0]

    def deliver_due(self, limit: int = 50) -> int:
        """Claim up to ``limit`` due messages and send them, ``slots`` at a time; how many were sent."""
        claimed = self.claim(limit)
        if claimed:
            asyncio.run(self.deliver_all(claimed))
        return len(claimed)

    async def deliver_all(self, claimed: list[ClaimedDelivery]) -> list[WebhookDelivery | None]:
        """Send every claimed message (``slots`` at once), recording each as it finishes."""
        gate = asyncio.Semaphore(self.slots)
        after: dict[int, WebhookDelivery | None] = {}

        async def one(c: ClaimedDelivery, client: Client) -> tuple[ClaimedDelivery, AttemptOutcome]:
            async with gate:
                return c, await self.attempt(c, client)

        async with new_client() as client:
            pending = {asyncio.ensure_future(one(c, client)) for c in claimed}
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                finished = [t.result() for t in done]
                for (c, _), now in zip(finished, self.record(finished)):
                    after[c.delivery.id] = now
        return [after.get(c.delivery.id) for c in claimed]

    async def attempt(self, claimed: ClaimedDelivery, client: Client) -> AttemptOutcome:
        """Check the address again (DNS can change), sign, send once."""
        s = self.settings
        try:
            target = await self._target(claimed.endpoint.url)
        except UnsafeUrl as exc:
            return AttemptOutcome(False, None, 0.0, f"refused: {exc}")
        now = utcnow()
        body = json.dumps(claimed.delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
        headers = signed_headers(claimed.endpoint.signing_secrets(now), claimed.delivery.message_id, now, body)
        return await send_attempt(client, target, headers, body, connect_timeout=s.webhooks_connect_timeout_seconds,
                                  total_timeout=s.webhooks_timeout_seconds,
                                  max_response_bytes=s.webhooks_max_response_bytes)

    async def _target(self, url: str) -> Target:
        allow = self.settings.webhooks_allow_private
        if _names_a_host(url):
            # getaddrinfo blocks: in a thread, so the other attempts keep going meanwhile.
            return await asyncio.to_thread(resolve_target, url, allow_private=allow, resolver=self._resolver)
        return resolve_target(url, allow_private=allow, resolver=self._resolver)
