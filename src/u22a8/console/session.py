"""The console's cookies: the signed-in key, CSRF tokens, and one-shot flash messages.

The session *is* the API key: the console keeps no server-side session table, so any number
of stateless API processes can serve it, and revoking a key signs its console users out at
once. The key travels only in an HttpOnly, SameSite=Strict cookie scoped to ``/console``.

CSRF tokens are derived from that secret with an HMAC, so they are tied to the session
without storing anything, and an attacker who cannot read the cookie cannot compute them.
Before sign-in there is no secret yet, so the sign-in form uses a random double-submit cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Literal

from starlette.requests import Request
from starlette.responses import Response

__all__ = [
    "KEY_COOKIE",
    "PRE_COOKIE",
    "FLASH_COOKIE",
    "COOKIE_PATH",
    "Flash",
    "csrf_token",
    "tokens_match",
    "set_key_cookie",
    "clear_key_cookie",
    "pre_session_token",
    "set_pre_cookie",
    "set_flash",
    "read_flash",
    "clear_flash",
]

KEY_COOKIE = "u22a8_console_key"
PRE_COOKIE = "u22a8_console_pre"
FLASH_COOKIE = "u22a8_console_flash"
COOKIE_PATH = "/console"
# A working day: long enough not to nag, short enough that a forgotten browser signs itself out.
SESSION_SECONDS = 12 * 3600
_CSRF_CONTEXT = b"u22a8 console csrf v1"
_FLASH_MAX = 600


def csrf_token(secret: str) -> str:
    """The CSRF token of a signed-in session: deterministic, so every form of the session agrees."""
    return hmac.new(secret.encode(), _CSRF_CONTEXT, hashlib.sha256).hexdigest()[:40]


def tokens_match(sent: str | None, expected: str | None) -> bool:
    if not sent or not expected:
        return False
    return hmac.compare_digest(sent.encode(), expected.encode())


def _secure(request: Request) -> bool:
    # Mark cookies Secure whenever the console is reached over TLS (directly or behind a proxy
    # that says so); plain http on localhost must keep working for the embedded default.
    proto = request.headers.get("x-forwarded-proto", request.url.scheme)
    return proto.split(",")[0].strip() == "https"


def set_key_cookie(response: Response, request: Request, secret: str) -> None:
    response.set_cookie(KEY_COOKIE, secret, max_age=SESSION_SECONDS, path=COOKIE_PATH, httponly=True,
                        samesite="strict", secure=_secure(request))


def clear_key_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(KEY_COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict", secure=_secure(request))


def pre_session_token(request: Request) -> tuple[str, bool]:
    """The sign-in form's token: the browser's double-submit cookie, or a new one (then True)."""
    token = request.cookies.get(PRE_COOKIE, "")
    if len(token) == 32 and token.isalnum():
        return token, False
    return secrets.token_hex(16), True


def set_pre_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(PRE_COOKIE, token, max_age=3600, path=COOKIE_PATH, httponly=True,
                        samesite="strict", secure=_secure(request))


@dataclass(frozen=True)
class Flash:
    """A message for the next page after a redirect (post/redirect/get)."""

    kind: Literal["notice", "error"]
    text: str


def set_flash(response: Response, request: Request, kind: Literal["notice", "error"], text: str) -> None:
    # base64 of JSON: cookie values cannot hold arbitrary Unicode, and messages quote user input.
    raw = json.dumps({"k": kind, "t": text[:_FLASH_MAX]}).encode()
    value = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    response.set_cookie(FLASH_COOKIE, value, max_age=60, path=COOKIE_PATH, httponly=True, samesite="strict",
                        secure=_secure(request))


def read_flash(request: Request) -> Flash | None:
    value = request.cookies.get(FLASH_COOKIE)
    if not value:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        kind = "error" if data.get("k") == "error" else "notice"
        return Flash(kind, str(data["t"])[:_FLASH_MAX])
    except (ValueError, KeyError, TypeError, AttributeError):
        return None  # a mangled cookie is dropped, not an error page


def clear_flash(response: Response, request: Request) -> None:
    """Shown once: the page that displayed the message deletes it."""
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict",
                               secure=_secure(request))
