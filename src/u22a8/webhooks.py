"""Standard Webhooks signing and verification, for u22a8's senders and for receivers.

u22a8 signs every webhook delivery the way the Standard Webhooks spec says: the headers
``webhook-id`` (the same on every retry of one message), ``webhook-timestamp`` (Unix seconds of
this attempt) and ``webhook-signature`` (``v1,<base64 HMAC-SHA256 of id.timestamp.body>``; one
entry per signing secret, separated by spaces, while a rotated secret still overlaps).

A receiver verifies with::

    from u22a8.webhooks import verify
    event = verify("whsec_...", request.headers, request.body)   # raises WebhookVerificationError

This module is a leaf: it imports only the ``standardwebhooks`` package, so the SDK, the server
and a receiver's code may all use it.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

__all__ = ["SECRET_PREFIX", "WebhookVerificationError", "new_secret", "signature_header", "signed_headers", "verify"]

SECRET_PREFIX = "whsec_"
_SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` and base64 of random bytes, as the spec writes them."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode()


def signature_header(secrets_: Iterable[str], msg_id: str, timestamp: datetime, body: bytes) -> str:
    """The ``webhook-signature`` value: one ``v1,`` signature per secret, space-separated."""
    text = body.decode()
    return " ".join(Webhook(secret).sign(msg_id, timestamp, text) for secret in secrets_)


def signed_headers(secrets_: Iterable[str], msg_id: str, timestamp: datetime, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt at sending ``body``."""
    at = timestamp.astimezone(timezone.utc)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature_header(secrets_, msg_id, at, body),
    }


def verify(secret: str, headers: Mapping[str, str], body: bytes | str) -> Any:
    """The delivered event (parsed JSON) if ``headers`` sign ``body`` with ``secret`` within the
    spec's five-minute timestamp tolerance; raises :class:`WebhookVerificationError` otherwise."""
    return Webhook(secret).verify(body, {str(k): str(v) for k, v in headers.items()})
