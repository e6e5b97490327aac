"""/v1/webhooks: endpoints that receive an owner's events, signed the Standard Webhooks way;
their delivery logs, retries by hand and pings. Admin scope; another owner's endpoint is 404."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query

from ... import service
from ..deps import KeyDep, PlatformDep
from ..routing import V1Route
from ..webhook_schemas import (
    DeliveryList,
    DeliveryPublic,
    WebhookCreate,
    WebhookCreated,
    WebhookPublic,
    WebhookUpdate,
    delivery_public,
    webhook_created,
    webhook_public,
)

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"], route_class=V1Route)


@router.post("", status_code=201, response_model=WebhookCreated, operation_id="create_webhook")
def create_webhook(body: WebhookCreate, key: KeyDep, platform: PlatformDep) -> Any:
    """The answer holds the signing secret, shown this once."""
    created = service.create_webhook(platform, key, body.url, list(body.events), models=body.models,
                                     description=body.description)
    return webhook_created(created)


@router.get("", response_model=list[WebhookPublic], operation_id="list_webhooks")
def list_webhooks(key: KeyDep, platform: PlatformDep) -> Any:
    return [webhook_public(e) for e in service.list_webhooks(platform, key)]


@router.get("/{webhook_id}", response_model=WebhookPublic, operation_id="get_webhook")
def get_webhook(webhook_id: str, key: KeyDep, platform: PlatformDep) -> Any:
    return webhook_public(service.get_webhook(platform, key, webhook_id))


@router.patch("/{webhook_id}", response_model=WebhookPublic, operation_id="update_webhook")
def update_webhook(webhook_id: str, body: WebhookUpdate, key: KeyDep, platform: PlatformDep) -> Any:
    clear_models = "models" in body.model_fields_set and body.models is None
    return webhook_public(service.update_webhook(
        platform, key, webhook_id, url=body.url, events=body.events, enabled=body.enabled,
        description=body.description, models=body.models, clear_models=clear_models))


@router.delete("/{webhook_id}", response_model=WebhookPublic, operation_id="delete_webhook")
def delete_webhook(webhook_id: str, key: KeyDep, platform: PlatformDep) -> Any:
    """The endpoint and its delivery log are gone; messages not yet sent are dropped."""
    return webhook_public(service.delete_webhook(platform, key, webhook_id))


@router.post("/{webhook_id}/rotate", response_model=WebhookCreated, operation_id="rotate_webhook_secret")
def rotate_webhook_secret(webhook_id: str, key: KeyDep, platform: PlatformDep) -> Any:
    """A new signing secret, shown this once; the old one keeps signing beside it for 24 hours
    (``U22A8_WEBHOOKS_SECRET_OVERLAP_SECONDS``), both signatures in ``webhook-signature``."""
    return webhook_created(service.rotate_webhook_secret(platform, key, webhook_id))


@router.get("/{webhook_id}/deliveries", response_model=DeliveryList, operation_id="list_webhook_deliveries")
def list_deliveries(webhook_id: str, key: KeyDep, platform: PlatformDep, cursor: str | None = None,
                    limit: int = Query(default=50, ge=1, le=500)) -> Any:
    """Newest first: each message's event, attempts so far, the last status, duration and error,
    and when the next attempt is due."""
    page = service.list_deliveries(platform, key, webhook_id, cursor=cursor, limit=limit)
    return DeliveryList(items=[delivery_public(d) for d in page.items], next_cursor=page.next_cursor)


@router.post("/{webhook_id}/deliveries/{delivery_id}/retry", status_code=202, response_model=DeliveryPublic,
             operation_id="retry_webhook_delivery")
def retry_delivery(webhook_id: str, key: KeyDep, platform: PlatformDep,
                   delivery_id: int = Path(ge=1, le=2**53)) -> Any:
    """Send the message again now, with the same ``webhook-id``."""
    return delivery_public(service.retry_delivery(platform, key, webhook_id, delivery_id))


@router.post("/{webhook_id}/ping", status_code=202, response_model=DeliveryPublic, operation_id="ping_webhook")
def ping_webhook(webhook_id: str, key: KeyDep, platform: PlatformDep) -> Any:
    """Queue a signed ``ping`` message to the endpoint now; its delivery shows how it went."""
    return delivery_public(service.ping_webhook(platform, key, webhook_id))
