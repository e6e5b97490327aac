"""Artifact storage: write once, checksummed; read back only what the platform wrote.

``LocalArtifacts`` keeps files in a directory (a shared mount works for several machines);
``FsspecArtifacts`` takes any fsspec URL. Both sit behind :class:`ArtifactStore`.
"""

from __future__ import annotations

import abc
import hashlib
import logging
import os
import tempfile
from pathlib import Path

from ..errors import ArtifactUnavailable

from ._private import private_dir

__all__ = ["ArtifactStore", "LocalArtifacts", "FsspecArtifacts", "ArtifactCorrupt", "open_artifacts",
           "UNREADABLE_HINT"]

log = logging.getLogger("u22a8.store")

# What an API user is told; the paths and the OS's words go to the log only.
UNREADABLE_HINT = ("this server cannot read the stored model file; check that the API and every worker use the "
                   "same U22A8_ARTIFACTS_DIR (one shared directory or bucket) and that the API may read it")


class ArtifactCorrupt(RuntimeError):
    """The stored bytes do not match the checksum recorded when they were written."""


class ArtifactStore(abc.ABC):
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

    def put(self, key: str, data: bytes) -> str:
        """Store ``data`` under ``key`` and return its SHA-256."""
        self._write(key, data)
        return hashlib.sha256(data).hexdigest()

    def get(self, key: str, sha256: str) -> bytes:
        """The bytes written under ``key``; ArtifactUnavailable if this process cannot read them."""
        try:
            data = self._read(key)
        except OSError as exc:  # missing (another machine's disk), unreadable, or the bucket is down
            log.error("artifact %r unreadable in %s: %s", key, self.describe(), exc)
            raise ArtifactUnavailable(UNREADABLE_HINT) from exc
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ArtifactCorrupt(f"artifact {key!r} does not match its checksum")
        return data


class LocalArtifacts(ArtifactStore):
    def __init__(self, root: Path) -> None:
        self.root = private_dir(Path(root))

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"artifact key escapes the store: {key!r}")
        return path

    def _write(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader never sees half a file, a crash leaves only a temp file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def _read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def describe(self) -> str:
        return str(self.root)


class FsspecArtifacts(ArtifactStore):
    def __init__(self, url: str) -> None:
        import fsspec

        self._fs, self._root = fsspec.core.url_to_fs(url)
        self._fs.makedirs(self._root, exist_ok=True)

    def _write(self, key: str, data: bytes) -> None:
        path = f"{self._root}/{key}"
        self._fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
        self._fs.pipe_file(path, data)

    def _read(self, key: str) -> bytes:
        return self._fs.cat_file(f"{self._root}/{key}")

    def exists(self, key: str) -> bool:
        return bool(self._fs.exists(f"{self._root}/{key}"))

    def describe(self) -> str:
        return f"{self._fs.protocol}:{self._root}"


def open_artifacts(location: str | Path) -> ArtifactStore:
    text = str(location)
    if "://" in text and not text.startswith("file://"):
        return FsspecArtifacts(text)
    return LocalArtifacts(Path(text.removeprefix("file://")))
