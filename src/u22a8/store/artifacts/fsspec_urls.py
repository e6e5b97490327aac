"""Artifacts at any URL fsspec understands (object stores, memory:// in tests): every other scheme."""

from __future__ import annotations

from ._base import ArtifactStore, register_backend

__all__ = ["FsspecArtifacts"]


@register_backend("*")
class FsspecArtifacts(ArtifactStore):
    def __init__(self, url: str) -> None:
        import fsspec  # only deployments with a URL pay for importing it

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

    def _delete(self, key: str) -> None:
        path = f"{self._root}/{key}"
        if self._fs.exists(path):
            self._fs.rm_file(path)

    def _delete_prefix(self, prefix: str) -> None:
        path = f"{self._root}/{prefix}"
        if self._fs.exists(path):
            self._fs.rm(path, recursive=True)
