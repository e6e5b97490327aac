"""Bearer keys, scopes, and who may see which model.

A key reads and writes its own owner's models; every key may read and predict with models of
the platform owner ``u22a8``. Any other model answers 404, so a key never learns whether another
owner's model exists.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..errors import Forbidden, NotFound, Unauthorized
from ..store import ApiKey
from .deps import PlatformDep

__all__ = ["KeyDep", "require", "check_model_access", "PLATFORM_OWNER"]

PLATFORM_OWNER = "u22a8"


def current_key(request: Request, platform: PlatformDep) -> ApiKey:
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("send an API key as 'Authorization: Bearer <key>'")
    key = platform.store.keys.authenticate(secret.strip())
    if key is None:
        raise Unauthorized("unknown or revoked API key")
    request.state.key = key
    return key


KeyDep = Annotated[ApiKey, Depends(current_key)]


def require(key: ApiKey, scope: str) -> None:
    if scope not in key.scopes and "admin" not in key.scopes:
        raise Forbidden(f"this key lacks the {scope!r} scope")


def check_model_access(key: ApiKey, handle: str, scope: str) -> None:
    """Raise NotFound unless ``key`` may act on ``handle`` with ``scope`` (Forbidden if only the scope is missing)."""
    owner = handle.split(".", 1)[0]
    public_read = owner == PLATFORM_OWNER and scope == "read"
    if owner != key.owner and not public_read:
        raise NotFound(f"no model {handle!r}")
    require(key, scope)
