"""Health, readiness and Prometheus metrics (no key needed)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ... import service
from ..deps import PlatformDep
from ..metrics import REGISTRY, refresh_gauges

router = APIRouter(tags=["health"])


@router.get("/healthz", operation_id="healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


_NOT_READY = {503: {
    "description": "Not ready: `unavailable` (the database does not answer) or `artifact_unavailable` "
                   "(the artifact store this process reads lacks the newest version's file; the detail says what "
                   "to check)",
    "content": {"application/problem+json": {}},
}}


@router.get("/readyz", operation_id="readyz", responses=_NOT_READY)  # type: ignore[arg-type]
def readyz(platform: PlatformDep) -> dict[str, str]:
    """The process can serve: the database answers."""
    # And the artifact store it reads holds the newest version's file (service.check_ready).
    service.check_ready(platform)
    return {"status": "ready"}


@router.get("/metrics", operation_id="metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {}}}})
def metrics(platform: PlatformDep) -> Response:
    refresh_gauges(platform)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
