"""Idempotency-Key replays: a retried write is answered with the first answer, not done twice.

Rules (docs/api.md, "Idempotency"):
- only where a retry could duplicate work: the operations registered in ``REPLAYED_OPERATIONS``;
  an Idempotency-Key on any other request is ignored;
- only for an authenticated key (the route authenticates first), and the record is keyed by the
  key's id, the method, the path and the Idempotency-Key, so no other key can reach it; revoking
  a key drops its records, and a revoked key is refused before any replay;
- only settled answers (2xx-4xx except 429) up to ``U22A8_IDEMPOTENCY_MAX_BODY_BYTES`` are kept;
  a larger or unsettled one is forgotten, so a retry runs again;
- an answer that carries a secret (a created API key) is never kept: the record keeps the answer
  without the secret, and a replay is refused with ``409 idempotency_secret_withheld`` naming the
  key that was created.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from ..errors import Conflict, InvalidRequest, U22A8Error
from ..service import ApiKey, Platform
from .errors import error_response

__all__ = ["REPLAYED_OPERATIONS", "SECRET_OPERATIONS", "answer_once"]

# Operation ids whose answer a retry gets again. Reads, predict and deletes are safe to repeat.
REPLAYED_OPERATIONS = frozenset({"create_model", "add_samples", "train_model", "activate_version", "cancel_run",
                                 "create_key"})
# Of those, the ones whose answer holds a secret: the field named is dropped before keeping it.
SECRET_OPERATIONS = {"create_key": "key"}
_MAX_KEY_CHARS = 255


class _Reused(InvalidRequest):
    code, title = "idempotency_key_reused", "Idempotency-Key reused"


class _InFlight(Conflict):
    code, title = "idempotency_key_in_flight", "Idempotency-Key in flight"


class _InvalidIdempotencyKey(U22A8Error):
    status, code, title = 400, "invalid_idempotency_key", "Invalid Idempotency-Key"


class _SecretWithheld(Conflict):
    code, title = "idempotency_secret_withheld", "Secret not replayed"


def _record_key(key: ApiKey, request: Request, idempotency_key: str) -> str:
    if len(idempotency_key) > _MAX_KEY_CHARS or not idempotency_key.isprintable() or not idempotency_key.isascii():
        raise _InvalidIdempotencyKey(f"an Idempotency-Key is 1-{_MAX_KEY_CHARS} printable ASCII characters")
    where = f"{key.id}\n{request.method}\n{request.url.path}\n{idempotency_key}"
    digest = hashlib.sha256(where.encode("utf-8", "surrogatepass")).hexdigest()
    # A record about a model names it in front of the digest, so deleting the model finds its
    # kept answers (store.idempotency.forget_model); a handle longer than any valid one is left out.
    parts = request.url.path.split("/")
    if len(parts) > 3 and parts[1:3] == ["v1", "models"] and 0 < len(parts[3]) <= 120:
        return f"/models/{parts[3]}/:{digest}"
    return digest


def _without_secret(body: bytes, field: str) -> str:
    try:
        answer = json.loads(body)
    except ValueError:
        return ""
    if isinstance(answer, dict):
        answer.pop(field, None)
        return json.dumps({"id": answer.get("id")})
    return ""


def _replay(operation: str, status: int, body: str, content_type: str) -> Response:
    if operation in SECRET_OPERATIONS and 200 <= status < 300:
        created = json.loads(body or "{}").get("id")
        raise _SecretWithheld(f"this Idempotency-Key already created key {created}; its secret is shown only once: "
                              "revoke that key if its secret was lost, and create another", key_id=created)
    return Response(body.encode(), status_code=status, media_type=content_type,
                    headers={"Idempotent-Replayed": "true"})


async def answer_once(platform: Platform, key: ApiKey, operation: str, request: Request, body: bytes,
                      idempotency_key: str, run: Callable[[Request], Awaitable[Response]]) -> Response:
    """Run ``run(request)`` once per (key, method, path, Idempotency-Key); replay the kept answer after."""
    repo = platform.idempotency
    record = _record_key(key, request, idempotency_key)
    request_hash = hashlib.sha256(body).hexdigest()
    stored = await run_in_threadpool(repo.reserve, record, request_hash, key.id)
    if stored is not None:
        if stored.request_hash != request_hash:
            raise _Reused("this Idempotency-Key was used with a different request body")
        if stored.in_flight:
            raise _InFlight("a request with this Idempotency-Key is still being answered; retry shortly")
        return _replay(operation, stored.status, stored.body, stored.content_type)
    try:
        response = await run(request)
    except Exception as exc:
        answer = error_response(exc)
        if answer is None:
            await run_in_threadpool(repo.release, record)
            raise
        response = answer
    settled = 200 <= response.status_code < 500 and response.status_code != 429
    kept = bytes(response.body) if hasattr(response, "body") else None
    if not settled or kept is None or len(kept) > platform.settings.idempotency_max_body_bytes:
        await run_in_threadpool(repo.release, record)
        return response
    secret_field = SECRET_OPERATIONS.get(operation)
    if secret_field and response.status_code < 300:
        text = _without_secret(kept, secret_field)
    else:
        text = kept.decode("utf-8", "replace")
    content_type = response.headers.get("content-type", "application/json")
    await run_in_threadpool(repo.complete, record, response.status_code, text, content_type)
    return response
