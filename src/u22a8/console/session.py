"""The console's cookies: the session id, CSRF tokens, and one-shot flash messages.

The API key is typed once, at sign-in, and never stored in the browser: the cookie holds a
random session id that the service's authenticator turns into the key (the database keeps only
its hash). The session ends at sign-out, at its expiry, and when its key is revoked, so a copied
cookie stops working then. It travels only in an HttpOnly, SameSite=Strict cookie scoped to
``/console``, marked Secure over https (or always, with ``U22A8_COOKIE_SECURE``).

CSRF tokens are derived from the session id with an HMAC, so they are tied to the session
without storing anything, and an attacker who cannot read the cookie cannot compute them.
Before sign-in there is no session yet, so the sign-in form uses a random double-submit cookie.
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
    "SESSION_COOKIE",
    "LEGACY_KEY_COOKIE",
    "PRE_COOKIE",
    "FLASH_COOKIE",
    "COOKIE_PATH",
    "Flash",
    "csrf_token",
    "tokens_match",
    "set_session_cookie",
    "clear_session_cookie",
    "pre_session_token",
    "set_pre_cookie",
    "set_flash",
    "read_flash",
    "clear_flash",
    "clear_legacy_cookie",
]

SESSION_COOKIE = "u22a8_console_session"
# Before sessions the cookie held the API key itself; browsers that still send it have it deleted.
LEGACY_KEY_COOKIE = "u22a8_console_key"
PRE_COOKIE = "u22a8_console_pre"
FLASH_COOKIE = "u22a8_console_flash"
COOKIE_PATH = "/console"
_CSRF_CONTEXT = b"u22a8 console csrf v1"
_FLASH_MAX = 600


def csrf_token(session_id: str) -> str:
    """The CSRF token of a signed-in session: deterministic, so every form of the session agrees."""
    return hmac.new(session_id.encode(), _CSRF_CONTEXT, hashlib.sha256).hexdigest()[:40]


def tokens_match(sent: str | None, expected: str | None) -> bool:
    if not sent or not expected:
        return False
    return hmac.compare_digest(sent.encode(), expected.encode())


def _forced_secure(request: Request) -> bool:
    app = request.scope.get("app")
    platform = getattr(getattr(app, "state", None), "platform", None)
    return bool(platform is not None and platform.settings.cookie_secure)


def _secure(request: Request) -> bool:
    # Mark cookies Secure whenever the console is reached over TLS (directly or behind a proxy
    # that says so), and always when the operator says so; plain http on localhost must keep
    # working for the embedded default.
    if _forced_secure(request):
        return True
    proto = request.headers.get("x-forwarded-proto", request.url.scheme)
    return proto.split(",")[0].strip() == "https"


def set_session_cookie(response: Response, request: Request, session_id: str, max_age: float) -> None:
    response.set_cookie(SESSION_COOKIE, session_id, max_age=int(max_age), path=COOKIE_PATH, httponly=True,
                        samesite="strict", secure=_secure(request))
    clear_legacy_cookie(response, request)


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict",
                           secure=_secure(request))
    clear_legacy_cookie(response, request)


def clear_legacy_cookie(response: Response, request: Request) -> None:
    """An API key left in a browser by a console from before sessions: delete it."""
    if LEGACY_KEY_COOKIE in request.cookies:
        response.delete_cookie(LEGACY_KEY_COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict",
                               secure=_secure(request))


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
