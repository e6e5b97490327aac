"""The rules of ``run.wait()`` without I/O, so ``Run`` and ``AsyncRun`` wait alike.

A waiter reports a run to ``on_progress`` the first time and then whenever it changes in a
way a person would notice (see ``_progress_key``), stops once the run is final, and gives up
with ``TimeoutError`` once the time allowed has passed. The two run classes only sleep and
refresh, blocking or with ``await``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Watch"]


class Watch:
    """One wait: ``timeout`` seconds from now (None: no limit), on ``clock`` (a monotonic clock)."""

    def __init__(self, timeout: float | None, clock: Callable[[], float]) -> None:
        self._timeout = timeout
        self._clock = clock
        self._deadline = None if timeout is None else clock() + timeout
        self._seen: tuple[Any, ...] | None = None

    def changed(self, run: Any) -> bool:
        """Whether ``run`` is news to ``on_progress``: the first one, then each that differs."""
        key = run._progress_key()
        if key == self._seen:
            return False
        self._seen = key
        return True

    def over(self, run: Any) -> bool:
        """True once ``run`` is final; raises ``TimeoutError`` if it is not and the time is up."""
        if run.done:
            return True
        if self._deadline is not None and self._clock() >= self._deadline:
            raise TimeoutError(f"run {run.id} still {run.state} after {self._timeout} s")
        return False
