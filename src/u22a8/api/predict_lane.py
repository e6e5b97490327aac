"""The predict fast lane: plain ASGI for the common predict call, FastAPI for everything else.

A predict of a few texts costs well under a millisecond once the predictor is loaded; FastAPI's
routing, dependency solving and body model cost about as much again. This lane answers
``POST /v1/models/{handle}/predict`` itself when the call is the ordinary one, and hands the
request, untouched, to the FastAPI route (``routes/predict.py``) in every other case, so that
route stays the definition of the endpoint and of its errors:

- the Bearer key is known to the authenticator's cache (checked before any byte of the body,
  like every ``/v1`` route); an unknown, missing or revoked key goes to the route;
- the body is JSON, declared by Content-Type and Content-Length, within the route's limit;
- it parses to exactly ``{"inputs": [str, ...], "top_k": int?}`` with no NUL byte, the shape
  ``schemas.PredictBody`` accepts (anything else, even valid, goes to the route);
- ``service.predict_cost`` answers: the serving version and its predictor are in memory.

The lane then makes the same service call the route makes, on the event loop when it is quick
(``PredictCost.quick``: short, and the key's rate limit counted without I/O) and through the
thread pool otherwise (a batch, counters in the database), as the route would; a domain error
it raises (rate limited, no such model, limits) is rendered by the same ``error_response`` as
the route's. The answer is the route's own (``routes.predict.answer_body``).
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import service
from ..errors import U22A8Error
from .errors import error_response
from .routes.predict import answer_body

__all__ = ["PredictLane"]

_PATH = re.compile(r"^/v1/models/([^/]+)/predict$")
_KEYS = frozenset({"inputs", "top_k"})


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return dict(scope.get("headers", ()))


def _body_shape(raw: bytes) -> tuple[list[str], int | None] | None:
    """(inputs, top_k) when the body is the ordinary predict body, else None (the route decides)."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(body, dict) or not body.keys() <= _KEYS:
        return None
    inputs, top_k = body.get("inputs"), body.get("top_k")
    if not isinstance(inputs, list) or not inputs:
        return None
    for text in inputs:
        if type(text) is not str or "\x00" in text:
            return None
    if top_k is not None and (type(top_k) is not int or top_k < 1):
        return None
    return inputs, top_k


class PredictLane:
    """Answers the ordinary predict call directly; passes every other request on unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._route: Any = None  # the FastAPI route, named in the scope for the request metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        match = _PATH.match(scope["path"])
        if match is None:
            return await self.app(scope, receive, send)
        platform = scope["app"].state.platform
        headers = _headers(scope)
        scheme, _, secret = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        key = platform.authenticator.cached(secret.strip()) if scheme.lower() == "bearer" else None
        length = headers.get(b"content-length", b"")
        if (key is None or not length.isdigit() or int(length) > platform.settings.max_small_body_bytes
                or not headers.get(b"content-type", b"").startswith(b"application/json")):
            return await self.app(scope, receive, send)
        # Read the body; whatever happens next, the route can be handed exactly these messages.
        messages: list[Message] = []
        parts: list[bytes] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return await self.app(scope, _replay(messages, receive), send)
            parts.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        handle = match.group(1)
        shape = _body_shape(b"".join(parts))
        cost = None if shape is None else service.predict_cost(platform, key, handle, len(shape[0]), None)
        if shape is None or cost is None:
            return await self.app(scope, _replay(messages, receive), send)
        inputs, top_k = shape
        scope["route"] = self._predict_route(scope)
        try:
            if cost.quick:
                found = service.predict(platform, key, handle, inputs, top_k=top_k)
            else:  # a batch, or a count in the database: the event loop answers others meanwhile
                found = await run_in_threadpool(service.predict, platform, key, handle, inputs, top_k=top_k)
        except U22A8Error as exc:
            response = error_response(exc)
            assert response is not None
            return await response(scope, receive, send)
        payload = answer_body(handle, found)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})

    def _predict_route(self, scope: Scope) -> Any:
        if self._route is None:
            for route in scope["app"].routes:
                if getattr(route, "operation_id", None) == "predict":
                    self._route = route
        return self._route


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """``receive`` that first gives back the messages the lane already took."""
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed
