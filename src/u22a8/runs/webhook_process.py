"""The embedded default's webhook sender: one child process beside the server, not its threads.

Measured (bench/webhooks.py): attempts made by threads of the serving process slowed predict
p50 by 17% while 1,000 messages drained, through the GIL (httpx, signing, ORM writes, one timer
thread per attempt) rather than through any one call. The attempts now run here, in a spawned
process: the server keeps only the dispatcher's subscription, and an event
costs it one byte written to a pipe.

Child side: one asyncio loop makes up to ``U22A8_WEBHOOKS_SENDERS`` attempts at once, claims due
messages as slots free up, records what finished together in one transaction, and sleeps until
the pipe says an event happened, an attempt ends, or the next retry falls due (``poll_seconds``
at most, for messages written by other processes).

Parent side (:class:`SenderProcess`): starts the child, nudges it, restarts it if it dies. The
pipe is also the child's lifeline: when the server exits (even by SIGKILL) its end closes and the
child stops; messages it held come back when their leases lapse (at-least-once).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
from datetime import datetime
from multiprocessing.connection import Connection, wait
from typing import Any

from ..settings import Settings
from ..store import AttemptOutcome, ClaimedDelivery, Store, utcnow
from .lifetime import leave_interrupts_to_parent
from .webhook_delivery import WebhookDeliverer
from .webhook_sender import new_client

__all__ = ["SenderProcess", "SendingLoop"]

log = logging.getLogger("u22a8.webhooks")

_RESTART_AFTER_SECONDS = 1.0
# How long finished attempts wait for others to finish before they are recorded together.
_GATHER_SECONDS = 0.05


class SenderProcess:
    """The parent's handle on the sender child."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._proc: multiprocessing.process.BaseProcess | None = None
        self._wake_fd: int | None = None
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self) -> None:
        self._stopping.clear()
        self._spawn()
        self._watcher = threading.Thread(target=self._watch, name="WebhookSenderWatch", daemon=True)
        self._watcher.start()

    def _spawn(self) -> None:
        ctx = multiprocessing.get_context("spawn")  # not fork: this process has threads
        reader, writer = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child_main, args=(self.settings.model_dump(), reader),
                           name="u22a8-webhook-sender", daemon=True)
        proc.start()
        reader.close()
        os.set_blocking(writer.fileno(), False)  # a nudge never waits
        with self._lock:
            if self._stopping.is_set():  # stop() came while this restart started: end it again
                writer.close()
                return
            old = self._wake_fd
            self._proc, self._wake_fd = proc, os.dup(writer.fileno())
        writer.close()
        if old is not None:
            os.close(old)

    def nudge(self) -> None:
        """Tell the child to look for due messages now."""
        with self._lock:
            fd = self._wake_fd
            if fd is None:
                return
            try:
                os.write(fd, b"\0")
            except BlockingIOError:  # the pipe is full of nudges not yet read: the child will look
                pass
            except OSError:  # the child is gone; the watcher starts another
                pass

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        with self._lock:
            proc, fd, self._wake_fd = self._proc, self._wake_fd, None
        if fd is not None:
            os.close(fd)  # the child reads end of file and stops
        if proc is not None:
            proc.join(timeout)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout)
        if self._watcher is not None:
            self._watcher.join(timeout)
            self._watcher = None

    def _watch(self) -> None:
        """Block on the child's exit (no polling); start a new one unless we are stopping."""
        while not self._stopping.is_set():
            proc = self._proc
            if proc is None:
                return
            wait([proc.sentinel])
            if self._stopping.wait(_RESTART_AFTER_SECONDS):
                return
            log.error("the webhook sender process exited (code %s); starting another", proc.exitcode)
            self._spawn()


