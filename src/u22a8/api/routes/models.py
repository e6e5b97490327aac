"""/v1/models: create, list, get, patch, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response

from ...errors import InvalidRequest, NotFound
from ..auth import PLATFORM_OWNER, KeyDep, check_model_access, require
from ..deps import PlatformDep
from ..presenters import model_public
from ..schemas import HANDLE_RE, AutoRetrainIn, ModelCreate, ModelList, ModelPublic, ModelUpdate

router = APIRouter(prefix="/v1/models", tags=["models"])


def checked_handle(handle: str) -> str:
    """A handle from a path: bad characters (or ``../``) are a 404 like any unknown model."""
    if not HANDLE_RE.match(handle):
        raise NotFound(f"no model {handle[:120]!r} (handles are owner.name in [a-z0-9_-])")
    return handle


def _auto_retrain(value: AutoRetrainIn | bool | None) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, bool):
        return {"auto_retrain": value}
    out: dict[str, Any] = {"auto_retrain": value.enabled}
    if value.quiet_seconds is not None:
        out["quiet_seconds"] = value.quiet_seconds
    return out


@router.post("", status_code=201, response_model=ModelPublic, operation_id="create_model")
def create_model(body: ModelCreate, key: KeyDep, platform: PlatformDep) -> ModelPublic:
    check_model_access(key, body.handle, "write")
    if body.labels and body.task == "score":
        raise InvalidRequest("a score model takes no labels")
    extra = _auto_retrain(body.auto_retrain)
    model = platform.store.models.create(
        body.handle,
        body.task,
        description=body.description,
        labels=body.labels,
        auto_retrain=extra.get("auto_retrain", True),
        quiet_seconds=extra.get("quiet_seconds", platform.settings.default_quiet_seconds),
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
    model = platform.store.models.get(handle)
    changes: dict[str, Any] = {}
    if body.description is not None:
        changes["description"] = body.description
    if "labels" in body.model_fields_set:
        if model.task == "score" and body.labels:
            raise InvalidRequest("a score model takes no labels")
        if body.labels is not None:
            outside = platform.store.models.labels_in_use(handle) - set(body.labels)
            if outside:
                raise InvalidRequest(
                    "stored samples use labels outside the new set: " + ", ".join(sorted(outside)[:20]),
                    labels_outside=sorted(outside),
                )
        changes["labels"] = body.labels
    changes.update(_auto_retrain(body.auto_retrain))
    return model_public(platform.store.models.update(handle, changes))


@router.delete("/{handle}", status_code=204, operation_id="delete_model")
def delete_model(handle: str, key: KeyDep, platform: PlatformDep) -> Response:
    check_model_access(key, checked_handle(handle), "write")
    platform.store.models.delete(handle)
    return Response(status_code=204)
