"""Readiness: whether this process can serve, and if not, what the operator should check."""

from __future__ import annotations

import logging

from ..errors import ArtifactUnavailable, Unavailable
from ..store import StoreUnavailable
from .platform import Platform

__all__ = ["check_ready"]

log = logging.getLogger("u22a8.service")

_NOT_SHARED = ("this API process cannot see the file of the newest model version; check that the API and every "
               "worker use the same U22A8_ARTIFACTS_DIR (one shared directory or bucket) and that the API may read it")


def check_ready(platform: Platform) -> None:
    """Raise unless this process can serve: the database answers, and the artifact store it reads
    holds the newest version's file (a worker writing elsewhere shows here before a predict fails)."""
    if not platform.is_ready():
        raise Unavailable("the database does not answer")
    try:
        key = platform.store.versions.newest_artifact_key()
    except StoreUnavailable as exc:
        raise Unavailable("the database does not answer") from exc
    if key is None:
        return
    try:
        seen = platform.store.artifacts.exists(key)
    except OSError as exc:
        log.error("artifact store %s unreachable: %s", platform.store.artifacts.describe(), exc)
        seen = False
    if not seen:
        log.error("artifact %r is not in %s, where this process reads artifacts", key,
                  platform.store.artifacts.describe())
        raise ArtifactUnavailable(_NOT_SHARED)
