"""/v1/models/{handle}/samples: upload (JSON, NDJSON, CSV), list, delete."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from ...errors import InvalidRequest
from ..auth import KeyDep, check_model_access, checked_handle
from ..deps import PlatformDep
from ..presenters import sample_public
from ..sample_input import store_sample_body
from ..schemas import SampleCountsPublic, SampleList

router = APIRouter(prefix="/v1/models/{handle}/samples", tags=["samples"])

_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/SamplesBody"}},
            "application/x-ndjson": {"schema": {"type": "string"}},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


@router.post("", response_model=SampleCountsPublic, operation_id="add_samples", openapi_extra=_BODY_DOC)
async def add_samples(handle: str, request: Request, key: KeyDep, platform: PlatformDep) -> SampleCountsPublic:
    check_model_access(key, checked_handle(handle), "write")
    raw = await request.body()
    content_type = request.headers.get("content-type", "application/json")
    # Parsing and storing a large batch is blocking work: keep it off the event loop.
    return await run_in_threadpool(store_sample_body, platform, handle, raw, content_type)


@router.get("", response_model=SampleList, operation_id="list_samples")
def list_samples(
    handle: str,
    key: KeyDep,
    platform: PlatformDep,
    cursor: str | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
    label: str | None = None,
) -> SampleList:
    check_model_access(key, checked_handle(handle), "read")
    after = None
    if cursor is not None:
        if not cursor.isdigit():
            raise InvalidRequest("cursor is not one this API gave out")
        after = int(cursor)
    items, next_pk = platform.store.samples.list(handle, after=after, limit=limit, label=label)
    return SampleList(items=[sample_public(s) for s in items], next_cursor=str(next_pk) if next_pk else None)


@router.delete("/{sample_id:path}", status_code=204, operation_id="delete_sample")
def delete_sample(handle: str, sample_id: str, key: KeyDep, platform: PlatformDep) -> Response:
    check_model_access(key, checked_handle(handle), "write")
    platform.store.samples.delete(handle, sample_id)
    platform.wake_executor()
    return Response(status_code=204)
