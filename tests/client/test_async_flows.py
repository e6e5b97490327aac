"""The logic both clients share, seen through ``AsyncClient`` against scripted answers (httpx.MockTransport).

Retries, resumed event streams, chunked uploads and export downloads are written once and
driven by both clients; ``test_retry_and_errors`` checks them through ``Client``, these through
``AsyncClient``, and a few check that either client releases a stream its caller abandons.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

import u22a8
from u22a8.client import Retry

from .test_retry_and_errors import FAST, MODEL, problem, scripted

T = TypeVar("T")


def run(make: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(make())  # type: ignore[arg-type]


def aclient(transport: httpx.MockTransport, retry: Retry = FAST) -> u22a8.AsyncClient:
    return u22a8.AsyncClient("http://u22a8.test", "secret", transport=transport, retry=retry)


class _AsyncDroppingStream(httpx.AsyncByteStream):
    """Sends ``chunks`` then fails like a dropped connection; remembers whether it was closed."""

    def __init__(self, chunks: list[bytes], drop: bool = True) -> None:
        self.chunks, self.drop, self.closed = chunks, drop, False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk
        if self.drop:
            raise httpx.ReadError("connection reset")

    async def aclose(self) -> None:
        self.closed = True


class _SyncStream(httpx.SyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks, self.closed = chunks, False

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks

    def close(self) -> None:
        self.closed = True


EVENTS = "text/event-stream"


def test_async_connection_errors_and_5xx_are_retried_then_answered() -> None:
    seen, transport = scripted(httpx.ConnectError("refused"), problem(503, "unavailable"),
                               httpx.Response(200, json=MODEL))

    async def main() -> str:
        async with aclient(transport) as c:
            return (await c.models.get("acme.m")).handle

    assert run(main) == "acme.m" and len(seen) == 3


def test_async_gives_up_with_transport_error_or_the_last_answer() -> None:
    seen, transport = scripted(httpx.ConnectError("connection refused"))
    with pytest.raises(u22a8.TransportError) as info:
        run(lambda: aclient(transport, Retry(attempts=2, backoff=0.001)).models.get("acme.m"))
    assert len(seen) == 2 and "after 2 tries" in info.value.detail
    seen, transport = scripted(problem(429, "rate_limited"))
    with pytest.raises(u22a8.RateLimited):
        run(lambda: aclient(transport, Retry(attempts=3, backoff=0.001)).models.get("acme.m"))
    assert len(seen) == 3
    seen, transport = scripted(problem(404, "not_found"), httpx.Response(200, json=MODEL))
    with pytest.raises(u22a8.NotFound):
        run(lambda: aclient(transport).models.get("acme.m"))
    assert len(seen) == 1


def test_async_ready_is_false_on_any_error() -> None:
    _, transport = scripted(httpx.ConnectError("refused"))
    assert run(lambda: aclient(transport, Retry(attempts=1)).ready()) is False
    _, transport = scripted(httpx.Response(200, json={"status": "ok"}))
    assert run(lambda: aclient(transport).ready()) is True


def test_async_events_resume_after_a_dropped_connection_with_last_event_id() -> None:
    first = _AsyncDroppingStream([b'id: 1\nevent: queued\ndata: {"type": "queued"}\n\n',
                                  b'id: 2\nevent: started\ndata: {}\n\n'])
    seen, transport = scripted(
        httpx.Response(200, stream=first, headers={"content-type": EVENTS}),
        httpx.Response(200, content=b': keep-alive\n\nid: 3\nevent: succeeded\ndata: {"version": 1}\n\n',
                       headers={"content-type": EVENTS}))

    async def main() -> list[u22a8.client.RunEvent]:
        async with aclient(transport) as c:
            return [e async for e in c.runs.events("acme.m", "run_1")]

    events = run(main)
    assert [(e.id, e.type) for e in events] == [(1, "queued"), (2, "started"), (3, "succeeded")]
    assert "last-event-id" not in seen[0].headers and seen[1].headers["last-event-id"] == "2"
    assert events[-1].final and events[-1].data == {"version": 1} and first.closed


def test_async_events_give_up_when_the_connection_keeps_dropping() -> None:
    seen, transport = scripted(*(httpx.Response(200, stream=_AsyncDroppingStream([]), headers={"content-type": EVENTS})
                                 for _ in range(3)))

    async def main() -> list[Any]:
        return [e async for e in aclient(transport, Retry(attempts=3, backoff=0.001)).runs.events("acme.m", "r")]

    with pytest.raises(u22a8.TransportError):
        run(main)
    assert len(seen) == 3


def test_an_abandoned_event_stream_is_closed_by_either_client() -> None:
    body = [b"id: 1\nevent: queued\ndata: {}\n\n", b"id: 2\nevent: started\ndata: {}\n\n"]
    stream = _SyncStream(body)
    c = u22a8.Client("http://u22a8.test", "k", transport=httpx.MockTransport(
        lambda r: httpx.Response(200, stream=stream, headers={"content-type": EVENTS})))
    events = c.runs.events("acme.m", "r")
    assert next(events).type == "queued" and not stream.closed
    events.close()  # type: ignore[attr-defined]
    assert stream.closed

    astream = _AsyncDroppingStream(body, drop=False)
    _, transport = scripted(httpx.Response(200, stream=astream, headers={"content-type": EVENTS}))

    async def main() -> None:
        aevents = aclient(transport).runs.events("acme.m", "r")
        assert (await aevents.__anext__()).type == "queued"
        await aevents.aclose()  # type: ignore[attr-defined]

    run(main)
    assert astream.closed


def _counts(n: int) -> dict[str, Any]:
    return {"added": n, "updated": 0, "unchanged": 0, "sample_count": n, "label_counts": {}}


def test_async_upload_chunks_retry_each_with_its_key_and_count_bad_samples_from_the_start() -> None:
    samples = [{"text": f"t{i}", "label": "x"} for i in range(5)]
    seen, transport = scripted(httpx.Response(201, json=_counts(2)), problem(503, "unavailable"),
                               problem(422, "invalid_request", "1 bad sample",
                                       errors=[{"index": 1, "error": "text is empty"}]))
    progress: list[tuple[int, int]] = []
    with pytest.raises(u22a8.InvalidRequest) as info:
        run(lambda: aclient(transport).samples.add("acme.m", samples, chunk_size=2,
                                                   on_progress=lambda done, total: progress.append((done, total))))
    assert [e["index"] for e in info.value.errors] == [3]
    assert "#3: text is empty" in info.value.detail and "the 2 samples before them were stored" in info.value.detail
    assert progress == [(2, 5)]
    keys = [r.headers["idempotency-key"] for r in seen]
    assert [json.loads(r.content)["samples"][0]["text"] for r in seen] == ["t0", "t2", "t2"]
    assert len(seen) == 3 and keys[0] != keys[1] and keys[1] == keys[2]


def test_async_upload_adds_up_the_counts_of_every_chunk() -> None:
    seen, transport = scripted(*(httpx.Response(201, json=_counts(n)) for n in (2, 2, 1)))
    samples = [{"text": f"t{i}", "label": "x"} for i in range(5)]
    counts = run(lambda: aclient(transport).samples.add("acme.m", samples, chunk_size=2))
    assert counts.added == 5 and [len(json.loads(r.content)["samples"]) for r in seen] == [2, 2, 1]


def test_async_export_into_a_directory_and_nothing_half_written(tmp_path: Path) -> None:
    headers = {"content-disposition": 'attachment; filename="../../evil.u22a8.zip"'}
    _, transport = scripted(httpx.Response(200, content=b"PK-zip-bytes", headers=headers))
    path = run(lambda: aclient(transport).versions.export("acme.m", 3, tmp_path))
    assert path == tmp_path / "evil.u22a8.zip" and path.read_bytes() == b"PK-zip-bytes"
    _, transport = scripted(problem(404, "not_found"))
    with pytest.raises(u22a8.NotFound):
        run(lambda: aclient(transport).versions.export("acme.m", 4, tmp_path / "v4.zip"))
    dropped = _AsyncDroppingStream([b"PK-half"])
    _, transport = scripted(httpx.Response(200, stream=dropped))
    with pytest.raises(u22a8.TransportError):
        run(lambda: aclient(transport).versions.export("acme.m", 5, tmp_path / "v5.zip"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.u22a8.zip"] and dropped.closed


def test_async_train_fetches_the_queued_run() -> None:
    run_json = {"id": "run_1", "model": "acme.m", "kind": "search", "state": "queued", "effort": "low",
                "created_at": "2024-05-01T10:00:00Z", "trials_done": 0, "attempts": 0}
    seen, transport = scripted(httpx.Response(202, json={"state": "busy", "run_id": "run_1"}),
                               httpx.Response(200, json=run_json))
    result = run(lambda: aclient(transport).train("acme.m", "low"))
    assert result.queued and isinstance(result.run, u22a8.client.AsyncRun) and result.run.id == "run_1"
    assert [r.method for r in seen] == ["POST", "GET"]
