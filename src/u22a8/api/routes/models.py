"""/v1/models: create, list, get, patch, delete."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from ... import service
from ..deps import KeyDep, PlatformDep
from ..presenters import model_public
from ..schemas import ModelCreate, ModelList, ModelPublic, ModelUpdate, auto_retrain_of
from ..routing import V1Route

router = APIRouter(prefix="/v1/models", tags=["models"], route_class=V1Route)


@router.post("", status_code=201, response_model=ModelPublic, operation_id="create_model")
def create_model(body: ModelCreate, key: KeyDep, platform: PlatformDep) -> ModelPublic:
    model = service.create_model(platform, key, body.handle, body.task, description=body.description,
                                 labels=body.labels, auto_retrain=auto_retrain_of(body.auto_retrain),
                                 fallback_label=body.fallback_label,
                                 fallback_min_precision=body.fallback_min_precision)
    return model_public(model)


@router.get("", response_model=ModelList, operation_id="list_models")
def list_models(
    key: KeyDep,
    platform: PlatformDep,
    cursor: str | None = None,
    limit: int = Query(default=50, ge=1, le=500),
) -> ModelList:
    page = service.list_models(platform, key, after=cursor, limit=limit)
    return ModelList(items=[model_public(m) for m in page.items], next_cursor=page.next_cursor)


@router.get("/{handle}", response_model=ModelPublic, operation_id="get_model")
def get_model(handle: str, key: KeyDep, platform: PlatformDep) -> ModelPublic:
    return model_public(service.get_model(platform, key, handle))


@router.patch("/{handle}", response_model=ModelPublic, operation_id="update_model")
def update_model(handle: str, body: ModelUpdate, key: KeyDep, platform: PlatformDep) -> ModelPublic:
    # A label set sent as null opens the set; one left out stays as it is.
    labels = body.labels if "labels" in body.model_fields_set else service.Keep.KEEP
    given = body.model_fields_set
    model = service.update_model(
        platform, key, handle, description=body.description, labels=labels,
        auto_retrain=auto_retrain_of(body.auto_retrain),
        fallback_label=body.fallback_label if "fallback_label" in given else service.Keep.KEEP,
        fallback_min_precision=body.fallback_min_precision if "fallback_min_precision" in given else service.Keep.KEEP)
    return model_public(model)


@router.delete("/{handle}", status_code=204, operation_id="delete_model")
def delete_model(handle: str, key: KeyDep, platform: PlatformDep) -> Response:
    service.delete_model(platform, key, handle)
    return Response(status_code=204)
