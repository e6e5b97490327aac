"""``client.webhooks`` for both clients: endpoints, their delivery logs, retries and pings.

Each method names its operation (``_webhook_calls``) and the client drives it; listing deliveries
follows cursors through the shared ``pages`` flow.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from typing import TYPE_CHECKING

from . import _operations as operations
from ._base import ResourceGroup
from ._calls import UNSET
from ._webhook_calls import webhook_calls
from ._webhook_types import CreatedWebhook, Webhook, WebhookDelivery

if TYPE_CHECKING:
    from ._async_client import AsyncClient
    from ._client import Client

__all__ = ["Webhooks", "AsyncWebhooks"]


class Webhooks(ResourceGroup["Client"]):
    """Endpoints that receive this owner's events (admin scope)."""

    def create(self, url: str, events: Sequence[str] = ("*",), *, models: Sequence[str] | None = None,
               description: str = "") -> CreatedWebhook:
        """A new endpoint; its signing secret is ``.secret`` and is never shown again."""
        return self._c._call(webhook_calls.create(url, events, models, description))

    def list(self) -> list[Webhook]:
        return self._c._call(webhook_calls.list())

    def get(self, webhook_id: str) -> Webhook:
        return self._c._call(webhook_calls.get(webhook_id))

    def update(self, webhook_id: str, *, url: str | None = UNSET, events: Sequence[str] | None = UNSET,
               enabled: bool | None = UNSET, description: str | None = UNSET,
               models: Sequence[str] | None = UNSET) -> Webhook:
        """Change only what is given; ``models=None`` sends every model's events again."""
        return self._c._call(webhook_calls.update(webhook_id, url, events, enabled, description, models))

    def delete(self, webhook_id: str) -> Webhook:
        return self._c._call(webhook_calls.delete(webhook_id))

    def rotate(self, webhook_id: str) -> CreatedWebhook:
        """A new secret (``.secret``); the old one keeps signing beside it during the overlap."""
        return self._c._call(webhook_calls.rotate(webhook_id))

    def deliveries(self, webhook_id: str, *, page_size: int = 50) -> Iterator[WebhookDelivery]:
        """The endpoint's messages, newest first, following cursors."""
        return self._c._iterate(operations.pages(
            self._c, lambda cursor: webhook_calls.deliveries(webhook_id, cursor, page_size)))

    def retry(self, webhook_id: str, delivery_id: int) -> WebhookDelivery:
        """Send a message again now, with the same ``webhook-id``."""
        return self._c._call(webhook_calls.retry(webhook_id, delivery_id))

    def ping(self, webhook_id: str) -> WebhookDelivery:
        """Queue a signed ``ping`` to the endpoint."""
        return self._c._call(webhook_calls.ping(webhook_id))


class AsyncWebhooks(ResourceGroup["AsyncClient"]):
    async def create(self, url: str, events: Sequence[str] = ("*",), *, models: Sequence[str] | None = None,
                     description: str = "") -> CreatedWebhook:
        return await self._c._call(webhook_calls.create(url, events, models, description))

    async def list(self) -> list[Webhook]:
        return await self._c._call(webhook_calls.list())

    async def get(self, webhook_id: str) -> Webhook:
        return await self._c._call(webhook_calls.get(webhook_id))

    async def update(self, webhook_id: str, *, url: str | None = UNSET, events: Sequence[str] | None = UNSET,
                     enabled: bool | None = UNSET, description: str | None = UNSET,
                     models: Sequence[str] | None = UNSET) -> Webhook:
        return await self._c._call(webhook_calls.update(webhook_id, url, events, enabled, description, models))

    async def delete(self, webhook_id: str) -> Webhook:
        return await self._c._call(webhook_calls.delete(webhook_id))

    async def rotate(self, webhook_id: str) -> CreatedWebhook:
        return await self._c._call(webhook_calls.rotate(webhook_id))

    def deliveries(self, webhook_id: str, *, page_size: int = 50) -> AsyncIterator[WebhookDelivery]:
        return self._c._iterate(operations.pages(
            self._c, lambda cursor: webhook_calls.deliveries(webhook_id, cursor, page_size)))

    async def retry(self, webhook_id: str, delivery_id: int) -> WebhookDelivery:
        return await self._c._call(webhook_calls.retry(webhook_id, delivery_id))

    async def ping(self, webhook_id: str) -> WebhookDelivery:
        return await self._c._call(webhook_calls.ping(webhook_id))
