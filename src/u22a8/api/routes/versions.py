"""/v1/models/{handle}/versions: list, activate (rollback), report, export."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from ... import service
from ..deps import KeyDep, PlatformDep
from ..presenters import export_response, version_public
from ..schemas import VersionPublic
from ..routing import V1Route

router = APIRouter(prefix="/v1/models/{handle}/versions", tags=["versions"], route_class=V1Route)


@router.get("", response_model=list[VersionPublic], operation_id="list_versions")
def list_versions(handle: str, key: KeyDep, platform: PlatformDep) -> list[VersionPublic]:
    found = service.list_versions(platform, key, handle)
    return [version_public(v, found.active_number) for v in found.items]


@router.post("/{number}/activate", response_model=VersionPublic, operation_id="activate_version")
def activate_version(handle: str, number: int, key: KeyDep, platform: PlatformDep) -> VersionPublic:
    """Serve this version from now on (a rollback, or a roll forward)."""
    version = service.activate_version(platform, key, handle, number)
    return version_public(version, version.number)


@router.get("/{number}/report", operation_id="version_report")
def version_report(handle: str, number: int, key: KeyDep, platform: PlatformDep) -> dict[str, Any]:
    """Evaluation metrics (per class, confusion matrix…) and the data report made before training."""
    return service.version_report(platform, key, handle, number)


@router.get("/{number}/export", operation_id="export_version", response_class=Response,
            responses={200: {"content": {"application/zip": {}}}})
def export_version(handle: str, number: int, key: KeyDep, platform: PlatformDep) -> Response:
    """A self-contained file: load it offline with ``u22a8.load_export(path)``."""
    return export_response(service.export_version(platform, key, handle, number))