def _child_main(settings_data: dict[str, Any], wake: Connection) -> None:
    # Not niced like training (nice 10): on a busy machine (bench/RESULTS.md) a sender at nice 10
    # left events 8 s from their first attempt and one at nice 5 still 1 s (the target is 1 s);
    # the attempts cost the server's cores about 3 ms of CPU each, in this process.
    if not logging.getLogger().handlers:  # a spawned child starts with no logging set up
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    leave_interrupts_to_parent()
    settings = Settings(**settings_data)
    store = Store(settings.resolved_database_url, settings.resolved_artifacts)
    try:
        asyncio.run(SendingLoop(WebhookDeliverer(store, settings), settings.poll_seconds).run(wake.fileno()))
    finally:
        store.close()


class SendingLoop:
    """Keeps up to ``deliverer.slots`` attempts going until the wake pipe closes."""

    def __init__(self, deliverer: WebhookDeliverer, poll_seconds: float) -> None:
        self.deliverer = deliverer
        self.poll_seconds = poll_seconds
        self._in_flight: dict[asyncio.Task[AttemptOutcome], ClaimedDelivery] = {}

    async def run(self, wake_fd: int) -> None:
        loop = asyncio.get_running_loop()
        woken = asyncio.Event()
        closed = asyncio.Event()

        def readable() -> None:
            try:
                data = os.read(wake_fd, 4096)
            except BlockingIOError:
                return
            if not data:  # the parent is gone or stopping
                loop.remove_reader(wake_fd)
                closed.set()
            woken.set()

        os.set_blocking(wake_fd, False)
        loop.add_reader(wake_fd, readable)
        async with new_client() as client:
            waiter = asyncio.ensure_future(woken.wait())
            try:
                while not closed.is_set():
                    woken.clear()
                    sleep = self._step(client)
                    if waiter.done():
                        waiter = asyncio.ensure_future(woken.wait())
                    await asyncio.wait({waiter, *self._in_flight}, timeout=sleep,
                                       return_when=asyncio.FIRST_COMPLETED)
                    if not waiter.done() and any(t.done() for t in self._in_flight) \
                            and len(self._in_flight) > 1:
                        # Attempts ended while others run: let a few more end, and record and
                        # refill them together (fewer transactions and wake-ups while a backlog
                        # drains; an event still wakes the loop at once).
                        await asyncio.wait({waiter}, timeout=_GATHER_SECONDS)
                    self._record_finished()
            finally:
                waiter.cancel()
                for task in self._in_flight:  # their leases bring them back to whoever sends next
                    task.cancel()

    def _step(self, client: Any) -> float | None:
        """Claim for the free slots and start their attempts; how long to sleep (None: until woken)."""
        free = self.deliverer.slots - len(self._in_flight)
        if free <= 0:
            return None  # an attempt ending wakes the loop
        try:
            claimed = self.deliverer.claim(free)
        except Exception:  # the database may be briefly away; look again at the next poll
            log.warning("webhook claim failed", exc_info=True)
            return self.poll_seconds
        for c in claimed:
            self._in_flight[asyncio.ensure_future(self.deliverer.attempt(c, client))] = c
        if len(claimed) == free:
            return None  # every slot is busy: an attempt ending wakes the loop
        return self._until_due()

    def _until_due(self) -> float:
        try:
            due: datetime | None = self.deliverer.store.webhooks.next_due_at()
        except Exception:
            log.warning("webhook look-up failed", exc_info=True)
            return self.poll_seconds
        if due is None:
            return self.poll_seconds
        return max(0.0, min(self.poll_seconds, (due - utcnow()).total_seconds()))

    def _record_finished(self) -> None:
        done = [(task, c) for task, c in self._in_flight.items() if task.done()]
        if not done:
            return
        for task, _ in done:
            del self._in_flight[task]
        results = []
        for task, c in done:
            exc = None if task.cancelled() else task.exception()
            if task.cancelled() or exc is not None:  # a bug, not the receiver: the lease brings it back
                log.error("webhook %s: attempt raised", c.delivery.message_id, exc_info=exc)
                continue
            results.append((c, task.result()))
        try:
            self.deliverer.record(results)
        except Exception:  # not recorded: the lease brings these back, and they are sent again
            log.warning("webhook results not recorded", exc_info=True)
