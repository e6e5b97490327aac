"""Webhook endpoints and their deliveries.

Deliveries are written in the transaction of the event they carry (:meth:`WebhookRepository.
write_deliveries`, hooked into the outbox's insert), so a state change that commits has its
messages and one that rolls back has none, whatever happens to the process afterwards. Senders
claim due messages by moving ``next_attempt_at`` a lease ahead (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, the write lock on SQLite), so two senders never take one message at once, and a
sender that dies leaves its messages due again when the lease lapses.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..errors import NotFound
from ..events import Event
from ..resources import WebhookDelivery, WebhookEndpoint, record_from
from .database import Database, utcnow
from .events import EventRepository
from .tables import WebhookDeliveryRow, WebhookEndpointRow
from .webhook_payloads import event_body, ping_body

__all__ = ["WebhookRepository", "ClaimedDelivery", "AttemptOutcome"]

_UNSET: Any = object()


@dataclass(frozen=True)
class ClaimedDelivery:
    """A message a sender holds until ``lease_until``, with the endpoint it goes to."""

    delivery: WebhookDelivery
    endpoint: WebhookEndpoint


@dataclass(frozen=True)
class AttemptOutcome:
    """What one attempt came to; ``ok`` for any 2xx."""

    ok: bool
    status_code: int | None
    duration_ms: float
    error: str | None


def _endpoint(row: WebhookEndpointRow) -> WebhookEndpoint:
    return record_from(WebhookEndpoint, row)


def _delivery(row: WebhookDeliveryRow) -> WebhookDelivery:
    return record_from(WebhookDelivery, row)


def _message_id() -> str:
    return "msg_" + uuid.uuid4().hex


class WebhookRepository:
    def __init__(self, db: Database, events: EventRepository) -> None:
        self._db = db
        events.on_insert(self.write_deliveries)

    # endpoints -------------------------------------------------------------------------------

    def create(self, owner: str, url: str, events: list[str], models: list[str] | None, description: str,
               secret: str) -> WebhookEndpoint:
        now = utcnow()
        row = WebhookEndpointRow(id="wh_" + secrets.token_hex(10), owner=owner, url=url, description=description,
                                 events=list(events), models=list(models) if models is not None else None,
                                 enabled=True, secret=secret, created_at=now, updated_at=now)
        with self._db.session() as s:
            s.add(row)
            s.flush()
            return _endpoint(row)

    def list(self, owner: str) -> list[WebhookEndpoint]:
        with self._db.session(write=False) as s:
            q = select(WebhookEndpointRow).where(WebhookEndpointRow.owner == owner).order_by(
                WebhookEndpointRow.created_at, WebhookEndpointRow.id)
            return [_endpoint(r) for r in s.scalars(q)]

    def get(self, endpoint_id: str, owner: str) -> WebhookEndpoint:
        with self._db.session(write=False) as s:
            return _endpoint(self._owned(s, endpoint_id, owner))

    def update(self, endpoint_id: str, owner: str, *, url: str | None = None, events: list[str] | None = None,
               models: list[str] | None = _UNSET, description: str | None = None,
               enabled: bool | None = None) -> WebhookEndpoint:
        with self._db.session() as s:
            row = self._owned(s, endpoint_id, owner)
            if url is not None:
                row.url = url
            if events is not None:
                row.events = list(events)
            if models is not _UNSET:
                row.models = list(models) if models is not None else None
            if description is not None:
                row.description = description
            if enabled is not None:
                row.enabled = enabled
                if enabled:  # turned back on: a fresh start for the failure clock
                    row.disabled_reason = None
                    row.failing_since = None
            row.updated_at = utcnow()
            return _endpoint(row)

    def delete(self, endpoint_id: str, owner: str) -> WebhookEndpoint:
        with self._db.session() as s:
            row = self._owned(s, endpoint_id, owner)
            gone = _endpoint(row)
            s.query(WebhookDeliveryRow).filter(WebhookDeliveryRow.endpoint_id == row.id).delete()
            s.delete(row)
            return gone

    def rotate(self, endpoint_id: str, owner: str, new_secret: str, overlap: timedelta) -> WebhookEndpoint:
        """Sign with ``new_secret`` from now on; the current secret keeps signing beside it for ``overlap``."""
        with self._db.session() as s:
            row = self._owned(s, endpoint_id, owner)
            now = utcnow()
            row.previous_secret, row.secret = row.secret, new_secret
            row.previous_secret_expires_at = now + overlap
            row.updated_at = now
            return _endpoint(row)

    # deliveries ------------------------------------------------------------------------------

    def write_deliveries(self, s: Session, events: Sequence[Event]) -> None:
        """One message per (event, endpoint that wants it), in the events' own transaction."""
        carried = [(e, body) for e in events if (body := event_body(s, e)) is not None]
        if not carried:
            return
        owners = {e.owner for e, _ in carried}
        endpoints = [_endpoint(r) for r in s.scalars(select(WebhookEndpointRow).where(
            WebhookEndpointRow.owner.in_(owners), WebhookEndpointRow.enabled.is_(True)))]
        if not endpoints:
            return
        now = utcnow()
        for event, body in carried:
            for ep in endpoints:
                if ep.owner == event.owner and ep.wants(event.type, event.handle):
                    s.add(WebhookDeliveryRow(endpoint_id=ep.id, message_id=_message_id(), event_id=event.id,
                                             event_type=event.type, payload=body, state="pending", attempts=0,
                                             next_attempt_at=now, created_at=now))

    def add_ping(self, endpoint_id: str, owner: str) -> WebhookDelivery:
        with self._db.session() as s:
            row = self._owned(s, endpoint_id, owner)
            now = utcnow()
            d = WebhookDeliveryRow(endpoint_id=row.id, message_id=_message_id(), event_id=None, event_type="ping",
                                   payload=ping_body(row.id, now), state="pending", attempts=0,
                                   next_attempt_at=now, created_at=now)
            s.add(d)
            s.flush()
            return _delivery(d)

    def deliveries(self, endpoint_id: str, owner: str, *, limit: int = 100,
                   before: int | None = None) -> list[WebhookDelivery]:
        """The endpoint's messages, newest first."""
        with self._db.session(write=False) as s:
            self._owned(s, endpoint_id, owner)
            q = select(WebhookDeliveryRow).where(WebhookDeliveryRow.endpoint_id == endpoint_id)
            if before is not None:
                q = q.where(WebhookDeliveryRow.id < before)
            q = q.order_by(WebhookDeliveryRow.id.desc()).limit(limit)
            return [_delivery(r) for r in s.scalars(q)]

    def get_delivery(self, endpoint_id: str, owner: str, delivery_id: int) -> WebhookDelivery:
        with self._db.session(write=False) as s:
            return _delivery(self._owned_delivery(s, endpoint_id, owner, delivery_id))

    def retry(self, endpoint_id: str, owner: str, delivery_id: int) -> WebhookDelivery:
        """Make the message due now (same ``webhook-id``); one more attempt, then the rest of its schedule."""
        with self._db.session() as s:
            row = self._owned_delivery(s, endpoint_id, owner, delivery_id)
            row.state = "pending"
            row.next_attempt_at = utcnow()
            return _delivery(row)

    def next_due_at(self) -> datetime | None:
        """When the earliest pending message of an enabled endpoint is due."""
        with self._db.session(write=False) as s:
            return s.scalar(select(func.min(WebhookDeliveryRow.next_attempt_at))
                            .join(WebhookEndpointRow, WebhookEndpointRow.id == WebhookDeliveryRow.endpoint_id)
                            .where(WebhookDeliveryRow.state == "pending", WebhookEndpointRow.enabled.is_(True)))

    def pending_count(self) -> int:
        with self._db.session(write=False) as s:
            return int(s.scalar(select(func.count()).select_from(WebhookDeliveryRow)
                                .where(WebhookDeliveryRow.state == "pending")) or 0)

    def claim_due(self, lease_seconds: float, limit: int) -> list[ClaimedDelivery]:
        """Take up to ``limit`` due messages for ``lease_seconds``; nobody else sends them meanwhile."""
        now = utcnow()
        with self._db.session() as s:
            q = (select(WebhookDeliveryRow, WebhookEndpointRow)
                 .join(WebhookEndpointRow, WebhookEndpointRow.id == WebhookDeliveryRow.endpoint_id)
                 .where(WebhookDeliveryRow.state == "pending", WebhookDeliveryRow.next_attempt_at <= now,
                        WebhookEndpointRow.enabled.is_(True))
                 .order_by(WebhookDeliveryRow.next_attempt_at, WebhookDeliveryRow.id).limit(limit))
            if s.get_bind().dialect.name == "postgresql":
                q = q.with_for_update(skip_locked=True, of=WebhookDeliveryRow)
            claimed = []
            for d, ep in s.execute(q).all():
                d.next_attempt_at = now + timedelta(seconds=lease_seconds)
                claimed.append(ClaimedDelivery(_delivery(d), _endpoint(ep)))
            return claimed

    def record_attempt(self, claimed: ClaimedDelivery, outcome: AttemptOutcome, *, retry_in: float | None,
                       disable_after: timedelta) -> WebhookDelivery | None:
        """Write one attempt's outcome: done on a 2xx, else due again in ``retry_in`` seconds
        (failed when None). The endpoint's failure clock starts at its first failure and is
        cleared by any success; past ``disable_after`` the endpoint is disabled with the reason.
        None when the message changed meanwhile (deleted, or retried by hand)."""
        return self.record_attempts([(claimed, outcome, retry_in)], disable_after=disable_after)[0]

    def record_attempts(self, results: Sequence[tuple[ClaimedDelivery, AttemptOutcome, float | None]], *,
                        disable_after: timedelta) -> list[WebhookDelivery | None]:
        """:meth:`record_attempt` for several attempts in one transaction (a sender records
        what finished together at once: one write lock, one commit)."""
        now = utcnow()
        out: list[WebhookDelivery | None] = []
        with self._db.session() as s:
            # Two queries for the whole batch, not two lookups per attempt.
            ids = [claimed.delivery.id for claimed, _, _ in results]
            rows = {r.id: r for r in s.scalars(select(WebhookDeliveryRow).where(WebhookDeliveryRow.id.in_(ids)))}
            endpoint_ids = {r.endpoint_id for r in rows.values()}
            endpoints = {e.id: e for e in s.scalars(select(WebhookEndpointRow)
                                                    .where(WebhookEndpointRow.id.in_(endpoint_ids)))}
            for claimed, outcome, retry_in in results:
                row = rows.get(claimed.delivery.id)
                if row is None or row.attempts != claimed.delivery.attempts:
                    out.append(None)
                    continue
                row.attempts += 1
                row.status_code, row.duration_ms, row.error = outcome.status_code, outcome.duration_ms, outcome.error
                row.last_attempt_at = now
                if outcome.ok:
                    row.state, row.next_attempt_at = "succeeded", None
                elif retry_in is None:
                    row.state, row.next_attempt_at = "failed", None
                else:
                    row.state, row.next_attempt_at = "pending", now + timedelta(seconds=retry_in)
                ep = endpoints.get(row.endpoint_id)
                if ep is not None:
                    _track_health(ep, outcome, now, disable_after)
                out.append(_delivery(row))
        return out

    # access ----------------------------------------------------------------------------------

    @staticmethod
    def _owned(s: Session, endpoint_id: str, owner: str) -> WebhookEndpointRow:
        row = s.get(WebhookEndpointRow, endpoint_id)
        if row is None or row.owner != owner:
            raise NotFound(f"no webhook {endpoint_id[:80]!r}")
        return row

    def _owned_delivery(self, s: Session, endpoint_id: str, owner: str, delivery_id: int) -> WebhookDeliveryRow:
        self._owned(s, endpoint_id, owner)
        row = s.get(WebhookDeliveryRow, delivery_id)
        if row is None or row.endpoint_id != endpoint_id:
            raise NotFound(f"no delivery {delivery_id} of webhook {endpoint_id[:80]!r}")
        return row


def _track_health(ep: WebhookEndpointRow, outcome: AttemptOutcome, now: datetime, disable_after: timedelta) -> None:
    if outcome.ok:
        ep.failing_since = None
        return
    if ep.failing_since is None:
        ep.failing_since = now
    elif ep.enabled and now - ep.failing_since >= disable_after:
        ep.enabled = False
        ep.disabled_reason = (f"disabled at {now.isoformat(timespec='seconds')}: every attempt failed since "
                              f"{ep.failing_since.isoformat(timespec='seconds')}; last error: "
                              f"{outcome.error or outcome.status_code}")
        ep.updated_at = now
