"""Errors the SDK raises. One class per stable API error ``code``; unknown codes get the base.

    U22A8Error                  .status .code .detail .body
    ├── InvalidRequest          422  invalid_request          (also a ValueError)
    │   ├── LimitExceeded       422  limit_exceeded
    │   ├── TooFewSamples       422  too_few_samples
    │   └── IdempotencyKeyReused 422 idempotency_key_reused
    ├── Unauthorized            401  unauthorized
    ├── Forbidden               403  forbidden
    ├── NotFound                404  not_found                (also a LookupError)
    ├── Conflict                409  conflict
    │   └── ModelNotReady       409  model_not_ready
    ├── PayloadTooLarge         413  payload_too_large
    ├── RateLimited             429  rate_limited
    ├── ServerError             5xx  (any 5xx without a known code)
    │   ├── InternalError       500  internal_error
    │   └── Unavailable         503  unavailable
    └── TransportError          no answer: connection refused, timeout… (.status is None)

These are the client's view of an HTTP answer. They are distinct from ``u22a8.errors``, which
the server raises internally and renders as those answers.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

__all__ = [
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
    "error_from_response",
]


class U22A8Error(Exception):
    """An API call that did not succeed.

    ``status`` is the HTTP status (None when no answer came), ``code`` the API's machine code,
    ``detail`` the human sentence, ``body`` the whole decoded problem document (or ``{}``).
    """

    code: str = "error"

    def __init__(self, detail: str, *, status: int | None = None, code: str | None = None,
                 body: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status
        if code is not None:
            self.code = code
        self.body: dict[str, Any] = body or {}

    def __str__(self) -> str:
        where = f"{self.status} " if self.status is not None else ""
        return f"{where}{self.code}: {self.detail}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, detail={self.detail!r})"


class InvalidRequest(U22A8Error, ValueError):
    code = "invalid_request"

    @property
    def errors(self) -> list[dict[str, Any]]:
        """Itemized problems when the API lists them (e.g. every bad sample's index)."""
        found = self.body.get("errors")
        return list(found) if isinstance(found, list) else []


class LimitExceeded(InvalidRequest):
    code = "limit_exceeded"


class TooFewSamples(InvalidRequest):
    code = "too_few_samples"


class IdempotencyKeyReused(InvalidRequest):
    code = "idempotency_key_reused"


class Unauthorized(U22A8Error):
    code = "unauthorized"


class Forbidden(U22A8Error):
    code = "forbidden"


class NotFound(U22A8Error, LookupError):
    code = "not_found"


class Conflict(U22A8Error):
    code = "conflict"


class ModelNotReady(Conflict):
    code = "model_not_ready"


class PayloadTooLarge(U22A8Error):
    code = "payload_too_large"


class RateLimited(U22A8Error):
    code = "rate_limited"


class ServerError(U22A8Error):
    code = "server_error"


class InternalError(ServerError):
    code = "internal_error"


class Unavailable(ServerError):
    code = "unavailable"


class TransportError(U22A8Error):
    """No HTTP answer at all (after retries): the server is down, unreachable, or too slow."""

    code = "transport_error"


_BY_CODE: dict[str, type[U22A8Error]] = {
    cls.code: cls
    for cls in (InvalidRequest, LimitExceeded, TooFewSamples, IdempotencyKeyReused, Unauthorized, Forbidden,
                NotFound, Conflict, ModelNotReady, PayloadTooLarge, RateLimited, InternalError, Unavailable)
}

# For answers that carry no problem document (a proxy's HTML 502, say): classify by status.
_BY_STATUS: dict[int, type[U22A8Error]] = {
    401: Unauthorized, 403: Forbidden, 404: NotFound, 409: Conflict, 413: PayloadTooLarge,
    422: InvalidRequest, 429: RateLimited, 500: InternalError, 503: Unavailable,
}


def _decode(response: httpx.Response) -> dict[str, Any]:
    try:
        body = json.loads(response.content)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def error_from_response(response: httpx.Response) -> U22A8Error:
    """The exception for an error answer (the body must have been read)."""
    body = _decode(response)
    status = response.status_code
    code = body.get("code")
    detail = str(body.get("detail") or body.get("title") or response.text[:500] or response.reason_phrase)
    if isinstance(code, str):
        # An unknown code is still an answer from the API: keep its code on the base class.
        cls = _BY_CODE.get(code, ServerError if status >= 500 else U22A8Error)
        return cls(detail, status=status, code=code, body=body)
    cls = _BY_STATUS.get(status, ServerError if status >= 500 else U22A8Error)
    return cls(detail, status=status, code=cls.code if cls is not U22A8Error else f"http_{status}", body=body)
