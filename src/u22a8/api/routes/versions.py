"""/v1/models/{handle}/versions: list, activate (rollback), report, export."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from ...runs import models_domain
from ..auth import KeyDep, check_model_access, checked_handle
from ..deps import PlatformDep
from ..presenters import export_response, version_public
from ..schemas import VersionPublic

router = APIRouter(prefix="/v1/models/{handle}/versions", tags=["versions"])


def _active_number(platform: PlatformDep, handle: str) -> int | None:
    active = platform.store.models.get(handle).active_version
    return active.number if active else None


@router.get("", response_model=list[VersionPublic], operation_id="list_versions")
def list_versions(handle: str, key: KeyDep, platform: PlatformDep) -> list[VersionPublic]:
    check_model_access(key, checked_handle(handle), "read")
    active = _active_number(platform, handle)
    return [version_public(v, active) for v in platform.store.versions.list(handle)]


@router.post("/{number}/activate", response_model=VersionPublic, operation_id="activate_version")
def activate_version(handle: str, number: int, key: KeyDep, platform: PlatformDep) -> VersionPublic:
    """Serve this version from now on (a rollback, or a roll forward)."""
    check_model_access(key, checked_handle(handle), "train")
    version = platform.store.versions.activate(handle, number)
    return version_public(version, version.number)


@router.get("/{number}/report", operation_id="version_report")
def version_report(handle: str, number: int, key: KeyDep, platform: PlatformDep) -> dict[str, Any]:
    """Evaluation metrics (per class, confusion matrix…) and the data report made before training."""
    check_model_access(key, checked_handle(handle), "read")
    v = platform.store.versions.get(handle, number)
    return {"model": handle, "version": v.number, "params": v.params, "metrics": v.metrics,
            "data": v.report, "sample_count": len(v.sample_ids), "created_at": v.created_at.isoformat()}


@router.get("/{number}/export", operation_id="export_version", response_class=Response,
            responses={200: {"content": {"application/zip": {}}}})
def export_version(handle: str, number: int, key: KeyDep, platform: PlatformDep) -> Response:
    """A self-contained file: load it offline with ``u22a8.load_export(path)``."""
    check_model_access(key, checked_handle(handle), "read")
    return export_response(models_domain.export_version(platform.store, handle, number))
