"""One authenticator for every front door: an API key's secret → the key, through a short cache.

The API reads the secret from the ``Authorization: Bearer`` header. The console asks for the
secret once, at sign-in, and trades it for a session (a random id in its cookie, stored hashed);
every later page names the session, which this object turns back into its key. Both front doors
ask this object, so a limit or a rule per key is added in one place.
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

    def __init__(self, store: Store, ttl: float, session_seconds: float = 12 * 3600) -> None:
        self._store = store
        self._cache = KeyCache(ttl)
        self._session_seconds = session_seconds

    def cached(self, secret: str) -> ApiKey | None:
        return self._cache.get(secret) if secret else None

    def authenticate(self, secret: str, *, fresh: bool = False) -> ApiKey | None:
        """The live key this secret belongs to, or None for an unknown or revoked one.

        ``fresh`` asks the database even when the cache knows the secret: the console's sign-in
        does, so a key revoked through any process cannot start a session.
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

    def start_session(self, secret: str) -> tuple[ApiKey, str] | None:
        """Sign in: the key of ``secret`` (asked fresh) and a new session id for the cookie, or None."""
        key = self.authenticate(secret, fresh=True)
        if key is None:
            return None
        return key, self._store.sessions.start(key.id, self._session_seconds)

    def session_key(self, session_id: str) -> ApiKey | None:
        """The key a live session acts for; asked of the database on every request (never
        cached), so sign-out, expiry and revocation through any process end it at once."""
        if not session_id:
            return None
        return self._store.sessions.key_for(session_id)

    def end_session(self, session_id: str) -> None:
        """Sign out: the session id stops working everywhere, whoever holds a copy of it."""
        if session_id:
            self._store.sessions.end(session_id)

    @property
    def session_seconds(self) -> float:
        return self._session_seconds
