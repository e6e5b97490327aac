"""Artifact storage: write once, checksummed; read back only what the platform wrote.

``LocalArtifacts`` keeps files in a directory (a shared mount works for several machines);
``FsspecArtifacts`` takes any fsspec URL. Both sit behind :class:`ArtifactStore`.
"""

from __future__ import annotations

import abc
import hashlib
import os
import tempfile
from pathlib import Path

__all__ = ["ArtifactStore", "LocalArtifacts", "FsspecArtifacts", "ArtifactCorrupt", "open_artifacts"]


class ArtifactCorrupt(RuntimeError):
    """The stored bytes do not match the checksum recorded when they were written."""


class ArtifactStore(abc.ABC):
    @abc.abstractmethod
    def _write(self, key: str, data: bytes) -> None: ...

    @abc.abstractmethod
    def _read(self, key: str) -> bytes: ...

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Remove ``key`` if it is there (and its folder once empty); a missing key is no error."""

    def put(self, key: str, data: bytes) -> str:
        """Store ``data`` under ``key`` and return its SHA-256."""
        self._write(key, data)
        return hashlib.sha256(data).hexdigest()

    def get(self, key: str, sha256: str) -> bytes:
        data = self._read(key)
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ArtifactCorrupt(f"artifact {key!r} does not match its checksum")
        return data


class LocalArtifacts(ArtifactStore):
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

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

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        # The folder is named after the model's handle: an empty one would still say it existed.
        folder = path.parent
        while folder != self.root.resolve() and self.root.resolve() in folder.parents:
            try:
                folder.rmdir()
            except OSError:  # not empty (another artifact, a temp file being written) or gone
                break
            folder = folder.parent


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

    def delete(self, key: str) -> None:
        path = f"{self._root}/{key}"
        if self._fs.exists(path):
            self._fs.rm_file(path)


def open_artifacts(location: str | Path) -> ArtifactStore:
    text = str(location)
    if "://" in text and not text.startswith("file://"):
        return FsspecArtifacts(text)
    return LocalArtifacts(Path(text.removeprefix("file://")))
