"""Webhook endpoints, for admins: the list with a create form (the secret is shown once), and a
page per endpoint with its deliveries, a ping and a retry per message."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from .. import service
from ..errors import U22A8Error
from ..service import ApiKey, CreatedWebhook, Platform
from .html_errors import ConsoleRoute
from .rendering import render, see_other
from .session_checks import FormDep, KeyDep, PlatformDep

router = APIRouter(prefix="/console/webhooks", route_class=ConsoleRoute, include_in_schema=False)

_DELIVERIES_SHOWN = 100


def _list_page(request: Request, platform: Platform, key: ApiKey, created: CreatedWebhook | None = None) -> Response:
    return render(request, "webhooks.html", endpoints=service.list_webhooks(platform, key),
                  event_types=service.WEBHOOK_EVENTS, created=created)


def _endpoint_page(request: Request, platform: Platform, key: ApiKey, webhook_id: str,
                   rotated: CreatedWebhook | None = None) -> Response:
    endpoint = service.get_webhook(platform, key, webhook_id)
    page = service.list_deliveries(platform, key, webhook_id, limit=_DELIVERIES_SHOWN)
    return render(request, "webhook.html", endpoint=endpoint, deliveries=page.items, rotated=rotated)


@router.get("")
def webhooks_page(request: Request, key: KeyDep, platform: PlatformDep) -> Response:
    return _list_page(request, platform, key)


@router.post("")
def create_webhook(request: Request, key: KeyDep, form: FormDep, platform: PlatformDep) -> Response:
    events = form.getall("events") or ["*"]
    try:
        created = service.create_webhook(platform, key, form.get("url"), events,
                                         description=form.get("description").strip())
    except U22A8Error as exc:
        if exc.status != 422:
            raise
        return see_other(request, "/webhooks", ("error", exc.detail))
    # Rendered in answer to the POST, never redirected: the secret must not sit in a cookie or a URL.
    return _list_page(request, platform, key, created)


@router.get("/{webhook_id}")
def webhook_page(request: Request, webhook_id: str, key: KeyDep, platform: PlatformDep) -> Response:
    return _endpoint_page(request, platform, key, webhook_id)


@router.post("/{webhook_id}/ping")
def ping(request: Request, webhook_id: str, key: KeyDep, form: FormDep, platform: PlatformDep) -> Response:
    sent = service.ping_webhook(platform, key, webhook_id)
    return see_other(request, f"/webhooks/{webhook_id}", ("notice", f"Ping queued ({sent.message_id})."))


@router.post("/{webhook_id}/enabled")
def set_enabled(request: Request, webhook_id: str, key: KeyDep, form: FormDep, platform: PlatformDep) -> Response:
    on = form.get("enabled") == "true"
    service.update_webhook(platform, key, webhook_id, enabled=on)
    return see_other(request, f"/webhooks/{webhook_id}", ("notice", "Enabled." if on else "Disabled."))


@router.post("/{webhook_id}/rotate")
def rotate(request: Request, webhook_id: str, key: KeyDep, form: FormDep, platform: PlatformDep) -> Response:
    rotated = service.rotate_webhook_secret(platform, key, webhook_id)
    return _endpoint_page(request, platform, key, webhook_id, rotated)


@router.post("/{webhook_id}/deliveries/{delivery_id}/retry")
def retry(request: Request, webhook_id: str, delivery_id: int, key: KeyDep, form: FormDep,
          platform: PlatformDep) -> Response:
    again = service.retry_delivery(platform, key, webhook_id, delivery_id)
    return see_other(request, f"/webhooks/{webhook_id}", ("notice", f"Delivery {again.id} is due again."))


@router.post("/{webhook_id}/delete")
def delete(request: Request, webhook_id: str, key: KeyDep, form: FormDep, platform: PlatformDep) -> Response:
    gone = service.delete_webhook(platform, key, webhook_id)
    return see_other(request, "/webhooks", ("notice", f"Deleted {gone.url}."))
