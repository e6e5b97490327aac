"""The SDK's webhook types: an endpoint, the one answer that shows its secret, a delivery."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ._types import Json, parse_time

__all__ = ["Webhook", "CreatedWebhook", "WebhookDelivery"]


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


@dataclass(frozen=True)
class Webhook:
    """An endpoint that receives this owner's events, signed the Standard Webhooks way."""

    id: str
    owner: str
    url: str
    description: str
    events: tuple[str, ...]
    models: tuple[str, ...] | None
    enabled: bool
    disabled_reason: str | None
    failing_since: datetime | None
    previous_secret_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, d: Json) -> Webhook:
        return cls(**_webhook_fields(d), raw=d)


def _webhook_fields(d: Json) -> dict[str, Any]:
    models = d.get("models")
    return dict(id=d["id"], owner=d["owner"], url=d["url"], description=d.get("description", ""),
                events=tuple(d["events"]), models=tuple(models) if models is not None else None,
                enabled=d["enabled"], disabled_reason=d.get("disabled_reason"),
                failing_since=parse_time(d.get("failing_since")),
                previous_secret_expires_at=parse_time(d.get("previous_secret_expires_at")),
                created_at=_time(d["created_at"]), updated_at=_time(d["updated_at"]))


@dataclass(frozen=True)
class CreatedWebhook(Webhook):
    """A new endpoint (or a rotated secret): ``secret`` is shown this once; store it now."""

    secret: str = field(default="", repr=False)

    @classmethod
    def from_json(cls, d: Json) -> CreatedWebhook:
        return cls(**_webhook_fields(d), secret=d["secret"], raw=d)


@dataclass(frozen=True)
class WebhookDelivery:
    """One message to an endpoint: its attempts so far and how the last one went."""

    id: int
    webhook: str
    message_id: str
    event: str
    event_id: int | None
    state: str
    attempt: int
    status_code: int | None
    duration_ms: float | None
    error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    last_attempt_at: datetime | None
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, d: Json) -> WebhookDelivery:
        return cls(id=d["id"], webhook=d["webhook"], message_id=d["message_id"], event=d["event"],
                   event_id=d.get("event_id"), state=d["state"], attempt=d["attempt"],
                   status_code=d.get("status_code"), duration_ms=d.get("duration_ms"), error=d.get("error"),
                   next_attempt_at=parse_time(d.get("next_attempt_at")), created_at=_time(d["created_at"]),
                   last_attempt_at=parse_time(d.get("last_attempt_at")), raw=d)
