"""The webhook operations as data (see ``_calls``): endpoints, their deliveries, retries, pings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import httpx

from ._calls import UNSET, Call, Page
from ._webhook_types import CreatedWebhook, Webhook, WebhookDelivery

__all__ = ["webhook_calls"]

_BASE = "/v1/webhooks"


def _path(webhook_id: str, *rest: object) -> str:
    return "/".join([_BASE, quote(str(webhook_id), safe=""), *(quote(str(r), safe="") for r in rest)])


def _one(cls: Any) -> Any:
    return lambda r, c: cls.from_json(r.json())


def _delivery_page(r: httpx.Response, _: Any) -> Page[WebhookDelivery]:
    body = r.json()
    return Page([WebhookDelivery.from_json(d) for d in body["items"]], body.get("next_cursor"))


class webhook_calls:  # noqa: N801 - a namespace of call builders, like ``calls``
    @staticmethod
    def create(url: str, events: Sequence[str], models: Sequence[str] | None, description: str) -> Call[CreatedWebhook]:
        body: dict[str, Any] = {"url": url, "events": list(events), "description": description}
        if models is not None:
            body["models"] = list(models)
        return Call("POST", _BASE, _one(CreatedWebhook), json=body)

    @staticmethod
    def list() -> Call[list[Webhook]]:
        return Call("GET", _BASE, lambda r, c: [Webhook.from_json(d) for d in r.json()])

    @staticmethod
    def get(webhook_id: str) -> Call[Webhook]:
        return Call("GET", _path(webhook_id), _one(Webhook))

    @staticmethod
    def update(webhook_id: str, url: str | None, events: Sequence[str] | None, enabled: bool | None,
               description: str | None, models: Sequence[str] | None) -> Call[Webhook]:
        body: dict[str, Any] = {}
        for name, value in (("url", url), ("events", events), ("enabled", enabled), ("description", description),
                            ("models", models)):
            if value is not UNSET:
                body[name] = list(value) if isinstance(value, (list, tuple)) else value
        return Call("PATCH", _path(webhook_id), _one(Webhook), json=body)

    @staticmethod
    def delete(webhook_id: str) -> Call[Webhook]:
        return Call("DELETE", _path(webhook_id), _one(Webhook))

    @staticmethod
    def rotate(webhook_id: str) -> Call[CreatedWebhook]:
        return Call("POST", _path(webhook_id, "rotate"), _one(CreatedWebhook))

    @staticmethod
    def deliveries(webhook_id: str, cursor: str | None, limit: int) -> Call[Page[WebhookDelivery]]:
        return Call("GET", _path(webhook_id, "deliveries"), _delivery_page, params={"cursor": cursor, "limit": limit})

    @staticmethod
    def retry(webhook_id: str, delivery_id: int) -> Call[WebhookDelivery]:
        return Call("POST", _path(webhook_id, "deliveries", delivery_id, "retry"), _one(WebhookDelivery))

    @staticmethod
    def ping(webhook_id: str) -> Call[WebhookDelivery]:
        return Call("POST", _path(webhook_id, "ping"), _one(WebhookDelivery))
