"""/v1/keys: create (the secret is shown once), list, revoke. Admin scope.

An admin key manages its own owner's keys; an admin key of the platform owner ``u22a8``
manages every owner's keys.
"""

from __future__ import annotations

from fastapi import APIRouter

from ...errors import NotFound
from ...store import ApiKey
from ..auth import PLATFORM_OWNER, KeyDep, require
from ..deps import PlatformDep
from ..presenters import key_public
from ..schemas import KeyCreate, KeyCreated, KeyPublic

router = APIRouter(prefix="/v1/keys", tags=["keys"])


def _scope_owner(key: ApiKey) -> str | None:
    return None if key.owner == PLATFORM_OWNER else key.owner


@router.post("", status_code=201, response_model=KeyCreated, operation_id="create_key")
def create_key(body: KeyCreate, key: KeyDep, platform: PlatformDep) -> KeyCreated:
    require(key, "admin")
    owner = body.owner or key.owner
    if _scope_owner(key) not in (None, owner):
        raise NotFound(f"no owner {owner!r} for this key")
    new, secret = platform.store.keys.create(owner, list(body.scopes), body.name)
    return KeyCreated(**key_public(new).model_dump(), key=secret)


@router.get("", response_model=list[KeyPublic], operation_id="list_keys")
def list_keys(key: KeyDep, platform: PlatformDep) -> list[KeyPublic]:
    require(key, "admin")
    return [key_public(k) for k in platform.store.keys.list(_scope_owner(key))]


@router.delete("/{key_id}", response_model=KeyPublic, operation_id="revoke_key")
def revoke_key(key_id: str, key: KeyDep, platform: PlatformDep) -> KeyPublic:
    require(key, "admin")
    revoked = platform.store.keys.revoke(key_id, _scope_owner(key))
    platform.key_cache.forget(key_id)
    return key_public(revoked)
