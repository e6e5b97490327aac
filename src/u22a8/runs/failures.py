"""What a failed run tells API users: a short, stable reason; the details go to the log.

A run's ``error`` is read by every key that may read the model, so it must not carry what only
the operator should see (tracebacks, server paths, SQL, library internals). Errors written for
users (a data problem the engine names, a domain error) are shown as they are; every other
exception is described by the reason registered for its class, or the general one, with the
run id to find the log entry by. The worker logs the full exception itself.
"""

from __future__ import annotations

from ..engine import TooFewSamples
from ..engine.cache import EmbeddingTimeout
from ..errors import U22A8Error
from ..store import ArtifactCorrupt, StoreUnavailable

__all__ = ["public_reason", "register_reason", "register_shown", "GENERAL_REASON"]

GENERAL_REASON = "internal error while training"
_MAX_SHOWN = 500

# Exceptions whose message is written for the model's owner: shown as they are.
_shown: list[type[BaseException]] = []
# Exception class -> what to say instead of its message; the first match (in order) wins.
_reasons: list[tuple[type[BaseException], str]] = []


def register_shown(exc_type: type[BaseException]) -> None:
    """Show this exception's own message to API users (it must be written for them)."""
    _shown.append(exc_type)


def register_reason(exc_type: type[BaseException], reason: str) -> None:
    """Describe failures of this class (and its subclasses) with ``reason``."""
    _reasons.append((exc_type, reason))


def public_reason(exc: BaseException, run_id: str) -> str:
    """The run's ``error``: the exception's own words if they are meant for users, else a stable reason."""
    if isinstance(exc, tuple(_shown)):
        text = exc.detail if isinstance(exc, U22A8Error) else str(exc)
        return text[:_MAX_SHOWN]
    reason = next((words for kind, words in _reasons if isinstance(exc, kind)), GENERAL_REASON)
    return f"{reason}; the server log has the details (run {run_id})"


register_shown(TooFewSamples)
register_shown(U22A8Error)
register_reason(MemoryError, "the worker ran out of memory")
register_reason(StoreUnavailable, "the database was unavailable")
register_reason(ArtifactCorrupt, "a stored file did not match its checksum")
register_reason(EmbeddingTimeout, "computing text embeddings took too long")
register_reason(OSError, "the worker could not read or write its files")
