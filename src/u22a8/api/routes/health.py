"""Health, readiness and Prometheus metrics (no key needed)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ...errors import U22A8Error
from ..deps import PlatformDep
from ..metrics import REGISTRY, refresh_gauges

router = APIRouter(tags=["health"])


class _NotReady(U22A8Error):
    status, code, title = 503, "unavailable", "Not ready"


@router.get("/healthz", operation_id="healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", operation_id="readyz")
def readyz(platform: PlatformDep) -> dict[str, str]:
    """The process can serve: the database answers."""
    if not platform.is_ready():
        raise _NotReady("the database does not answer")
    return {"status": "ready"}


@router.get("/metrics", operation_id="metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {}}}})
def metrics(platform: PlatformDep) -> Response:
    refresh_gauges(platform)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
