"""The ``/v1`` route class: who is asking before any byte of the body, a body limit per route,
large JSON parsed off the event loop, and Idempotency-Key replays where a retry could act twice.

Every ``/v1`` router is built with ``route_class=V1Route``. Before FastAPI reads a body, the
route authenticates the Bearer key (an anonymous or revoked caller is answered at once; the
outer ``BodyLimit`` closes a connection whose body was left unread), refuses a body over the route's limit by its
Content-Length or while it arrives, and only then hands the request on. Which routes take large
bodies and which replay answers are registered below by operation id.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Receive, Scope

from .. import service
from ..settings import Settings
from .deps import bearer_key
from .replays import REPLAYED_OPERATIONS, answer_once

__all__ = ["V1Route", "UPLOAD_OPERATIONS", "OFF_LOOP_JSON_BYTES"]

# Routes whose body may be as large as U22A8_MAX_BODY_BYTES; every other body is held to
# U22A8_MAX_SMALL_BODY_BYTES.
UPLOAD_OPERATIONS = frozenset({"add_samples", "add_pool_texts"})
# JSON bodies from this size on are parsed in a worker thread, so they hold no other request up.
OFF_LOOP_JSON_BYTES = 64 * 1024


class _ReadRequest(Request):
    """A request whose body was read (within its limit) before its route saw it."""

    def __init__(self, scope: Scope, receive: Receive, body: bytes) -> None:
        super().__init__(scope, receive)
        self._read = body

    async def body(self) -> bytes:
        return self._read

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            if len(self._read) < OFF_LOOP_JSON_BYTES:
                self._json = json.loads(self._read)
            else:
                self._json = await run_in_threadpool(json.loads, self._read)
        return self._json


async def _read_body(request: Request, max_bytes: int) -> bytes:
    return await service.read_capped(request.stream(), request.headers.get("content-length"), max_bytes, "the body")


class V1Route(APIRoute):
    """A ``/v1`` route: authenticate, limit and read the body, replay where registered, then run."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        inner = super().get_route_handler()
        operation = self.operation_id or ""
        upload = operation in UPLOAD_OPERATIONS
        replayed = operation in REPLAYED_OPERATIONS

        async def handler(request: Request) -> Response:
            platform = request.app.state.platform
            settings: Settings = platform.settings
            key = await bearer_key(request, platform)
            body = await _read_body(request, settings.max_body_bytes if upload else settings.max_small_body_bytes)
            ready = _ReadRequest(request.scope, request.receive, body)
            idempotency_key = request.headers.get("idempotency-key")
            if replayed and idempotency_key:
                return await answer_once(platform, key, operation, ready, body, idempotency_key, inner)
            return await inner(ready)

        return handler
