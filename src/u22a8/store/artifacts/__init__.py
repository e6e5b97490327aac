"""Artifact storage: write once, checksummed; read back only what the platform wrote.

The location's URL scheme picks the backend (:func:`open_artifacts`): a plain path or
``file://`` is :class:`LocalArtifacts`; any other URL goes to :class:`FsspecArtifacts`.
"""

from __future__ import annotations

from pathlib import Path

from . import fsspec_urls, local  # noqa: F401  (registers the backends)
from ._base import UNREADABLE_HINT, ArtifactCorrupt, ArtifactStore, backend_for, register_backend, registered_backends
from .fsspec_urls import FsspecArtifacts
from .local import LocalArtifacts

__all__ = [
    "ArtifactStore",
    "ArtifactCorrupt",
    "LocalArtifacts",
    "FsspecArtifacts",
    "open_artifacts",
    "UNREADABLE_HINT",
    "register_backend",
    "registered_backends",
]


def open_artifacts(location: str | Path) -> ArtifactStore:
    text = str(location)
    return backend_for(text)(text)
