"""A quiet start: on a healthy start ``u22a8 serve``, ``u22a8 worker`` and ``make run`` print our own
lines only, not the load reports, banners, progress bars and advisory warnings of the libraries
underneath (uvicorn, Celery, torch, transformers, sentence-transformers, tqdm).

Errors still show: only chatter is silenced. Library loggers stay at WARNING; ``--log-level
debug`` (serve) or ``--loglevel`` style settings bring the details back. Environment variables
are set with ``setdefault`` so an operator's own choice wins, and they reach the processes this
one starts (the embedded executor's training workers, Celery's prefork children).
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from typing import Any

from ._version import __version__

__all__ = ["quiet_libraries", "say", "startup_line", "quiet_celery_worker"]

_ENV = {
    "TRANSFORMERS_VERBOSITY": "error",  # "Some weights of … were not initialized" and friends
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TQDM_DISABLE": "1",  # progress bars of any library using tqdm (a server's log is no terminal)
    "TOKENIZERS_PARALLELISM": "false",  # else a warning at the first fork after tokenizing
}
_NOISY_LOGGERS = ("transformers", "sentence_transformers", "torch", "huggingface_hub", "filelock", "urllib3",
                  "optuna", "celery", "kombu", "amqp")


def quiet_libraries() -> None:
    """Silence library chatter in this process and the ones it starts."""
    for key, value in _ENV.items():
        os.environ.setdefault(key, value)
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.getLogger(name).level, logging.WARNING))
    # Loading the packaged MiniLM into transformers' BertModel logs a "LOAD REPORT" table as a
    # warning (one stored buffer the class no longer declares): advice to model authors, printed
    # on every first `make run` while `u22a8 prepare` distils and exports the model.
    logging.getLogger("transformers.modeling_utils").setLevel(logging.ERROR)
    # Advice addressed to library developers, not to an operator starting a server.
    for category in (FutureWarning, DeprecationWarning, PendingDeprecationWarning):
        warnings.filterwarnings("ignore", category=category)


def say(line: str) -> None:
    """One of our own startup lines, on stderr with the logs (stdout may be a pipe for JSON).

    The process's real stderr: a Celery worker redirects ``sys.stderr`` into its log as warnings."""
    stream = sys.__stderr__ or sys.stderr
    print(line, file=stream, flush=True)


def startup_line(what: str, where: str) -> str:
    return f"u22a8 {__version__}: {what} {where}"


def quiet_celery_worker(describe: str) -> tuple[list[str], list[str]]:
    """Celery options and signal hooks for a worker that says one line when it is ready.

    Celery's banner and its INFO lines go (``--quiet``, log level WARNING); our own logger keeps
    INFO, so a run's phases still show. The warning Celery gives when a worker runs as root is
    replaced by one line of ours with the same advice.
    """
    from celery import signals
    from celery.exceptions import SecurityWarning

    warnings.filterwarnings("ignore", category=SecurityWarning)

    @signals.after_setup_logger.connect(weak=False)
    def _own_logs(**_: Any) -> None:
        logging.getLogger("u22a8").setLevel(logging.INFO)

    @signals.worker_ready.connect(weak=False)
    def _ready(**_: Any) -> None:
        say(startup_line("worker ready,", describe))
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            say("u22a8 worker: running as root; in production run workers as an unprivileged user")

    return ["--quiet"], ["--loglevel=WARNING"]  # (before the "worker" command, after it)
