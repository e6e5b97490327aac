"""The u22a8 Python SDK: ``Client``, ``AsyncClient``, their value objects and exceptions.

Everything public is re-exported here (and the most used names from ``u22a8`` itself); the
``_``-prefixed modules are private and may change.
"""

from __future__ import annotations

from ._async_client import AsyncClient
from ._client import Client
from ._config import DEFAULT_BASE_URL
from ._exceptions import (
    Conflict,
    Forbidden,
    IdempotencyKeyReused,
    InternalError,
    InvalidRequest,
    LimitExceeded,
    ModelNotReady,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    ServerError,
    TooFewSamples,
    TransportError,
    U22A8Error,
    Unauthorized,
    Unavailable,
)
from ._export import ExportedModel, load_export
from ._retry import Retry
from ._run import AsyncRun, Model, Run, TrainResult
from ._pool_types import PoolCounts, PoolText, Suggestion, Suggestions
from ._webhook_types import CreatedWebhook, Webhook, WebhookDelivery
from ._types import (
    AutoRetrain,
    CreatedKey,
    Estimate,
    Key,
    Prediction,
    LabelIssue,
    PredictResult,
    Report,
    RunEvent,
    Sample,
    SampleCounts,
    Version,
    VersionSummary,
)

__all__ = [
    # clients
    "Client",
    "AsyncClient",
    "Retry",
    "DEFAULT_BASE_URL",
    "load_export",
    "ExportedModel",
    # value objects
    "Model",
    "VersionSummary",
    "AutoRetrain",
    "Sample",
    "SampleCounts",
    "Run",
    "AsyncRun",
    "RunEvent",
    "TrainResult",
    "Version",
    "Report",
    "Prediction",
    "LabelIssue",
    "PredictResult",
    "Key",
    "CreatedKey",
    "PoolText",
    "PoolCounts",
    "Suggestion",
    "Suggestions",
    "Webhook",
    "CreatedWebhook",
    "WebhookDelivery",
    "Estimate",
    # exceptions
    "U22A8Error",
    "InvalidRequest",
    "LimitExceeded",
    "TooFewSamples",
    "IdempotencyKeyReused",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "Conflict",
    "ModelNotReady",
    "PayloadTooLarge",
    "RateLimited",
    "ServerError",
    "InternalError",
    "Unavailable",
    "TransportError",
]
