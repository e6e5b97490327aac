"""/v1/keys: create (the secret is shown once), list, revoke. Admin scope.

An admin key manages its own owner's keys; an admin key of the platform owner ``u22a8``
manages every owner's keys.
"""

from __future__ import annotations

from fastapi import APIRouter

from ... import service
from ..deps import KeyDep, PlatformDep
from ..presenters import key_public
from ..schemas import KeyCreate, KeyCreated, KeyPublic
from ..routing import V1Route

router = APIRouter(prefix="/v1/keys", tags=["keys"], route_class=V1Route)


@router.post("", status_code=201, response_model=KeyCreated, operation_id="create_key")
def create_key(body: KeyCreate, key: KeyDep, platform: PlatformDep) -> KeyCreated:
    new, secret = service.create_key(platform, key, body.owner, list(body.scopes), body.name,
                                     rate_limits=body.rate_limits)
    return KeyCreated(**key_public(new).model_dump(), key=secret)


@router.get("", response_model=list[KeyPublic], operation_id="list_keys")
def list_keys(key: KeyDep, platform: PlatformDep) -> list[KeyPublic]:
    return [key_public(k) for k in service.list_keys(platform, key)]


@router.delete("/{key_id}", response_model=KeyPublic, operation_id="revoke_key")
def revoke_key(key_id: str, key: KeyDep, platform: PlatformDep) -> KeyPublic:
    return key_public(service.revoke_key(platform, key, key_id))
