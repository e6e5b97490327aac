"""Per-key request limits and caps on open event streams, counted with the `limits` library.

Every action that writes, trains or predicts passes :func:`u22a8.service.access.enter`, which
asks :meth:`RateLimits.admit` before anything else; both front doors reach the actions only
through there, so one count covers the API and the console alike.

A class of actions (``predict``, ``writes``, ``train``) has one limit per key, from the settings
(``U22A8_RATE_LIMIT_<CLASS>``) unless the key carries its own (``ApiKey.rate_limits``, e.g.
``"predict=100/minute;train=none"``). Counters are fixed windows; where they live decides who
shares them: this process's memory (the embedded default, ``counters.py``), the broker's Redis, or the platform
database (:class:`u22a8.store.DatabaseCounterStorage`) when several API processes run without Redis.
A counter store that does not answer lets requests through (and says so in the log): a limit
protects the platform, it must not take it down.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from ..errors import InvalidRequest, RateLimited
from ..settings import Settings
from ..store import ApiKey, DatabaseCounterStorage, Store
from .counters import ProcessCounterStorage

__all__ = ["LIMIT_CLASSES", "RateLimits", "StreamSlots", "counter_storage", "check_key_limits"]

log = logging.getLogger("u22a8.limits")

LIMIT_CLASSES = ("predict", "writes", "train")
_UNLIMITED = ("", "none", "off", "unlimited")


def _item(text: str, where: str) -> RateLimitItem | None:
    if text.strip().lower() in _UNLIMITED:
        return None
    try:
        return parse(text)
    except ValueError as exc:
        raise InvalidRequest(f"{where}: {text!r} is not a limit such as '600/minute' or 'none'") from exc


def check_key_limits(text: str | None) -> dict[str, RateLimitItem | None]:
    """A key's own limits ``"class=limit;…"``, checked; raises InvalidRequest naming what is wrong."""
    out: dict[str, RateLimitItem | None] = {}
    for part in (text or "").split(";"):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or name not in LIMIT_CLASSES:
            raise InvalidRequest(f"rate_limits: {part.strip()!r} must be <class>=<limit> with class one of "
                                 + ", ".join(LIMIT_CLASSES))
        out[name] = _item(value, f"rate_limits.{name}")
    return out


def counter_storage(settings: Settings, store: Store) -> Storage:
    """Where the counters live (see the module's docstring)."""
    choice = settings.rate_limit_storage
    if choice is None:
        broker = settings.broker_url or ""
        choice = "memory" if not broker else broker if broker.startswith(("redis://", "rediss://")) else "database"
    if choice == "memory":
        return ProcessCounterStorage()
    if choice == "database":
        return DatabaseCounterStorage(store.db)
    return storage_from_string(choice)


@dataclass(frozen=True)
class _Policy:
    name: str
    item: RateLimitItem

    @property
    def header(self) -> str:
        return f'"{self.name}";q={self.item.amount};w={self.item.get_expiry()}'


class RateLimits:
    """``admit(key, class)``: count one request, or raise ``RateLimited`` with the headers to send."""

    def __init__(self, settings: Settings, storage: Storage) -> None:
        self._storage = storage
        self._limiter = FixedWindowRateLimiter(storage)
        self._defaults = {name: _item(getattr(settings, f"rate_limit_{name}"), f"U22A8_RATE_LIMIT_{name.upper()}")
                          for name in LIMIT_CLASSES}
        self._own: dict[str, Mapping[str, RateLimitItem | None]] = {}
        # Counters in this process's memory: counting does no I/O, so it may run on the event loop.
        self.in_process = isinstance(storage, ProcessCounterStorage)

    def _policy(self, key: ApiKey, limit_class: str) -> _Policy | None:
        item = self._defaults[limit_class]
        if key.rate_limits:
            own = self._own.get(key.rate_limits)
            if own is None:
                if len(self._own) > 10_000:  # many distinct settings must not grow the memo without end
                    self._own.clear()
                own = self._own[key.rate_limits] = check_key_limits(key.rate_limits)
            item = own.get(limit_class, item)
        return None if item is None else _Policy(limit_class, item)

    def counts_in_memory(self, key: ApiKey, limit_class: str) -> bool:
        """Whether admitting ``key`` in ``limit_class`` does no I/O: the counters live in this
        process, or this key is not limited in that class (nothing is counted). Several API
        processes count in the database or Redis, so only an unlimited key skips that there."""
        return self.in_process or self._policy(key, limit_class) is None

    def admit(self, key: ApiKey, limit_class: str | None) -> None:
        """Count one request of ``key`` in ``limit_class`` (None: not limited)."""
        if limit_class is None:
            return
        policy = self._policy(key, limit_class)
        if policy is None:
            return
        try:
            if self._limiter.hit(policy.item, key.id, limit_class):
                return
            reset = self._limiter.get_window_stats(policy.item, key.id, limit_class).reset_time
        except self._storage.base_exceptions:  # type: ignore[misc]
            log.warning("the rate-limit counters do not answer; admitting the request", exc_info=True)
            return
        wait = max(1, math.ceil(reset - time.time()))
        raise RateLimited(
            f"this key made more than {policy.item.amount} {limit_class} requests in {policy.item.get_expiry()} s; "
            f"retry after {wait} s",
            headers={"Retry-After": str(wait), "RateLimit-Policy": policy.header,
                     "RateLimit": f'"{limit_class}";r=0;t={wait}'},
            limit_class=limit_class, retry_after_seconds=wait,
        )


class StreamSlots:
    """How many event streams each key holds open in this process, capped."""

    def __init__(self, cap: int) -> None:
        self._cap = cap
        self._open: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, key: ApiKey) -> Callable[[], None]:
        """A slot for one stream of ``key`` (call the returned function when the stream ends)."""
        with self._lock:
            held = self._open.get(key.id, 0)
            if held >= self._cap:
                raise RateLimited(f"this key already holds {held} open event streams; close one first",
                                  headers={"Retry-After": "5"}, limit_class="event_streams", retry_after_seconds=5)
            self._open[key.id] = held + 1
        released = False

        def release() -> None:
            nonlocal released
            with self._lock:
                if not released:
                    released = True
                    left = self._open.get(key.id, 1) - 1
                    if left > 0:
                        self._open[key.id] = left
                    else:
                        self._open.pop(key.id, None)

        return release
