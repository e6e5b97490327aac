"""/v1/models/{handle}/pool (unlabeled texts: add, list, delete) and /suggestions (what to label next)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from ... import service
from ..deps import KeyDep, PlatformDep
from ..pool_schemas import (POOL_BODY_DOC, PoolCountsPublic, PoolTextList, PoolTextPublic, SuggestionListPublic,
                            SuggestionPublic)
from ..response_models import present
from ..routing import V1Route

router = APIRouter(prefix="/v1/models/{handle}", tags=["pool"], route_class=V1Route)


@router.post("/pool", response_model=PoolCountsPublic, operation_id="add_pool_texts", openapi_extra=POOL_BODY_DOC)
async def add_pool_texts(handle: str, request: Request, key: KeyDep, platform: PlatformDep) -> PoolCountsPublic:
    service.check_model_access(key, service.checked_handle(handle), "write")  # before parsing the body
    raw = await request.body()  # read already, within the upload limit, by the route (routing.py)
    content_type = request.headers.get("content-type", "application/json")
    upload = await run_in_threadpool(service.add_pool_texts, platform, key, handle, raw, content_type)
    return present(PoolCountsPublic, upload.counts, pool_count=upload.pool_count)


@router.get("/pool", response_model=PoolTextList, operation_id="list_pool")
def list_pool(handle: str, key: KeyDep, platform: PlatformDep, cursor: str | None = None,
              limit: int = Query(default=100, ge=1, le=1000)) -> PoolTextList:
    page = service.list_pool(platform, key, handle, cursor=cursor, limit=limit)
    return PoolTextList(items=[present(PoolTextPublic, t) for t in page.items], next_cursor=page.next_cursor)


@router.delete("/pool", status_code=204, operation_id="clear_pool")
def clear_pool(handle: str, key: KeyDep, platform: PlatformDep) -> Response:
    service.clear_pool(platform, key, handle)
    return Response(status_code=204)


@router.delete("/pool/{pool_id:path}", status_code=204, operation_id="delete_pool_text")
def delete_pool_text(handle: str, pool_id: str, key: KeyDep, platform: PlatformDep) -> Response:
    service.delete_pool_text(platform, key, handle, pool_id)
    return Response(status_code=204)


@router.get("/suggestions", response_model=SuggestionListPublic, operation_id="get_suggestions")
async def get_suggestions(handle: str, key: KeyDep, platform: PlatformDep,
                          limit: int = Query(default=50, ge=1, le=service.SUGGESTIONS_MAX)) -> SuggestionListPublic:
    # Served from the cache in milliseconds; the first call after a new version scores the pool
    # (seconds for a large one), which must not hold the event loop.
    found = await run_in_threadpool(service.suggestions, platform, key, handle, limit=limit)
    return SuggestionListPublic(version=found.version, pool_count=found.pool_count,
                                items=[present(SuggestionPublic, s) for s in found.items])
