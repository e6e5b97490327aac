"""A model's versions: list, activate (rollback or roll forward), report, export."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..engine.bundle import write_bundle
from ..engine.data_report import SAMPLE_TEXT_FIELDS
from ..runs import portable_artifact
from ..store import ApiKey, Version
from .access import check_model_access, checked_handle, checked_version_number, enter, may_read_samples
from .models import get_model
from .platform import Platform

__all__ = ["ExportFile", "VersionList", "list_versions", "get_version", "activate_version", "version_report",
           "export_version"]


@dataclass(frozen=True)
class ExportFile:
    """A version as one self-contained file (``u22a8.load_export`` reads it offline)."""

    filename: str
    data: bytes
    media_type: str = "application/zip"


@dataclass(frozen=True)
class VersionList:
    """A model's versions, newest first, and the number of the one serving (None: none yet)."""

    items: list[Version]
    active_number: int | None


def list_versions(platform: Platform, key: ApiKey, handle: str) -> VersionList:
    model = get_model(platform, key, handle, "read")
    active = model.active_version.number if model.active_version else None
    return VersionList(platform.store.versions.list(handle), active)


def get_version(platform: Platform, key: ApiKey, handle: str, number: int) -> Version:
    """The version; its data report quotes no sample text to a key that may not read the samples."""
    check_model_access(key, checked_handle(handle), "read")
    version = platform.store.versions.get(handle, checked_version_number(handle, number))
    if may_read_samples(key, handle):
        return version
    return replace(version, report=_without_sample_texts(version.report))


def _without_sample_texts(report: dict[str, Any]) -> dict[str, Any]:
    return {name: ([] if name in SAMPLE_TEXT_FIELDS else value) for name, value in (report or {}).items()}


def activate_version(platform: Platform, key: ApiKey, handle: str, number: int) -> Version:
    """Serve this version from now on (a rollback, or a roll forward)."""
    enter(platform, key, "train", handle)
    activated = platform.store.versions.activate(handle, checked_version_number(handle, number))
    platform.active_versions.forget(handle)  # this process answers from it at once; others by the event
    return activated


def version_report(platform: Platform, key: ApiKey, handle: str, number: int) -> dict[str, Any]:
    """Evaluation metrics (per class, confusion matrix…) and the data report made before training."""
    v = get_version(platform, key, handle, number)
    return {"model": handle, "version": v.number, "params": v.params, "metrics": v.metrics,
            "data": v.report, "sample_count": len(v.sample_ids), "created_at": v.created_at.isoformat()}


def export_version(platform: Platform, key: ApiKey, handle: str, number: int) -> ExportFile:
    """The version's artifact (checksum verified) with a manifest of what it is and how it scored."""
    check_model_access(key, checked_handle(handle), "read")
    store = platform.store
    model = store.models.get(handle)
    v = store.versions.get(handle, checked_version_number(handle, number))
    artifact, sha256 = portable_artifact(store, v)
    manifest = {"handle": handle, "version": v.number, "task": model.task, "labels": model.labels,
                "params": v.params, "metrics": v.metrics, "created_at": v.created_at.isoformat()}
    return ExportFile(f"{handle}-v{v.number}.u22a8.zip", write_bundle(artifact, sha256, manifest))
