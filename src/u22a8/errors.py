"""Domain errors. Each carries its HTTP status and a stable machine ``code``.

    U22A8Error
    ├── InvalidRequest      422      invalid_request
    │   └── LimitExceeded   422      limit_exceeded
    ├── Unauthorized        401      unauthorized
    ├── Forbidden           403      forbidden
    ├── NotFound            404      not_found
    ├── Conflict            409      conflict
    │   └── ModelNotReady   409      model_not_ready
    ├── PayloadTooLarge     413      payload_too_large
    ├── TooFewSamples       422      too_few_samples
    ├── RateLimited         429      rate_limited
    └── Unavailable         503      unavailable
        └── ArtifactUnavailable 503  artifact_unavailable

The store and the run layer raise them; the API renders them as problem+json.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

__all__ = [
    "U22A8Error",
    "InvalidRequest",
    "LimitExceeded",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "Conflict",
    "ModelNotReady",
    "PayloadTooLarge",
    "TooFewSamples",
    "RateLimited",
    "Unavailable",
    "ArtifactUnavailable",
]


class U22A8Error(Exception):
    status: int = 500
    code: str = "internal_error"
    title: str = "Internal error"
    # Response headers that belong to the answer (Retry-After, say); the API sends them along.
    headers: Mapping[str, str] = MappingProxyType({})

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class InvalidRequest(U22A8Error, ValueError):
    status, code, title = 422, "invalid_request", "Invalid request"


class LimitExceeded(InvalidRequest):
    code, title = "limit_exceeded", "Limit exceeded"


class Unauthorized(U22A8Error):
    status, code, title = 401, "unauthorized", "Unauthorized"


class Forbidden(U22A8Error):
    status, code, title = 403, "forbidden", "Forbidden"


class NotFound(U22A8Error, LookupError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(U22A8Error):
    status, code, title = 409, "conflict", "Conflict"


class ModelNotReady(Conflict):
    code, title = "model_not_ready", "Model not ready"


class PayloadTooLarge(U22A8Error):
    status, code, title = 413, "payload_too_large", "Payload too large"


class TooFewSamples(U22A8Error):
    status, code, title = 422, "too_few_samples", "Too few samples"


class RateLimited(U22A8Error):
    status, code, title = 429, "rate_limited", "Rate limited"

    def __init__(self, detail: str, *, headers: Mapping[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.headers = MappingProxyType(dict(headers or {}))

class Unavailable(U22A8Error):
    status, code, title = 503, "unavailable", "Service unavailable"


class ArtifactUnavailable(Unavailable):
    """A stored model file this process cannot read (not there, or not readable): an operator's
    matter, so the answer says what to check and the log says where."""

    code, title = "artifact_unavailable", "Artifact unavailable"
