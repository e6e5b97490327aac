"""One authenticator for every front door: an API key's secret → the key, through a short cache.

The API reads the secret from the ``Authorization: Bearer`` header, the console from its
session cookie; both ask this object, so a limit or a rule per key is added in one place.
"""

from __future__ import annotations

import time

from ..store import ApiKey, Store

__all__ = ["Authenticator", "KeyCache"]

# Past this many cached secrets the cache starts over: a flood of distinct keys must not grow it.
_MAX_CACHED = 10_000


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
        if len(self._items) > _MAX_CACHED:
            self._items.clear()
        self._items[secret] = (key, time.monotonic() + self._ttl)

    def forget(self, key_id: str) -> None:
        for secret, (key, _) in list(self._items.items()):
            if key.id == key_id:
                self._items.pop(secret, None)


class Authenticator:
    """Secrets → keys. ``cached`` needs no I/O (async callers try it first); ``authenticate`` may
    read the database (async callers run it in a thread)."""

    def __init__(self, store: Store, ttl: float) -> None:
        self._store = store
        self._cache = KeyCache(ttl)

    def cached(self, secret: str) -> ApiKey | None:
        return self._cache.get(secret) if secret else None

    def authenticate(self, secret: str, *, fresh: bool = False) -> ApiKey | None:
        """The live key this secret belongs to, or None for an unknown or revoked one.

        ``fresh`` asks the database even when the cache knows the secret: the console's session
        does, so revoking a key through any process ends its console sessions at once.
        """
        if not secret:
            return None
        key = None if fresh else self._cache.get(secret)
        if key is None:
            key = self._store.keys.authenticate(secret)
            if key is not None:
                self._cache.put(secret, key)
        return key

    def forget(self, key_id: str) -> None:
        """A key was revoked: stop answering from the cache for it at once."""
        self._cache.forget(key_id)
