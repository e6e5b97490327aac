"""The artifact store contract, and the registry that picks a backend by URL scheme.

An :class:`ArtifactStore` keeps bytes under keys such as ``acme.tone/run_ab12.u22a8``: written
once, read back only if they still match the SHA-256 recorded when they were written, and deleted
by the model's prefix when the model is deleted. A backend implements ``_write``, ``_read``,
``_delete`` and ``_delete_prefix``; the checksums and the key rules are this class's, so every backend keeps them.

Adding a backend is one module: subclass :class:`ArtifactStore`, decorate it with
:func:`register_backend` for its URL schemes, import it in :mod:`u22a8.store.artifacts`.
"""

from __future__ import annotations

import abc
import hashlib
import logging
from collections.abc import Callable
from typing import TypeVar

from ...errors import ArtifactUnavailable

__all__ = ["ArtifactStore", "ArtifactCorrupt", "UNREADABLE_HINT", "register_backend", "backend_for", "registered_backends"]

S = TypeVar("S", bound="type[ArtifactStore]")

log = logging.getLogger("u22a8.store")

# What an API user is told; the paths and the OS's words go to the log only.
UNREADABLE_HINT = ("this server cannot read the stored model file; check that the API and every worker use the "
                   "same U22A8_ARTIFACTS_DIR (one shared directory or bucket) and that the API may read it")


class ArtifactCorrupt(RuntimeError):
    """The stored bytes do not match the checksum recorded when they were written."""


class ArtifactStore(abc.ABC):
    """Bytes under keys: ``put`` returns the SHA-256, ``get`` refuses bytes that do not match it."""

    @abc.abstractmethod
    def _write(self, key: str, data: bytes) -> None: ...

    @abc.abstractmethod
    def _read(self, key: str) -> bytes: ...

    @abc.abstractmethod
    def exists(self, key: str) -> bool:
        """Whether this process sees the file at ``key``."""

    @abc.abstractmethod
    def describe(self) -> str:
        """Where the files are, for the operator's log."""

    @abc.abstractmethod
    def _delete(self, key: str) -> None:
        """Remove ``key`` if it is there; a missing key is no error."""

    @abc.abstractmethod
    def _delete_prefix(self, prefix: str) -> None:
        """Remove every key under ``prefix`` (a model's folder); nothing there is not an error."""

    def put(self, key: str, data: bytes) -> str:
        """Store ``data`` under ``key`` and return its SHA-256."""
        self._write(_checked_key(key), data)
        return hashlib.sha256(data).hexdigest()

    def get(self, key: str, sha256: str) -> bytes:
        """The bytes written under ``key``; ArtifactUnavailable if this process cannot read them."""
        try:
            data = self._read(_checked_key(key))
        except OSError as exc:  # missing (another machine's disk), unreadable, or the bucket is down
            log.error("artifact %r unreadable in %s: %s", key, self.describe(), exc)
            raise ArtifactUnavailable(UNREADABLE_HINT) from exc
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ArtifactCorrupt(f"artifact {key!r} does not match its checksum")
        return data

    def delete(self, key: str) -> None:
        """Remove one artifact (and, where folders exist, its model's folder once empty)."""
        self._delete(_checked_key(key))

    def delete_prefix(self, prefix: str) -> None:
        """Delete every artifact whose key starts with ``prefix/`` (one model's artifacts)."""
        self._delete_prefix(_checked_key(prefix.rstrip("/")))


def _checked_key(key: str) -> str:
    # Keys name a place inside the store: relative, '/'-separated, no '..', no empty parts.
    parts = key.split("/")
    if not key or key.startswith("/") or "\\" in key or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"artifact key escapes the store or is malformed: {key!r}")
    return key


_BACKENDS: dict[str, Callable[[str], ArtifactStore]] = {}


def register_backend(*schemes: str) -> Callable[[S], S]:
    """Class decorator: ``cls(location)`` serves URLs of these schemes ('' for a plain path, '*' for any other)."""

    def register(cls: S) -> S:
        for scheme in schemes:
            if scheme in _BACKENDS:
                raise ValueError(f"artifact scheme {scheme!r} is already served by {_BACKENDS[scheme]!r}")
            _BACKENDS[scheme] = cls
        return cls

    return register


def backend_for(location: str) -> Callable[[str], ArtifactStore]:
    scheme = location.split("://", 1)[0] if "://" in location else ""
    backend = _BACKENDS.get(scheme) or _BACKENDS.get("*")
    if backend is None:
        raise ValueError(f"no artifact backend serves {location!r}")
    return backend


def registered_backends() -> dict[str, Callable[[str], ArtifactStore]]:
    return dict(_BACKENDS)
