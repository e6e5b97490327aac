"""/v1/models/{handle}/samples: upload (JSON, NDJSON, CSV), list, delete."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from ... import service
from ..deps import KeyDep, PlatformDep
from ..presenters import sample_public
from ..schemas import SampleCountsPublic, SampleList
from ..routing import V1Route

router = APIRouter(prefix="/v1/models/{handle}/samples", tags=["samples"], route_class=V1Route)

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
    service.check_model_access(key, service.checked_handle(handle), "write")  # before parsing the body
    raw = await request.body()  # read already, within the upload limit, by the route (routing.py)
    content_type = request.headers.get("content-type", "application/json")
    # Parsing and storing a large batch is blocking work: keep it off the event loop.
    upload = await run_in_threadpool(service.add_samples, platform, key, handle, raw, content_type)
    return SampleCountsPublic(added=upload.added, updated=upload.updated, unchanged=upload.unchanged,
                              sample_count=upload.sample_count)


@router.get("", response_model=SampleList, operation_id="list_samples")
def list_samples(
    handle: str,
    key: KeyDep,
    platform: PlatformDep,
    cursor: str | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
    label: str | None = None,
) -> SampleList:
    page = service.list_samples(platform, key, handle, cursor=cursor, limit=limit, label=label)
    return SampleList(items=[sample_public(s) for s in page.items], next_cursor=page.next_cursor)


@router.delete("/{sample_id:path}", status_code=204, operation_id="delete_sample")
def delete_sample(handle: str, sample_id: str, key: KeyDep, platform: PlatformDep) -> Response:
    service.delete_sample(platform, key, handle, sample_id)
    return Response(status_code=204)
