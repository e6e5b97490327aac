"""Artifacts as files in a directory (a shared mount serves several machines)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .._private import private_dir
from ._base import ArtifactStore, register_backend

__all__ = ["LocalArtifacts"]


@register_backend("", "file")
class LocalArtifacts(ArtifactStore):
    def __init__(self, location: str | Path) -> None:
        self.root = private_dir(Path(str(location).removeprefix("file://")))

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:  # a symlink inside the store must not lead out
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

    def _delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        # The folder is named after the model's handle: an empty one would still say it existed.
        root = self.root.resolve()
        folder = path.parent
        while folder != root and root in folder.parents:
            try:
                folder.rmdir()
            except OSError:  # not empty (another artifact, a temp file being written) or gone
                break
            folder = folder.parent

    def _delete_prefix(self, prefix: str) -> None:
        shutil.rmtree(self._path(prefix), ignore_errors=True)
