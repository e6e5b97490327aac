"""The client's own logic against scripted answers (httpx.MockTransport): retries, keys, error classes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import u22a8
from u22a8.client import Retry
from u22a8.client._retry import _parse_retry_after

FAST = Retry(attempts=4, backoff=0.001, max_wait=0.002)


def problem(status: int, code: str, detail: str = "x", **extra: Any) -> httpx.Response:
    body = {"type": f"https://u22a8.dev/problems/{code}", "title": code, "status": status, "code": code,
            "detail": detail, **extra}
    return httpx.Response(status, json=body, headers={"content-type": "application/problem+json"})


def scripted(*answers: httpx.Response | Exception) -> tuple[list[httpx.Request], httpx.MockTransport]:
    """A transport giving ``answers`` in order (an exception is raised instead of answering)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = answers[min(len(seen), len(answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return seen, httpx.MockTransport(handler)


def client(transport: httpx.MockTransport, retry: Retry = FAST) -> u22a8.Client:
    return u22a8.Client("http://u22a8.test", "secret", transport=transport, retry=retry)


MODEL = {"handle": "acme.m", "owner": "acme", "task": "classify", "description": "", "labels": None,
         "state": "draft", "sample_count": 0, "active_version": None, "last_run": None,
         "auto_retrain": {"enabled": True, "quiet_seconds": 1.0},
         "created_at": "2024-05-01T10:00:00Z", "updated_at": "2024-05-01T10:00:00Z"}


def test_503_then_200_is_retried() -> None:
    seen, transport = scripted(problem(503, "unavailable"), httpx.Response(200, json=MODEL))
    model = client(transport).models.get("acme.m")
    assert model.handle == "acme.m" and len(seen) == 2


def test_post_retries_repeat_one_idempotency_key_per_call() -> None:
    seen, transport = scripted(problem(503, "unavailable"), httpx.ConnectError("refused"), problem(429, "rate_limited"),
                               httpx.Response(201, json=MODEL))
    c = client(transport)
    c.models.create("acme.m", "classify")
    keys = {r.headers["idempotency-key"] for r in seen}
    assert len(seen) == 4 and len(keys) == 1 and all(r.content == seen[0].content for r in seen)
    # The next logical call gets a key of its own.
    seen2, transport2 = scripted(httpx.Response(201, json=MODEL))
    client(transport2).models.create("acme.m", "classify")
    assert seen2[0].headers["idempotency-key"] not in keys


def test_get_and_delete_carry_no_idempotency_key() -> None:
    seen, transport = scripted(httpx.Response(200, json=MODEL), httpx.Response(204))
    c = client(transport)
    c.models.get("acme.m")
    c.models.delete("acme.m")
    assert all("idempotency-key" not in r.headers for r in seen)


@pytest.mark.parametrize("status,code", [(404, "not_found"), (422, "invalid_request"), (409, "conflict"),
                                         (401, "unauthorized"), (403, "forbidden")])
def test_4xx_is_not_retried(status: int, code: str) -> None:
    seen, transport = scripted(problem(status, code), httpx.Response(200, json=MODEL))
    with pytest.raises(u22a8.U22A8Error) as info:
        client(transport).models.get("acme.m")
    assert len(seen) == 1 and info.value.status == status and info.value.code == code


def test_gives_up_after_the_attempts_with_the_last_error() -> None:
    seen, transport = scripted(problem(503, "unavailable", "database down"))
    with pytest.raises(u22a8.Unavailable) as info:
        client(transport, Retry(attempts=3, backoff=0.001)).models.get("acme.m")
    assert len(seen) == 3 and info.value.detail == "database down"


def test_connection_errors_become_transport_error() -> None:
    seen, transport = scripted(httpx.ConnectError("connection refused"))
    with pytest.raises(u22a8.TransportError) as info:
        client(transport, Retry(attempts=2, backoff=0.001)).models.get("acme.m")
    assert len(seen) == 2 and info.value.status is None and "connection refused" in info.value.detail


def test_retry_after_is_obeyed_and_capped() -> None:
    assert Retry().wait(0, "2") == 2.0
    assert Retry(max_retry_after=5).wait(0, "3600") == 5
    assert _parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: go now
    assert 0.125 <= Retry(backoff=0.25).wait(0) <= 0.25
    assert Retry(backoff=1, max_wait=3).wait(10) <= 3
    with pytest.raises(ValueError):
        Retry(attempts=0)


CODES: list[tuple[int, str, type[u22a8.U22A8Error]]] = [
    (422, "invalid_request", u22a8.InvalidRequest), (422, "limit_exceeded", u22a8.LimitExceeded),
    (422, "too_few_samples", u22a8.TooFewSamples), (422, "idempotency_key_reused", u22a8.IdempotencyKeyReused),
    (401, "unauthorized", u22a8.Unauthorized), (403, "forbidden", u22a8.Forbidden), (404, "not_found", u22a8.NotFound),
    (409, "conflict", u22a8.Conflict), (409, "model_not_ready", u22a8.ModelNotReady),
    (413, "payload_too_large", u22a8.PayloadTooLarge), (429, "rate_limited", u22a8.RateLimited),
    (500, "internal_error", u22a8.InternalError), (503, "unavailable", u22a8.Unavailable),
]


@pytest.mark.parametrize("status,code,cls", CODES)
def test_one_exception_class_per_code(status: int, code: str, cls: type[u22a8.U22A8Error]) -> None:
    _, transport = scripted(problem(status, code, "why", missing=["two labels"]))
    with pytest.raises(cls) as info:
        client(transport, Retry(attempts=1)).models.get("acme.m")
    err = info.value
    assert type(err) is cls
    assert (err.status, err.code, err.detail, err.body["missing"]) == (status, code, "why", ["two labels"])


def test_unknown_codes_map_to_the_base_class_and_keep_their_code() -> None:
    _, transport = scripted(problem(418, "teapot", "short and stout"))
    with pytest.raises(u22a8.U22A8Error) as info:
        client(transport).models.get("acme.m")
    assert type(info.value) is u22a8.U22A8Error and info.value.code == "teapot" and info.value.status == 418
    # 5xx without a problem body (a proxy's page): still a ServerError, retried, then raised.
    seen, transport = scripted(httpx.Response(502, text="<html>bad gateway</html>"))
    with pytest.raises(u22a8.ServerError) as info2:
        client(transport, Retry(attempts=2, backoff=0.001)).models.get("acme.m")
    assert len(seen) == 2 and info2.value.status == 502 and "bad gateway" in info2.value.detail


def test_environment_gives_base_url_and_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("U22A8_BASE_URL", "http://example.test:9999/")
    monkeypatch.setenv("U22A8_API_KEY", "from-env")
    seen, transport = scripted(httpx.Response(200, json=MODEL))
    with u22a8.Client(transport=transport) as c:
        c.models.get("acme.m")
    assert str(seen[0].url) == "http://example.test:9999/v1/models/acme.m"
    assert seen[0].headers["authorization"] == "Bearer from-env"
    monkeypatch.delenv("U22A8_BASE_URL")
    assert u22a8.Client(api_key="k").base_url == "http://127.0.0.1:8000"


def test_path_segments_are_quoted() -> None:
    seen, transport = scripted(httpx.Response(204))
    client(transport).samples.delete("acme.m", "../keys?x=1")
    assert seen[0].url.raw_path == b"/v1/models/acme.m/samples/..%2Fkeys%3Fx%3D1"


def test_async_client_retries_with_the_same_key() -> None:
    seen: list[httpx.Request] = []
    answers: list[Callable[[], httpx.Response]] = [lambda: problem(502, "bad_gateway"),
                                                   lambda: httpx.Response(201, json=MODEL)]

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers[len(seen) - 1]()

    async def main() -> str:
        async with u22a8.AsyncClient("http://u22a8.test", "k", transport=httpx.MockTransport(handler), retry=FAST) as c:
            return (await c.models.create("acme.m", "classify")).handle

    assert asyncio.run(main()) == "acme.m"
    assert len(seen) == 2 and seen[0].headers["idempotency-key"] == seen[1].headers["idempotency-key"]


class _DroppingStream(httpx.SyncByteStream):
    """Sends ``chunks`` then fails like a dropped connection."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self):  # type: ignore[no-untyped-def]
        yield from self.chunks
        raise httpx.ReadError("connection reset")


def test_events_resume_after_a_dropped_connection_with_last_event_id() -> None:
    seen: list[httpx.Request] = []
    first = [b'id: 1\nevent: queued\ndata: {"type": "queued"}\n\n', b'id: 2\nevent: started\ndata: {}\n\n']

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return httpx.Response(200, stream=_DroppingStream(first), headers={"content-type": "text/event-stream"})
        return httpx.Response(200, content=b": keep-alive\n\nid: 3\nevent: succeeded\ndata: {\"version\": 1}\n\n",
                              headers={"content-type": "text/event-stream"})

    events = list(client(httpx.MockTransport(handler)).runs.events("acme.m", "run_1"))
    assert [(e.id, e.type) for e in events] == [(1, "queued"), (2, "started"), (3, "succeeded")]
    assert "last-event-id" not in seen[0].headers and seen[1].headers["last-event-id"] == "2"
    assert events[-1].final and events[-1].data == {"version": 1}


def test_export_into_a_directory_keeps_the_file_inside_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    headers = {"content-disposition": 'attachment; filename="../../evil.u22a8.zip"'}
    _, transport = scripted(httpx.Response(200, content=b"PK-zip-bytes", headers=headers))
    path = client(transport).versions.export("acme.m", 3, tmp_path)
    assert path == tmp_path / "evil.u22a8.zip" and path.read_bytes() == b"PK-zip-bytes"
    _, transport = scripted(problem(404, "not_found"))
    with pytest.raises(u22a8.NotFound):
        client(transport).versions.export("acme.m", 4, tmp_path / "v4.zip")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.u22a8.zip"]  # nothing half-written
