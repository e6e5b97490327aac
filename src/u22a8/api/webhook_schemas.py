"""Request bodies, response models and presenters of /v1/webhooks.

Response models come from the resources' declarations (``u22a8.resources.webhooks``); the
signing secret is added only to the answers that show it once (create, rotate).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ..resources import WebhookDelivery, WebhookEndpoint
from ..service import CreatedWebhook
from .response_models import page_model, present, response_model

__all__ = [
    "WebhookCreate",
    "WebhookUpdate",
    "WebhookPublic",
    "WebhookCreated",
    "DeliveryPublic",
    "DeliveryList",
    "webhook_public",
    "webhook_created",
    "delivery_public",
]

_EVENTS_DOC = ('Event types to send: run.queued, run.started, run.succeeded, run.failed, run.canceled, '
               'version.promoted, version.kept, version.activated, model.deleted; or "*" for all.')


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WebhookCreate(_Strict):
    url: str = Field(max_length=2000, description="https URL on a public address.")
    events: list[str] = Field(min_length=1, max_length=20, description=_EVENTS_DOC)
    models: list[str] | None = Field(default=None, max_length=200,
                                     description="Only these model handles (the owner's); null for all.")
    description: str = Field(default="", max_length=500)


class WebhookUpdate(_Strict):
    url: str | None = Field(default=None, max_length=2000)
    events: list[str] | None = Field(default=None, min_length=1, max_length=20, description=_EVENTS_DOC)
    enabled: bool | None = Field(default=None, description="true also clears a disabled endpoint's failure clock.")
    description: str | None = Field(default=None, max_length=500)
    models: list[str] | None = Field(default=None, max_length=200,
                                     description="Only these model handles; an explicit null sends every model's.")


WebhookPublic = response_model("WebhookPublic", WebhookEndpoint)


class WebhookCreated(WebhookPublic):  # type: ignore[misc, valid-type]
    secret: str = Field(description="The signing secret (whsec_…). Shown once; store it now.")


DeliveryPublic = response_model("DeliveryPublic", WebhookDelivery)
DeliveryList = page_model("DeliveryList", DeliveryPublic)


def webhook_public(endpoint: WebhookEndpoint) -> BaseModel:
    return present(WebhookPublic, endpoint)


def webhook_created(created: CreatedWebhook) -> BaseModel:
    return WebhookCreated(**webhook_public(created.endpoint).model_dump(), secret=created.secret)


def delivery_public(delivery: WebhookDelivery) -> BaseModel:
    return present(DeliveryPublic, delivery)
