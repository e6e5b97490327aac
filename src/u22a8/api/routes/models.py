"""/v1/models: create, list, get, patch, delete."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from ...runs import models_domain
from ..auth import PLATFORM_OWNER, KeyDep, check_model_access, checked_handle, require
from ..deps import PlatformDep
from ..presenters import model_public
from ..schemas import ModelCreate, ModelList, ModelPublic, ModelUpdate, auto_retrain_of

router = APIRouter(prefix="/v1/models", tags=["models"])


@router.post("", status_code=201, response_model=ModelPublic, operation_id="create_model")
def create_model(body: ModelCreate, key: KeyDep, platform: PlatformDep) -> ModelPublic:
    check_model_access(key, body.handle, "write")
    model = models_domain.create_model(
        platform.store, body.handle, body.task, description=body.description, labels=body.labels,
        auto_retrain=auto_retrain_of(body.auto_retrain), default_quiet_seconds=platform.settings.default_quiet_seconds,
    )
    return model_public(model)


@router.get("", response_model=ModelList, operation_id="list_models")
def list_models(
    key: KeyDep,
    platform: PlatformDep,
    cursor: str | None = None,
    limit: int = Query(default=50, ge=1, le=500),
) -> ModelList:
    require(key, "read")
    owners = sorted({key.owner, PLATFORM_OWNER})
    models = platform.store.models.list(owners, after=cursor, limit=limit + 1)
    more = len(models) > limit
    models = models[:limit]
    return ModelList(items=[model_public(m) for m in models], next_cursor=models[-1].handle if more else None)


@router.get("/{handle}", response_model=ModelPublic, operation_id="get_model")
def get_model(handle: str, key: KeyDep, platform: PlatformDep) -> ModelPublic:
    check_model_access(key, checked_handle(handle), "read")
    return model_public(platform.store.models.get(handle))


@router.patch("/{handle}", response_model=ModelPublic, operation_id="update_model")
def update_model(handle: str, body: ModelUpdate, key: KeyDep, platform: PlatformDep) -> ModelPublic:
    check_model_access(key, checked_handle(handle), "write")
    # A label set sent as null opens the set; one left out stays as it is.
    labels = body.labels if "labels" in body.model_fields_set else models_domain.Keep.KEEP
    model = models_domain.update_model(platform.store, handle, description=body.description, labels=labels,
                                       auto_retrain=auto_retrain_of(body.auto_retrain))
    return model_public(model)


@router.delete("/{handle}", status_code=204, operation_id="delete_model")
def delete_model(handle: str, key: KeyDep, platform: PlatformDep) -> Response:
    check_model_access(key, checked_handle(handle), "write")
    platform.store.models.delete(handle)
    return Response(status_code=204)
