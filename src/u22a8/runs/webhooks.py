"""The webhook subscriber: wakes the senders when an event that webhooks carry is recorded.

The messages themselves are written by the store in the event's own transaction (see
``store/webhooks.py``), so nothing here has to remember where it stood in the outbox: a process
that starts finds every message still due in the ``webhook_deliveries`` table, whatever happened
while no process ran. This module only decides when to look and where the sending happens:

- embedded (no broker): a sender child process (``webhook_process.py``) making up to
  ``U22A8_WEBHOOKS_SENDERS`` attempts at once; the dispatcher's thread only writes a byte to its
  pipe, so predictions share neither a thread nor the GIL with the attempts.
- scale-out (a broker): the Celery task ``u22a8.deliver_webhooks`` on the ``u22a8.webhooks``
  queue, which ``u22a8 worker`` processes consume beside their runs.

Between events it looks again every ``poll_seconds``, or when the next retry falls due (the
child does this itself on the embedded default).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from ..events import EVENT_TYPES, Event
from ..settings import Settings
from ..store import WEBHOOK_EVENT_TYPES, Store, utcnow
from .dispatcher import EventDispatcher, Subscription
from .webhook_process import SenderProcess

__all__ = ["WebhookRunner", "WEBHOOK_EVENT_CLASSES"]

log = logging.getLogger("u22a8.webhooks")

WEBHOOK_EVENT_CLASSES: tuple[type[Event], ...] = tuple(
    EVENT_TYPES[name] for name in WEBHOOK_EVENT_TYPES if name in EVENT_TYPES)
# In scale-out, a task is sent at most this often while messages are due.
_REMOTE_EVERY_SECONDS = 1.0


class WebhookRunner:
    """Has due messages sent: by a child process here (``send_remote`` None) or by workers."""

    def __init__(self, store: Store, settings: Settings, events: EventDispatcher, *,
                 send_remote: Callable[[], None] | None = None) -> None:
        self.store = store
        self.settings = settings
        self._events = events
        self._send_remote = send_remote
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._process: SenderProcess | None = None
        self._subscription: Subscription | None = None
        self._last_remote = 0.0

    @property
    def sender_pid(self) -> int | None:
        """The embedded sender process's id (None in scale-out)."""
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        self._stopping.clear()
        if self._send_remote is None:
            self._process = SenderProcess(self.settings)
            self._process.start()
        else:
            self._thread = threading.Thread(target=self._loop, name="WebhookRunner", daemon=True)
            self._thread.start()
        self._subscription = self._events.subscribe(self._on_event, types=WEBHOOK_EVENT_CLASSES)

    def stop(self) -> None:
        if self._subscription is not None:
            self._subscription.cancel()
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._process is not None:
            # Attempts in flight are dropped; the next sender retries them when their leases lapse.
            self._process.stop()
            self._process = None

    def nudge(self) -> None:
        """Look for due messages now (a ping or a retry by hand was just written, say)."""
        if self._process is not None:
            self._process.nudge()
        else:
            self._wake.set()

    def _on_event(self, event: Event) -> None:
        self.nudge()

    # scale-out: ask a worker when something is due ------------------------------------------

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                self._pass()
            except Exception:  # the database may be briefly away; keep looking
                log.warning("webhook pass failed", exc_info=True)
            self._wake.wait(self._seconds_to_sleep())

    def _pass(self) -> None:
        due = self.store.webhooks.next_due_at()  # a read: the workers claim
        if due is None or due > utcnow():
            return
        assert self._send_remote is not None
        now = time.monotonic()
        if now - self._last_remote >= _REMOTE_EVERY_SECONDS:
            self._last_remote = now
            self._send_remote()

    def _seconds_to_sleep(self) -> float:
        """Until the next message falls due, but not before another task may be sent (no busy loop
        while a due message waits for a free worker); events wake the loop sooner."""
        poll = max(self.settings.poll_seconds, _REMOTE_EVERY_SECONDS)  # no task is sent more often anyway
        due = self.store.webhooks.next_due_at()
        if due is None:
            return poll
        until_due = (due - utcnow()).total_seconds()
        until_send = _REMOTE_EVERY_SECONDS - (time.monotonic() - self._last_remote)
        return max(0.0, min(poll, max(until_due, until_send)))
