"""Bearer keys, scopes, and who may see which model.

A key reads and writes its own owner's models; every key may read and predict with models of
the platform owner ``u22a8``. Any other model answers 404, so a key never learns whether another
owner's model exists.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from ..errors import Forbidden, NotFound, Unauthorized
from ..store import ApiKey
from .deps import PlatformDep
from .schemas import HANDLE_RE

__all__ = ["KeyDep", "KeyCache", "require", "check_model_access", "checked_handle", "PLATFORM_OWNER"]

PLATFORM_OWNER = "u22a8"


class KeyCache:
    """Recently authenticated keys, so the hot path skips a database round trip and a thread hop.

    An entry lives ``ttl`` seconds: a key revoked through another process stops working within
    that time; revoking through this process drops it at once.
    """

    def __init__(self, ttl: float) -> None:
        self._ttl = ttl
        self._items: dict[str, tuple[ApiKey, float]] = {}

    def get(self, secret: str) -> ApiKey | None:
        hit = self._items.get(secret)
        if hit is None or hit[1] < time.monotonic():
            return None
        return hit[0]

    def put(self, secret: str, key: ApiKey) -> None:
        if len(self._items) > 10_000:
            self._items.clear()
        self._items[secret] = (key, time.monotonic() + self._ttl)

    def forget(self, key_id: str) -> None:
        for secret, (key, _) in list(self._items.items()):
            if key.id == key_id:
                self._items.pop(secret, None)


async def current_key(request: Request, platform: PlatformDep) -> ApiKey:
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise Unauthorized("send an API key as 'Authorization: Bearer <key>'")
    key = platform.key_cache.get(secret)
    if key is None:
        key = await run_in_threadpool(platform.store.keys.authenticate, secret)
        if key is None:
            raise Unauthorized("unknown or revoked API key")
        platform.key_cache.put(secret, key)
    request.state.key = key
    return key


KeyDep = Annotated[ApiKey, Depends(current_key)]


def require(key: ApiKey, scope: str) -> None:
    if scope not in key.scopes and "admin" not in key.scopes:
        raise Forbidden(f"this key lacks the {scope!r} scope")


def checked_handle(handle: str) -> str:
    """A handle from a path: bad characters (or ``../``) are a 404 like any unknown model."""
    if not HANDLE_RE.match(handle):
        raise NotFound(f"no model {handle[:120]!r} (handles are owner.name in [a-z0-9_-])")
    return handle


def check_model_access(key: ApiKey, handle: str, scope: str) -> None:
    """Raise NotFound unless ``key`` may act on ``handle`` with ``scope`` (Forbidden if only the scope is missing)."""
    owner = handle.split(".", 1)[0]
    public_read = owner == PLATFORM_OWNER and scope == "read"
    if owner != key.owner and not public_read:
        raise NotFound(f"no model {handle!r}")
    require(key, scope)
