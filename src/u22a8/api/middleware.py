"""ASGI middleware: body-size limit, request metrics, and Idempotency-Key replays.

Written as plain ASGI (not BaseHTTPMiddleware) to keep the predict hot path short.
"""

from __future__ import annotations

import hashlib
import json
import time


from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .metrics import LATENCY, REQUESTS

__all__ = ["BodyLimit", "RequestMetrics", "Idempotency"]

Headers = list[tuple[bytes, bytes]]
IDEMPOTENCY_KEY_MAX = 200


async def _send_problem(send: Send, status: int, code: str, detail: str) -> None:
    body = json.dumps({"type": f"https://u22a8.dev/problems/{code}", "title": code.replace("_", " ").capitalize(),
                       "status": status, "code": code, "detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", ()):
        if k == name:
            return v.decode("latin-1")
    return None


class _TooLarge(Exception):
    pass


async def _refuse_too_large(scope: Scope, send: Send, max_bytes: int) -> None:
    detail = f"the body is over {max_bytes} bytes"
    wants_page = scope.get("path", "").startswith("/console") and "text/html" in (_header(scope, b"accept") or "")
    if not wants_page:
        return await _send_problem(send, 413, "payload_too_large", detail)
    # A browser posting a console form without JavaScript gets a page, not problem JSON.
    page = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Upload too large</title></head>'
            f'<body><main><h1>Upload too large</h1><p>{detail}: split the file and upload the parts.</p>'
            f'<p><a href="javascript:history.back()">Back</a> · <a href="/console">Console</a></p></main></body></html>').encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(page)).encode())]})
    await send({"type": "http.response.body", "body": page})


class BodyLimit:
    """Refuse bodies over ``max_bytes`` with 413, whether or not Content-Length is sent."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            return await _refuse_too_large(scope, send, self.max_bytes)
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
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


class Idempotency:
    """A POST with an Idempotency-Key is answered once; repeats within the TTL replay that answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        idem = _header(scope, b"idempotency-key") if scope["type"] == "http" and scope["method"] == "POST" else None
        if not idem:
            return await self.app(scope, receive, send)
        if len(idem) > IDEMPOTENCY_KEY_MAX or not idem.isprintable() or not idem.isascii():
            return await _send_problem(send, 400, "invalid_idempotency_key",
                                       f"an Idempotency-Key is 1-{IDEMPOTENCY_KEY_MAX} printable ASCII characters")
        from starlette.concurrency import run_in_threadpool

        repo = scope["app"].state.platform.idempotency
        chunks: list[bytes] = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        auth = hashlib.sha256((_header(scope, b"authorization") or "").encode()).hexdigest()[:16]
        # The path is hashed so the record's key fits its column whatever the path's length.
        path = hashlib.sha256(scope["path"].encode()).hexdigest()[:32]
        key = f"{auth}:{path}:{idem}"
        request_hash = hashlib.sha256(body).hexdigest()
        stored = await run_in_threadpool(repo.reserve, key, request_hash)
        if stored is not None:
            if stored.request_hash != request_hash:
                return await _send_problem(send, 422, "idempotency_key_reused",
                                           "this Idempotency-Key was used with a different request body")
            if stored.in_flight:
                return await _send_problem(send, 409, "idempotency_key_in_flight",
                                           "a request with this Idempotency-Key is still being answered; retry shortly")
            payload = stored.body.encode()
            await send({"type": "http.response.start", "status": stored.status, "headers": [
                (b"content-type", stored.content_type.encode()), (b"content-length", str(len(payload)).encode()),
                (b"idempotent-replayed", b"true")]})
            return await send({"type": "http.response.body", "body": payload})

        replayed = False

        async def replay_receive() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        status = 0
        content_type = "application/json"
        out: list[bytes] = []

        async def capture_send(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = message["status"]
                for k, v in message.get("headers", ()):
                    if k.lower() == b"content-type":
                        content_type = v.decode("latin-1")
            elif message["type"] == "http.response.body":
                out.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_receive, capture_send)
        finally:
            # Only settled outcomes are kept: a 5xx or a 429 may succeed when retried.
            if 200 <= status < 500 and status != 429:
                body_text = b"".join(out).decode("utf-8", "replace")
                await run_in_threadpool(repo.complete, key, status, body_text, content_type)
            else:
                await run_in_threadpool(repo.release, key)


