"""The webhook subscriber: wakes the senders when an event that webhooks carry is recorded.

The messages themselves are written by the store in the event's own transaction (see
``store/webhooks.py``), so nothing here has to remember where it stood in the outbox: a process
that starts finds every message still due in the ``webhook_deliveries`` table, whatever happened
while no process ran. This module only decides when to look and where the sending happens:

- embedded (no broker): a pool of sender threads in this process, ``U22A8_WEBHOOKS_SENDERS`` of
  them, each attempt taking one; the dispatcher's thread only sets a flag, and predictions never
  wait for a receiver.
- scale-out (a broker): the Celery task ``u22a8.deliver_webhooks`` on the ``u22a8.webhooks``
  queue, which ``u22a8 worker`` processes consume beside their runs.

Between events it looks again every ``poll_seconds``, or when the next retry falls due.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from ..events import EVENT_TYPES, Event
from ..settings import Settings
from ..store import WEBHOOK_EVENT_TYPES, ClaimedDelivery, Store, utcnow
from .dispatcher import EventDispatcher, Subscription
from .webhook_delivery import WebhookDeliverer

__all__ = ["WebhookRunner", "WEBHOOK_EVENT_CLASSES"]

log = logging.getLogger("u22a8.webhooks")

WEBHOOK_EVENT_CLASSES: tuple[type[Event], ...] = tuple(
    EVENT_TYPES[name] for name in WEBHOOK_EVENT_TYPES if name in EVENT_TYPES)
# In scale-out, a task is sent at most this often while messages are due.
_REMOTE_EVERY_SECONDS = 1.0


class WebhookRunner:
    """Looks for due messages and has them sent: here (``send_remote`` None) or by workers."""

    def __init__(self, store: Store, settings: Settings, events: EventDispatcher, *,
                 send_remote: Callable[[], None] | None = None,
                 deliverer: WebhookDeliverer | None = None) -> None:
        self.store = store
        self.settings = settings
        self._events = events
        self._send_remote = send_remote
        self.deliverer = deliverer or WebhookDeliverer(store, settings)
        self._slots = max(1, settings.webhooks_senders)
        self._in_flight = 0
        self._count_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._subscription: Subscription | None = None
        self._last_remote = 0.0

    def start(self) -> None:
        self._subscription = self._events.subscribe(self._on_event, types=WEBHOOK_EVENT_CLASSES)
        if self._send_remote is None:
            self._pool = ThreadPoolExecutor(self._slots, thread_name_prefix="webhook-sender")
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="WebhookRunner", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._subscription is not None:
            self._subscription.cancel()
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._pool is not None:
            # Attempts in flight finish or are retried by the next process when their lease lapses.
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def nudge(self) -> None:
        """Look for due messages now (a ping or a retry by hand was just written, say)."""
        self._wake.set()

    def _on_event(self, event: Event) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                busy = self._pass()
            except Exception:  # the database may be briefly away; keep looking
                log.warning("webhook pass failed", exc_info=True)
                busy = False
            if not busy:
                self._wake.wait(self._seconds_to_sleep())

    def _pass(self) -> bool:
        """One look; True when more may be due right away."""
        due = self.store.webhooks.next_due_at()  # a read: the write lock is taken only when work is due
        if due is None or due > utcnow():
            return False
        if self._send_remote is not None:
            now = time.monotonic()
            if now - self._last_remote >= _REMOTE_EVERY_SECONDS:
                self._last_remote = now
                self._send_remote()
            return False
        with self._count_lock:
            free = self._slots - self._in_flight
        if free <= 0:
            return False
        claimed = self.deliverer.claim(free)
        for one in claimed:
            self._submit(one)
        return len(claimed) == free and free > 0

    def _submit(self, claimed: ClaimedDelivery) -> None:
        assert self._pool is not None
        with self._count_lock:
            self._in_flight += 1
        try:
            self._pool.submit(self._send, claimed)
        except RuntimeError:  # shutting down: the lease brings the message back
            with self._count_lock:
                self._in_flight -= 1

    def _send(self, claimed: ClaimedDelivery) -> None:
        try:
            self.deliverer.deliver(claimed)
        except Exception:
            log.warning("webhook %s failed to record", claimed.delivery.message_id, exc_info=True)
        finally:
            with self._count_lock:
                self._in_flight -= 1
            self._wake.set()

    def _seconds_to_sleep(self) -> float:
        poll = self.settings.poll_seconds
        with self._count_lock:
            if self._in_flight >= self._slots:
                return poll
        due = self.store.webhooks.next_due_at()
        if due is None:
            return poll
        return max(0.0, min(poll, (due - utcnow()).total_seconds()))
