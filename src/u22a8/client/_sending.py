"""One request as a flow: its Idempotency-Key, its retries with backoff, its answer or exception.

No I/O happens here (see ``_steps``): both clients drive these flows.
"""

from __future__ import annotations

from typing import TypeVar

import httpx

from ._base import BaseClient
from ._calls import Call
from ._exceptions import TransportError, error_from_response
from ._retry import Retry, new_idempotency_key
from ._steps import Drain, Flow, Send, Sleep

__all__ = ["RETRYABLE_ERRORS", "send", "call", "prepare", "transport_error"]

T = TypeVar("T")

# Failures where the request may not have reached the server, or its answer was lost.
# Others (a malformed URL, an unsupported scheme) will fail the same way every time.
RETRYABLE_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


def prepare(request: httpx.Request) -> httpx.Request:
    """Give a POST its Idempotency-Key once, before the first try, so every retry repeats it."""
    if request.method == "POST" and "idempotency-key" not in request.headers:
        request.headers["Idempotency-Key"] = new_idempotency_key()
    return request


def transport_error(exc: Exception, request: httpx.Request, tries: int) -> TransportError:
    where = f"{request.method} {request.url.copy_with(query=None)}"
    return TransportError(f"{where} got no answer after {tries} tr{'y' if tries == 1 else 'ies'}: "
                          f"{type(exc).__name__}: {exc}")


def send(request: httpx.Request, retry: Retry, *, stream: bool = False) -> Flow[httpx.Response]:
    """Send with retries; return a 2xx answer or raise the error the answer stands for.

    A streamed answer is returned unread; an error answer is read (for its problem document)
    and closed before it is retried or raised.
    """
    request = prepare(request)
    attempt = 0
    while True:
        try:
            response: httpx.Response = yield Send(request, stream)
        except RETRYABLE_ERRORS as exc:
            if not retry.can_retry(attempt):
                raise transport_error(exc, request, attempt + 1) from exc
            yield Sleep(retry.wait(attempt))
            attempt += 1
            continue
        except httpx.TransportError as exc:
            raise transport_error(exc, request, attempt + 1) from exc
        if response.is_success:
            return response
        yield Drain(response)
        if retry.should_retry_status(response.status_code) and retry.can_retry(attempt):
            yield Sleep(retry.wait(attempt, response.headers.get("retry-after")))
            attempt += 1
            continue
        raise error_from_response(response)


def call(client: BaseClient, operation: Call[T]) -> Flow[T]:
    """Run one API operation: build its request, send it, read its answer."""
    response = yield from send(operation.build(client._http), client._retry)
    return operation.parse(response, client)

