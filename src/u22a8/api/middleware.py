"""ASGI middleware: the outer body-size limit and request metrics.

Written as plain ASGI (not BaseHTTPMiddleware) to keep the predict hot path short. The outer
limit is the largest any route accepts; each ``/v1`` route holds its own body to a tighter one
after authenticating the caller (``routing.py``), and each console form to its own (``console/``).
"""

from __future__ import annotations

import json
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .metrics import LATENCY, REQUESTS

__all__ = ["BodyLimit", "RequestMetrics"]

Headers = list[tuple[bytes, bytes]]


async def _send_problem(send: Send, status: int, code: str, detail: str, *, close: bool = False) -> None:
    body = json.dumps({"type": f"https://u22a8.dev/problems/{code}", "title": code.replace("_", " ").capitalize(),
                       "status": status, "code": code, "detail": detail}).encode()
    headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status,
                "headers": headers + ([(b"connection", b"close")] if close else [])})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", ()):
        if k == name:
            return v.decode("latin-1")
    return None


class _TooLarge(Exception):
    pass


async def _refuse_too_large(scope: Scope, send: Send, max_bytes: int, *, close: bool = False) -> None:
    detail = f"the body is over {max_bytes} bytes"
    wants_page = scope.get("path", "").startswith("/console") and "text/html" in (_header(scope, b"accept") or "")
    if not wants_page:
        return await _send_problem(send, 413, "payload_too_large", detail, close=close)
    # A browser posting a console form without JavaScript gets a page, not problem JSON.
    page = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Upload too large</title></head>'
            f'<body><main><h1>Upload too large</h1><p>{detail}: split the file and upload the parts.</p>'
            f'<p><a href="javascript:history.back()">Back</a> · <a href="/console">Console</a></p></main></body></html>').encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(page)).encode())]})
    await send({"type": "http.response.body", "body": page})


def _announces_body(scope: Scope) -> bool:
    length = _header(scope, b"content-length")
    return length not in (None, "0") or "chunked" in (_header(scope, b"transfer-encoding") or "").lower()


class BodyLimit:
    """Refuse bodies over ``max_bytes`` with 413, whether or not Content-Length is sent.

    An answer sent before its request's body was read in full (a refusal: no key, too large)
    closes the connection: the server then stops receiving the rest instead of draining it.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            return await _refuse_too_large(scope, send, self.max_bytes, close=True)
        seen = 0
        started = False
        body_read = not _announces_body(scope)

        async def limited_receive() -> Message:
            nonlocal seen, body_read
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge()
                body_read = body_read or not message.get("more_body", False)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if not body_read:
                    message = {**message, "headers": [*message.get("headers", ()), (b"connection", b"close")]}
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _refuse_too_large(scope, send, self.max_bytes)


class RequestMetrics:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            REQUESTS.labels(scope["method"], path, str(status)).inc()
            LATENCY.labels(scope["method"], path).observe(time.perf_counter() - start)
