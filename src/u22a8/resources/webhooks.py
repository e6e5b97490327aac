"""Webhook endpoints (where an owner's events are sent) and their deliveries (one message to
one endpoint, retried until a receiver answers 2xx or the schedule runs out)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .fields import shown

__all__ = ["WebhookEndpoint", "WebhookDelivery", "DELIVERY_STATES"]

DELIVERY_STATES = ("pending", "succeeded", "failed")


@dataclass(frozen=True)
class WebhookEndpoint:
    id: str = shown()
    owner: str = shown()
    url: str = shown("Where events are POSTed: https and a public address (checked on every attempt).")
    description: str = shown()
    events: list[str] = shown('Event types sent here, or ["*"] for every type.')
    models: list[str] | None = shown("Only events of these model handles; null for every model of the owner.")
    enabled: bool = shown()
    disabled_reason: str | None = shown("Why the endpoint was disabled, when it was disabled by the platform.")
    failing_since: datetime | None = shown("First failed attempt since the last success; null while healthy.")
    previous_secret_expires_at: datetime | None = shown(
        "While set and in the future, the rotated-out secret still signs beside the new one.")
    created_at: datetime = shown()
    updated_at: datetime = shown()
    secret: str = field(repr=False)
    previous_secret: str | None = field(repr=False)

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secrets that sign a message sent at ``now``: the current one, and the previous
        one during its overlap."""
        out = [self.secret]
        if self.previous_secret and self.previous_secret_expires_at and self.previous_secret_expires_at > now:
            out.append(self.previous_secret)
        return out

    def wants(self, event_type: str, handle: str) -> bool:
        """Whether an event of ``event_type`` about model ``handle`` goes to this endpoint."""
        if not self.enabled:
            return False
        if "*" not in self.events and event_type not in self.events:
            return False
        return self.models is None or handle in self.models


@dataclass(frozen=True)
class WebhookDelivery:
    id: int = shown()
    endpoint_id: str = shown(name="webhook")
    message_id: str = shown(doc="The webhook-id header: the same on every attempt of this message.")
    event_type: str = shown(name="event")
    event_id: int | None = shown(doc="The event's place in the platform's outbox; null for a ping.")
    state: str = shown(doc="pending (attempts left), succeeded (a 2xx) or failed (schedule exhausted).")
    attempts: int = shown(name="attempt", doc="Attempts made so far.")
    status_code: int | None = shown(doc="The last attempt's HTTP status; null when no answer came.")
    duration_ms: float | None = shown(doc="How long the last attempt took.")
    error: str | None = shown(doc="Why the last attempt failed.")
    next_attempt_at: datetime | None = shown(doc="When the next attempt is due; null once the message ended.")
    created_at: datetime = shown()
    last_attempt_at: datetime | None = shown()
    payload: dict[str, Any]
