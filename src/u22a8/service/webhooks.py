"""Webhook endpoints and their delivery logs: create (the signing secret is shown once), list,
get, update, delete, rotate the secret, list deliveries, retry one, ping.

Access: the ``admin`` scope, and an endpoint belongs to its owner alone; another owner's
endpoint (even for the platform owner's admin keys) answers 404 like one that does not exist.
Every action that changes something (create, update, delete, rotate, retry, ping) passes
:func:`access.enter` and counts against the key's ``writes`` limit, like the other admin writes
(keys): a ping or a retry makes the platform send a request, so a key must not be able to make
it send them faster than its limit. Reads (list, get, deliveries) are not counted, like every
other read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from ..errors import Conflict, LimitExceeded
from ..runs import UnsafeUrl, resolve_target
from ..store import WEBHOOK_EVENT_TYPES, ApiKey, WebhookDelivery, WebhookEndpoint
from ..webhooks import new_secret
from .access import HANDLE_RE, enter, require
from .fields import InvalidField, check_max_length
from .platform import Platform

__all__ = [
    "WEBHOOK_EVENTS",
    "WEBHOOK_SCOPE",
    "MAX_WEBHOOKS_PER_OWNER",
    "CreatedWebhook",
    "DeliveryPage",
    "create_webhook",
    "list_webhooks",
    "get_webhook",
    "update_webhook",
    "delete_webhook",
    "rotate_webhook_secret",
    "list_deliveries",
    "retry_delivery",
    "ping_webhook",
]

# Event types an endpoint may ask for ("*" asks for all); a ping is sent only when asked for.
WEBHOOK_EVENTS: tuple[str, ...] = tuple(t for t in WEBHOOK_EVENT_TYPES if t != "ping")
WEBHOOK_SCOPE = "admin"
MAX_WEBHOOKS_PER_OWNER = 50
URL_MAX = 2000
DESCRIPTION_MAX = 500


@dataclass(frozen=True)
class CreatedWebhook:
    """A new endpoint and its signing secret, which is shown this once."""

    endpoint: WebhookEndpoint
    secret: str


@dataclass(frozen=True)
class DeliveryPage:
    items: list[WebhookDelivery]
    next_cursor: str | None


def _check_url(platform: Platform, url: str) -> str:
    url = url.strip()
    check_max_length("url", url, URL_MAX)
    try:
        resolve_target(url, allow_private=platform.settings.webhooks_allow_private)
    except UnsafeUrl as exc:
        raise InvalidField("url", f"url: {exc}") from None
    return url


def _check_events(events: list[str]) -> list[str]:
    if not events:
        raise InvalidField("events", "events: List should have at least 1 item after validation, not 0")
    for name in events:
        if name != "*" and name not in WEBHOOK_EVENTS:
            raise InvalidField("events", f"events: unknown event type {name[:60]!r}; use '*' or one of "
                                         + ", ".join(WEBHOOK_EVENTS))
    return sorted(set(events), key=events.index)


def _check_models(key: ApiKey, models: list[str] | None) -> list[str] | None:
    if models is None:
        return None
    for handle in models:
        if not HANDLE_RE.fullmatch(handle) or handle.split(".", 1)[0] != key.owner:
            raise InvalidField("models", f"models: {handle[:120]!r} is not a model handle of {key.owner!r}")
    return sorted(set(models), key=models.index)


def create_webhook(platform: Platform, key: ApiKey, url: str, events: list[str], *,
                   models: list[str] | None = None, description: str = "") -> CreatedWebhook:
    enter(platform, key, WEBHOOK_SCOPE)
    check_max_length("description", description, DESCRIPTION_MAX)
    checked = _check_url(platform, url)
    wanted, only = _check_events(events), _check_models(key, models)
    if len(platform.store.webhooks.list(key.owner)) >= MAX_WEBHOOKS_PER_OWNER:
        raise LimitExceeded(f"an owner may have at most {MAX_WEBHOOKS_PER_OWNER} webhook endpoints")
    secret = new_secret()
    endpoint = platform.store.webhooks.create(key.owner, checked, wanted, only, description, secret)
    return CreatedWebhook(endpoint, secret)


def list_webhooks(platform: Platform, key: ApiKey) -> list[WebhookEndpoint]:
    require(key, WEBHOOK_SCOPE)
    return platform.store.webhooks.list(key.owner)


def get_webhook(platform: Platform, key: ApiKey, webhook_id: str) -> WebhookEndpoint:
    require(key, WEBHOOK_SCOPE)
    return platform.store.webhooks.get(webhook_id, key.owner)


def update_webhook(platform: Platform, key: ApiKey, webhook_id: str, *, url: str | None = None,
                   events: list[str] | None = None, enabled: bool | None = None,
                   description: str | None = None, models: list[str] | None = None,
                   clear_models: bool = False) -> WebhookEndpoint:
    """Change what is given; ``clear_models`` sends every model's events again."""
    enter(platform, key, WEBHOOK_SCOPE)
    platform.store.webhooks.get(webhook_id, key.owner)  # 404 before any field error
    if description is not None:
        check_max_length("description", description, DESCRIPTION_MAX)
    changes: dict[str, object] = {
        "url": _check_url(platform, url) if url is not None else None,
        "events": _check_events(events) if events is not None else None,
        "enabled": enabled,
        "description": description,
    }
    if clear_models:
        changes["models"] = None
    elif models is not None:
        changes["models"] = _check_models(key, models)
    return platform.store.webhooks.update(webhook_id, key.owner, **changes)  # type: ignore[arg-type]


