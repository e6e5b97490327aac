"""What routes depend on: the platform, and the key that a Bearer header names."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from ..errors import Unauthorized
from ..service import ApiKey, Platform

__all__ = ["PlatformDep", "KeyDep"]


async def get_platform(request: Request) -> Platform:
    # async on purpose: a sync dependency costs a thread-pool hop on every request.
    return request.app.state.platform  # type: ignore[no-any-return]


PlatformDep = Annotated[Platform, Depends(get_platform)]


async def bearer_key(request: Request, platform: PlatformDep) -> ApiKey:
    """The key of ``Authorization: Bearer <secret>``, through the platform's one authenticator.

    A ``/v1`` route has asked already, before reading the body (``api/routing.py``): that answer stands.
    """
    known = getattr(request.state, "key", None)
    if known is not None:
        return known  # type: ignore[no-any-return]
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise Unauthorized("send an API key as 'Authorization: Bearer <key>'")
    # A cached key answers without a thread hop; only a miss reads the database.
    key = platform.authenticator.cached(secret)
    if key is None:
        key = await run_in_threadpool(platform.authenticator.authenticate, secret)
        if key is None:
            raise Unauthorized("unknown or revoked API key")
    request.state.key = key
    return key


KeyDep = Annotated[ApiKey, Depends(bearer_key)]
