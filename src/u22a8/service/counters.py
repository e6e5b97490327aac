"""Request counters in this process's memory, behind the `limits` library's storage interface.

The embedded default's storage. The library's own memory storage expires windows with a timer
thread started again after every idle spell, which on the predict path costs more than the count
itself; here a window that has passed is simply started over when its key is next hit, and the
table is swept of passed windows only when it grows large.
"""

from __future__ import annotations

import threading
import time

from limits.storage import Storage

__all__ = ["ProcessCounterStorage"]

_SWEEP_ABOVE = 100_000


class ProcessCounterStorage(Storage):
    """Fixed-window counters in a dict: key → [count, window end in epoch seconds]."""

    STORAGE_SCHEME = ["u22a8-process"]

    def __init__(self) -> None:
        super().__init__()
        self._counts: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return ()  # memory does not fail the way a remote store does

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with self._lock:
            entry = self._counts.get(key)
            if entry is None or entry[1] <= now:
                if len(self._counts) > _SWEEP_ABOVE:
                    self._sweep(now)
                entry = self._counts[key] = [0, now + expiry]
            entry[0] += amount
            return int(entry[0])

    def get(self, key: str) -> int:
        entry = self._counts.get(key)
        return int(entry[0]) if entry is not None and entry[1] > time.time() else 0

    def get_expiry(self, key: str) -> float:
        entry = self._counts.get(key)
        return entry[1] if entry is not None else time.time()

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self._lock:
            count = len(self._counts)
            self._counts.clear()
        return count

    def clear(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)

    def _sweep(self, now: float) -> None:
        for key in [k for k, (_, end) in self._counts.items() if end <= now]:
            del self._counts[key]