def delete_webhook(platform: Platform, key: ApiKey, webhook_id: str) -> WebhookEndpoint:
    enter(platform, key, WEBHOOK_SCOPE)
    return platform.store.webhooks.delete(webhook_id, key.owner)


def rotate_webhook_secret(platform: Platform, key: ApiKey, webhook_id: str) -> CreatedWebhook:
    """A new signing secret, shown once; the old one keeps signing beside it during the overlap."""
    enter(platform, key, WEBHOOK_SCOPE)
    secret = new_secret()
    overlap = timedelta(seconds=platform.settings.webhooks_secret_overlap_seconds)
    return CreatedWebhook(platform.store.webhooks.rotate(webhook_id, key.owner, secret, overlap), secret)


def list_deliveries(platform: Platform, key: ApiKey, webhook_id: str, *, cursor: str | None = None,
                    limit: int = 50) -> DeliveryPage:
    """Newest first, ``limit`` at a time; ``cursor`` is the ``next_cursor`` of the page before."""
    require(key, WEBHOOK_SCOPE)
    before = None
    if cursor is not None:
        if not cursor.isdigit() or len(cursor) > 18:
            raise InvalidField("cursor", "cursor: not a cursor this listing gave")
        before = int(cursor)
    found = platform.store.webhooks.deliveries(webhook_id, key.owner, limit=limit + 1, before=before)
    more = len(found) > limit
    found = found[:limit]
    return DeliveryPage(found, str(found[-1].id) if more else None)


def retry_delivery(platform: Platform, key: ApiKey, webhook_id: str, delivery_id: int) -> WebhookDelivery:
    """Send the message again now, with the same ``webhook-id``."""
    enter(platform, key, WEBHOOK_SCOPE)
    endpoint = platform.store.webhooks.get(webhook_id, key.owner)
    if not endpoint.enabled:
        raise Conflict("the webhook is disabled: enable it first (PATCH enabled=true)")
    delivery = platform.store.webhooks.retry(webhook_id, key.owner, delivery_id)
    platform.wake_webhooks()
    return delivery


def ping_webhook(platform: Platform, key: ApiKey, webhook_id: str) -> WebhookDelivery:
    """Queue a ``ping`` message to the endpoint now."""
    enter(platform, key, WEBHOOK_SCOPE)
    endpoint = platform.store.webhooks.get(webhook_id, key.owner)
    if not endpoint.enabled:
        raise Conflict("the webhook is disabled: enable it first (PATCH enabled=true)")
    delivery = platform.store.webhooks.add_ping(webhook_id, key.owner)
    platform.wake_webhooks()
    return delivery
