"""u22a8: labeled text in, small fast well-tuned models out, behind an HTTP API.

The SDK's main names are available here (``u22a8.Client``, ``u22a8.load_export``…). They are
imported on first use, so ``import u22a8`` stays cheap for the server and the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__

# Names re-exported from u22a8.client, loaded lazily by __getattr__ below.
_CLIENT_NAMES = (
    "Client",
    "AsyncClient",
    "load_export",
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
)

__all__ = ["__version__", *_CLIENT_NAMES]

if TYPE_CHECKING:
    from .client import (  # noqa: F401
        AsyncClient,
        Client,
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
        load_export,
    )


def __getattr__(name: str) -> Any:
    if name in _CLIENT_NAMES:
        from . import client

        value = getattr(client, name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'u22a8' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_CLIENT_NAMES))
