"""A child process ends when the process that started it is gone.

A server killed with SIGKILL (an operator's ``kill -9``, the OOM killer, a test) runs no clean-up:
its spawned children (training pool workers, the API processes of ``serve --workers N``) would
live on as orphans, holding memory, the port and, for a training worker, a run whose lease they
keep renewing. Nothing tells a spawned child that its parent died (the pipes a
``ProcessPoolExecutor`` child reads are open in the child itself too, so it never reads end of
file), so each such child watches its parent id and exits when it changes.
"""

from __future__ import annotations

import os
import signal
import threading
import time

__all__ = ["exit_with_parent", "leave_interrupts_to_parent", "no_shared_progress_lock"]

ORPHAN_EXIT_CODE = 3  # what an orphan exits with (training pool children, Celery prefork children, API processes)


def exit_with_parent(parent_pid: int, interval: float = 0.5) -> threading.Thread:
    """Start a daemon thread that ends this process once its parent is no longer ``parent_pid``.

    ``os._exit``: an orphan must not run atexit handlers or join threads that wait on the dead
    parent; its run's lease lapses and the next server's reaper re-queues it."""

    def _watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(interval)
        os._exit(ORPHAN_EXIT_CODE)

    if os.getppid() != parent_pid:  # already orphaned before the watch began
        os._exit(ORPHAN_EXIT_CODE)
    watcher = threading.Thread(target=_watch, name="exit-with-parent", daemon=True)
    watcher.start()
    return watcher


def leave_interrupts_to_parent() -> None:
    """Ignore SIGINT in a helper process (a training process, the webhook sender).

    Ctrl-C in a terminal interrupts the whole process group; the server stops its helpers itself
    when it gets it, and a helper interrupted on its own printed a KeyboardInterrupt traceback
    (the webhook sender's was then started again while the server was shutting down)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def no_shared_progress_lock() -> None:
    """Give tqdm a thread lock in a training process, before anything makes it a process one.

    A terminated process leaves behind the named semaphores it created, and Python's resource
    tracker reports them as "leaked semaphore objects" when the server exits. Training processes
    are terminated when the server stops (a run may be mid-fit), and the one such semaphore a
    run makes is tqdm's write lock: model2vec's encode builds a (disabled) progress bar, and
    tqdm's first bar creates a multiprocessing lock. These processes share no terminal, so a
    thread lock does that lock's job."""
    try:
        from tqdm import tqdm
    except ImportError:  # nothing installed uses it then
        return
    tqdm.set_lock(threading.RLock())
