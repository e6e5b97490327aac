"""A version's predictor from the platform's own artifact store: the one place that trusts a row.

Current artifacts are data only and load through :func:`u22a8.engine.load_predictor`, which is
safe for any bytes. Versions trained before that format hold pickles; they keep serving, but
only through :func:`load_version_predictor`: it reads the bytes itself, from this platform's
artifact store, at the key the version row names, and the store verifies them against the
SHA-256 the row recorded when the worker wrote them, before anything is unpickled. Bytes from
anywhere else (an export, an upload, a request) never reach the pickle loader. An export of
such a version is converted to the current format first (:func:`portable_artifact`), so a
re-downloaded export always loads offline.
"""

from __future__ import annotations

from .. import engine
from ..engine.legacy_pickle import load_legacy_predictor
from ..store import Store, Version

__all__ = ["load_version_predictor", "portable_artifact"]


def load_version_predictor(store: Store, version: Version) -> engine.Predictor:
    """The predictor of ``version``, read from ``store``'s artifacts and checked against the row."""
    data = store.artifacts.get(version.artifact_key, version.artifact_sha256)
    if engine.is_legacy_artifact(data):
        return load_legacy_predictor(data, version.artifact_sha256)
    return engine.load_predictor(data, version.artifact_sha256)


def portable_artifact(store: Store, version: Version) -> tuple[bytes, str]:
    """``version``'s artifact in the current format and its SHA-256, for an export file."""
    data = store.artifacts.get(version.artifact_key, version.artifact_sha256)
    if not engine.is_legacy_artifact(data):
        return data, version.artifact_sha256
    converted = engine.dump_predictor(load_legacy_predictor(data, version.artifact_sha256))
    return converted, engine.artifact_checksum(converted)
